"""SLO defaults, overrides and evaluation: pure functions over plain data."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from weave.ownership.evaluate import Observation, evaluate, finish_by_deadline
from weave.ownership.notify import AlertSettings
from weave.ownership.slo import Slo, slos_for

NOW = 1_800_000_000.0


def _kinds(slos: tuple[Slo, ...]) -> dict[str, Slo]:
    return {s.kind: s for s in slos}


def test_defaults_per_pattern() -> None:
    p2p = _kinds(slos_for(None, ["point-to-point"]))
    assert set(p2p) == {"freshness", "error_rate", "dlq_depth"}
    assert (p2p["freshness"].threshold, p2p["error_rate"].threshold, p2p["error_rate"].window_s) == (3600, 0.05, 900)
    assert p2p["dlq_depth"].threshold == 0 and p2p["freshness"].source == "default"
    assert "lag" in _kinds(slos_for(None, ["event-driven"]))
    batch = _kinds(slos_for(None, ["etl-batch"], timezone="Europe/Berlin"))
    assert batch["finish_by"].at == "06:00" and batch["finish_by"].timezone == "Europe/Berlin"
    assert set(_kinds(slos_for(None, ["api-gateway"]))) == {"p99_latency", "error_5xx_rate"}
    assert slos_for(None, ["unknown-pattern"]) == ()


def test_spec_block_overrides_defaults() -> None:
    slos = _kinds(slos_for({"freshness": "10m", "error_rate": {"max": 0.2, "window": "5m"}, "dlq_age": "1h"},
                           ["hub-and-spoke"]))
    assert slos["freshness"].threshold == 600 and slos["freshness"].source == "spec"
    assert (slos["error_rate"].threshold, slos["error_rate"].window_s) == (0.2, 300)
    assert slos["dlq_age"].threshold == 3600 and slos["dlq_depth"].source == "default"
    # a declared batch deadline replaces the default freshness
    assert "freshness" not in _kinds(slos_for({"finish_by": "07:30"}, ["point-to-point"]))


def _obs(**kw: object) -> Observation:
    return Observation(integration="i", now=NOW, watching_since=NOW - 10, **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize(("obs", "ok"), [
    (_obs(last_success_at=NOW - 59), True),
    (_obs(last_success_at=NOW - 61), False),
    (_obs(), True),  # nothing delivered yet, watched for 10s only
    (Observation("i", NOW, NOW - 120), False),  # nothing delivered for 2 minutes of watching
])
def test_freshness(obs: Observation, ok: bool) -> None:
    result = evaluate(Slo("freshness", 60), obs)
    assert result.ok is ok
    assert ("limit 1m" in result.message) and (result.value is not None)


def test_error_rates_use_their_window() -> None:
    slo = Slo("error_rate", 0.05, window_s=900)
    assert evaluate(slo, _obs(window_counts={900: (95, 5)})).ok
    bad = evaluate(slo, _obs(window_counts={900: (90, 10)}))
    assert not bad.ok and bad.value == pytest.approx(0.1) and "10% of 100" in bad.message
    assert evaluate(slo, _obs(window_counts={60: (0, 10)})).ok  # another window: no data here
    assert evaluate(slo, _obs()).ok  # no traffic is not an error rate
    assert not evaluate(Slo("error_5xx_rate", 0.01, window_s=60), _obs(window_counts={60: (98, 2)})).ok


def test_dlq_lag_and_latency() -> None:
    assert evaluate(Slo("dlq_depth", 0), _obs()).ok
    assert not evaluate(Slo("dlq_depth", 0), _obs(dlq_depth=1)).ok
    assert not evaluate(Slo("dlq_age", 300), _obs(dlq_depth=1, dlq_oldest_age_s=301)).ok
    assert evaluate(Slo("dlq_age", 300), _obs(dlq_depth=1, dlq_oldest_age_s=299)).ok
    assert not evaluate(Slo("lag", 1000), _obs(lag=1001)).ok and evaluate(Slo("lag", 1000), _obs(lag=None)).ok
    slow = evaluate(Slo("p99_latency", 0.5), _obs(p99_latency_s=0.75))
    assert not slow.ok and "750ms" in slow.message


def test_finish_by_in_the_owners_time_zone() -> None:
    tz = ZoneInfo("Europe/Berlin")
    slo = Slo("finish_by", 0, at="06:00", timezone="Europe/Berlin")
    at = lambda h, m: dt.datetime(2026, 3, 10, h, m, tzinfo=tz).timestamp()  # noqa: E731
    day_start, deadline = finish_by_deadline(at(12, 0), "06:00", "Europe/Berlin")
    assert (day_start, deadline) == (at(0, 0), at(6, 0))
    before = Observation("b", at(5, 59), at(0, 0), last_batch_ok_at=at(0, 0) - 86400)
    assert evaluate(slo, before).ok  # not due yet
    late = Observation("b", at(6, 1), at(0, 0), last_batch_ok_at=at(0, 0) - 86400)
    assert not evaluate(slo, late).ok and "not finished by 06:00 Europe/Berlin" in evaluate(slo, late).message
    done = Observation("b", at(6, 1), at(0, 0), last_batch_ok_at=at(4, 30))
    assert evaluate(slo, done).ok
    # 05:30 UTC is 06:30 in Berlin (winter): late there, though not in UTC
    utc_slo = Slo("finish_by", 0, at="06:00", timezone="UTC")
    t = dt.datetime(2026, 1, 10, 5, 30, tzinfo=dt.UTC).timestamp()
    assert evaluate(utc_slo, Observation("b", t, t)).ok
    assert not evaluate(slo, Observation("b", t, t)).ok


def test_alert_settings_from_toml_and_env() -> None:
    settings = {"alerts": {"smtp": "smtp://mail:25", "from": "ops@x", "pagerduty_url": "http://pd"},
                "slo": {"interval": "10s"}}
    s = AlertSettings.from_settings(settings, env={})
    assert (s.smtp_url, s.mail_from, s.pagerduty_url, s.interval_s) == ("smtp://mail:25", "ops@x", "http://pd", 10)
    e = AlertSettings.from_settings(settings, env={"WEAVE_SMTP_URL": "smtp://127.0.0.1:2525",
                                                    "WEAVE_SLO_INTERVAL": "0.5"})
    assert (e.smtp_url, e.interval_s) == ("smtp://127.0.0.1:2525", 0.5)
    assert AlertSettings.from_settings(None, env={}).interval_s == 30
