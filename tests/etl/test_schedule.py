"""Cron with time zones, peak-hour operating windows, missed-run policies: pure functions, no clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from weave.etl import BatchConfigError, OperatingWindows, PeakWindow, Schedule, next_run, plan_runs

BERLIN = ZoneInfo("Europe/Berlin")
WEEKDAYS = ["mon", "tue", "wed", "thu", "fri"]


def berlin(*args: int) -> datetime:
    return datetime(*args, tzinfo=BERLIN)  # type: ignore[misc]


def test_cron_fires_in_its_own_time_zone() -> None:
    schedule = Schedule(cron="0 2 * * *", timezone="Europe/Berlin")
    fire, start = next_run(schedule, datetime(2026, 1, 10, 12, 0, tzinfo=UTC))
    assert fire == berlin(2026, 1, 11, 2, 0)
    assert fire.astimezone(UTC) == datetime(2026, 1, 11, 1, 0, tzinfo=UTC)  # CET = UTC+1
    assert start == fire
    summer, _ = next_run(schedule, datetime(2026, 7, 10, 12, 0, tzinfo=UTC))
    assert summer.astimezone(UTC) == datetime(2026, 7, 11, 0, 0, tzinfo=UTC)  # CEST = UTC+2


def test_cron_across_the_dst_switch() -> None:
    # 2026-03-29 02:00 Berlin does not exist (clocks jump 02:00 -> 03:00): the 02:30 job must still run once
    schedule = Schedule(cron="30 2 * * *", timezone="Europe/Berlin")
    fire, _ = next_run(schedule, berlin(2026, 3, 28, 12, 0))
    following, _ = next_run(schedule, fire)
    assert fire.astimezone(UTC) < following.astimezone(UTC)
    assert following.astimezone(UTC) - fire.astimezone(UTC) <= timedelta(hours=48)


def test_peak_window_contains_only_its_days_and_hours() -> None:
    peak = PeakWindow.from_spec({"start": "08:00", "end": "18:00", "timezone": "Europe/Berlin", "days": WEEKDAYS})
    assert peak.covering(berlin(2026, 11, 27, 9, 0))  # a Friday
    assert not peak.covering(berlin(2026, 11, 27, 18, 0))  # end is exclusive
    assert not peak.covering(berlin(2026, 11, 27, 7, 59))
    assert not peak.covering(berlin(2026, 11, 28, 9, 0))  # Saturday
    # the same instant seen from UTC
    assert peak.covering(datetime(2026, 11, 27, 7, 30, tzinfo=UTC))  # 08:30 Berlin


def test_overnight_window_belongs_to_its_start_day() -> None:
    peak = PeakWindow.from_spec({"start": "22:00", "end": "06:00", "timezone": "UTC", "days": ["fri"]})
    assert peak.covering(datetime(2026, 11, 27, 23, 0, tzinfo=UTC))  # Friday night
    assert peak.covering(datetime(2026, 11, 28, 5, 59, tzinfo=UTC))  # Saturday early: still Friday's window
    assert not peak.covering(datetime(2026, 11, 28, 23, 0, tzinfo=UTC))  # Saturday night
    assert not peak.covering(datetime(2026, 11, 27, 5, 0, tzinfo=UTC))  # Friday early: Thursday has none


def test_a_fire_time_inside_either_sides_peak_is_deferred_past_both() -> None:
    windows = OperatingWindows.from_systems({
        "crm": [{"start": "08:00", "end": "18:00", "timezone": "Europe/Berlin", "days": WEEKDAYS}],
        "erp": [{"start": "17:00", "end": "20:00", "timezone": "UTC"}],  # 18:00-21:00 Berlin in winter
    })
    schedule = Schedule(cron="0 12 * * *", timezone="Europe/Berlin", windows=windows)
    fire, start = next_run(schedule, berlin(2026, 11, 26, 13, 0))
    assert fire == berlin(2026, 11, 27, 12, 0)
    assert start.astimezone(BERLIN) == berlin(2026, 11, 27, 21, 0)  # after CRM's window, then ERP's
    assert windows.blocking(start) is None
    assert windows.blocking(berlin(2026, 11, 27, 12, 0)).system == "crm"  # type: ignore[union-attr]
    assert windows.blocking(berlin(2026, 11, 27, 19, 0)).system == "erp"  # type: ignore[union-attr]


def test_missed_runs_skip_keeps_only_the_current_one() -> None:
    schedule = Schedule(cron="0 * * * *", timezone="UTC", missed="skip", grace_s=600)
    last = datetime(2026, 11, 27, 0, 0, tzinfo=UTC)
    now = datetime(2026, 11, 27, 5, 3, tzinfo=UTC)  # down from 01:00 to 05:03
    plan = plan_runs(schedule, last, now)
    assert plan.due == (datetime(2026, 11, 27, 5, 0, tzinfo=UTC),)
    assert len(plan.skipped) == 4
    assert plan.next_fire == datetime(2026, 11, 27, 6, 0, tzinfo=UTC)


def test_missed_runs_skip_drops_everything_beyond_grace() -> None:
    schedule = Schedule(cron="0 * * * *", timezone="UTC", missed="skip", grace_s=60)
    plan = plan_runs(schedule, datetime(2026, 11, 27, 0, 0, tzinfo=UTC), datetime(2026, 11, 27, 5, 30, tzinfo=UTC))
    assert plan.due == ()
    assert len(plan.skipped) == 5


def test_missed_runs_catch_up_runs_each_in_order_up_to_the_cap() -> None:
    schedule = Schedule(cron="0 * * * *", timezone="UTC", missed="catch-up", max_catch_up=3)
    plan = plan_runs(schedule, datetime(2026, 11, 27, 0, 0, tzinfo=UTC), datetime(2026, 11, 27, 5, 3, tzinfo=UTC))
    assert [f.hour for f in plan.due] == [3, 4, 5]
    assert [f.hour for f in plan.skipped] == [1, 2]


def test_first_sight_of_a_job_runs_nothing_until_its_next_fire() -> None:
    schedule = Schedule(cron="0 2 * * *", timezone="UTC", missed="catch-up")
    now = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
    plan = plan_runs(schedule, None, now)
    assert plan.due == () and plan.skipped == ()
    assert plan.next_fire == datetime(2026, 11, 28, 2, 0, tzinfo=UTC)


def test_a_deferred_run_is_not_missed_while_its_window_lasts() -> None:
    windows = OperatingWindows.from_systems({"erp": [{"start": "00:00", "end": "06:00", "timezone": "UTC"}]})
    schedule = Schedule(cron="0 2 * * *", timezone="UTC", missed="skip", grace_s=60, windows=windows)
    last = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)
    during = plan_runs(schedule, last, datetime(2026, 11, 27, 3, 0, tzinfo=UTC))
    assert during.due == () and during.skipped == ()
    assert during.next_start == datetime(2026, 11, 27, 6, 0, tzinfo=UTC)
    after = plan_runs(schedule, last, datetime(2026, 11, 27, 6, 0, 30, tzinfo=UTC))
    assert after.due == (datetime(2026, 11, 27, 2, 0, tzinfo=UTC),)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"cron": "not a cron"}, "invalid cron"),
        ({"cron": "0 2 * * *", "timezone": "Mars/Olympus"}, "unknown time zone"),
        ({"cron": "0 2 * * *", "missed": "sometimes"}, "missed"),
    ],
)
def test_bad_schedules_are_refused_with_a_clear_message(kwargs: dict[str, str], message: str) -> None:
    with pytest.raises(BatchConfigError, match=message):
        Schedule(**kwargs)  # type: ignore[arg-type]


def test_schedule_from_spec_accepts_the_spec_shape() -> None:
    schedule = Schedule.from_spec({"cron": "0 2 * * *", "timezone": "Europe/Berlin", "missed": "catch-up", "grace": "10m"})
    assert schedule.missed == "catch-up" and schedule.grace_s == 600
    with pytest.raises(BatchConfigError, match="HH:MM"):
        PeakWindow.from_spec({"start": "8am", "end": "18:00"})
    with pytest.raises(BatchConfigError, match="naive|aware"):
        schedule.fire_after(datetime(2026, 1, 1))
