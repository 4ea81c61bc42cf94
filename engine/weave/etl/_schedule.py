"""Cron schedules with time zones, peak-hour operating windows and missed-run policies.

Everything here is pure: functions take the instants they need (`after`, `now`) and return instants, so
they are tested without a clock. All returned datetimes are timezone-aware.

A fire time that falls inside a peak window of the source or the target is *deferred* to the end of that
window (the first instant no window covers). A fire time is *missed* when it was due (deferral included)
more than `grace` before `now`: policy `skip` drops missed fire times, `catch-up` runs each of them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import croniter

from weave.etl._errors import BatchConfigError

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MISSED_POLICIES = ("skip", "catch-up")


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise BatchConfigError(f"unknown time zone {name!r} (use an IANA name such as Europe/Berlin)") from None


def _aware(at: datetime) -> datetime:
    if at.tzinfo is None:
        raise BatchConfigError("schedule computations need timezone-aware datetimes")
    return at


def _hhmm(text: str) -> tuple[int, int]:
    try:
        hh, mm = (int(p) for p in str(text).split(":"))
    except ValueError:
        raise BatchConfigError(f"peak window time {text!r} is not HH:MM") from None
    if not (0 <= hh <= 24 and 0 <= mm < 60) or (hh == 24 and mm):
        raise BatchConfigError(f"peak window time {text!r} is not HH:MM")
    return hh, mm


@dataclass(frozen=True)
class PeakWindow:
    """A declared peak window of one system, e.g. 08:00–18:00 Europe/Berlin, Monday to Friday.

    `end` may be 24:00; `end <= start` means the window runs past midnight (it belongs to its start day).
    """

    start: tuple[int, int]
    end: tuple[int, int]
    timezone: str = "UTC"
    days: frozenset[int] = frozenset(range(7))
    system: str = ""

    @classmethod
    def from_spec(cls, spec: Mapping[str, Any], system: str = "") -> PeakWindow:
        days = spec.get("days") or list(DAYS)
        unknown = [d for d in days if str(d).lower()[:3] not in DAYS]
        if unknown:
            raise BatchConfigError(f"peak window days {unknown} are not among {', '.join(DAYS)}")
        tz = str(spec.get("timezone") or "UTC")
        _zone(tz)
        return cls(
            start=_hhmm(spec["start"]),
            end=_hhmm(spec["end"]),
            timezone=tz,
            days=frozenset(DAYS.index(str(d).lower()[:3]) for d in days),
            system=system,
        )

    def describe(self) -> str:
        days = ",".join(DAYS[d] for d in sorted(self.days))
        return f"{self.start[0]:02d}:{self.start[1]:02d}-{self.end[0]:02d}:{self.end[1]:02d} {self.timezone} {days}"

    def _interval(self, day: date) -> tuple[datetime, datetime] | None:
        if day.weekday() not in self.days:
            return None
        tz = _zone(self.timezone)
        begin = datetime.combine(day, time(*self.start), tzinfo=tz)
        end_day = day if self.end > self.start else day + timedelta(days=1)
        if self.end == (24, 0):
            end = datetime.combine(day + timedelta(days=1), time(0, 0), tzinfo=tz)
        else:
            end = datetime.combine(end_day, time(*self.end), tzinfo=tz)
        return begin, end

    def covering(self, at: datetime) -> tuple[datetime, datetime] | None:
        """The interval of this window that contains `at`, if any."""
        local = _aware(at).astimezone(_zone(self.timezone))
        for day in (local.date() - timedelta(days=1), local.date()):
            interval = self._interval(day)
            if interval and interval[0] <= at < interval[1]:
                return interval
        return None


@dataclass(frozen=True)
class OperatingWindows:
    """The peak windows of every system a job touches; runs start only outside all of them."""

    peaks: tuple[PeakWindow, ...] = ()

    @classmethod
    def from_systems(cls, systems: Mapping[str, Iterable[Mapping[str, Any]] | None]) -> OperatingWindows:
        """`{"crm": [peak window specs], "erp": [...]}` → windows of both sides."""
        return cls(tuple(PeakWindow.from_spec(p, name) for name, peaks in systems.items() for p in peaks or ()))

    def blocking(self, at: datetime) -> PeakWindow | None:
        for peak in self.peaks:
            if peak.covering(at):
                return peak
        return None

    def next_allowed(self, at: datetime) -> datetime:
        """`at` itself when no window covers it, else the first instant after every covering window."""
        current = _aware(at)
        for _ in range(64):  # adjacent/overlapping windows chain; 64 hops is far beyond any real spec
            ends = [iv[1] for p in self.peaks if (iv := p.covering(current))]
            if not ends:
                return current
            current = max(ends)
        raise BatchConfigError("peak windows cover every instant; no run could ever start")


@dataclass(frozen=True)
class Schedule:
    cron: str
    timezone: str = "UTC"
    missed: str = "skip"
    grace_s: float = 300.0
    max_catch_up: int = 100
    windows: OperatingWindows = field(default_factory=OperatingWindows)

    def __post_init__(self) -> None:
        if not croniter.is_valid(self.cron):
            raise BatchConfigError(f"invalid cron expression {self.cron!r} (five fields: min hour dom mon dow)")
        _zone(self.timezone)
        if self.missed not in MISSED_POLICIES:
            raise BatchConfigError(f"missed: {self.missed!r} is not one of {', '.join(MISSED_POLICIES)}")

    @classmethod
    def from_spec(cls, spec: Mapping[str, Any], windows: OperatingWindows | None = None) -> Schedule:
        from weave.spec.durations import parse_duration

        missed = str(spec.get("missed", "skip")).replace("_", "-")
        return cls(
            cron=str(spec["cron"]),
            timezone=str(spec.get("timezone", "UTC")),
            missed=missed,
            grace_s=parse_duration(spec.get("grace", "5m")),
            max_catch_up=int(spec.get("max_catch_up", 100)),
            windows=windows or OperatingWindows(),
        )

    def fire_after(self, after: datetime) -> datetime:
        """The next cron fire time strictly after `after` (in the schedule's zone)."""
        local = _aware(after).astimezone(_zone(self.timezone))
        nxt: datetime = croniter(self.cron, local).get_next(datetime)
        return nxt

    def start_for(self, fire: datetime) -> datetime:
        """When a run for cron fire time `fire` may start: deferred out of peak windows."""
        return self.windows.next_allowed(fire)


def next_run(schedule: Schedule, after: datetime) -> tuple[datetime, datetime]:
    """(fire time, allowed start) of the next run after `after`."""
    fire = schedule.fire_after(after)
    return fire, schedule.start_for(fire)


@dataclass(frozen=True)
class RunPlan:
    """What the scheduler should do at `now`: fire times to run now (in order), fire times given up,
    and the next (fire, start) pair to wait for."""

    due: tuple[datetime, ...]
    skipped: tuple[datetime, ...]
    next_fire: datetime
    next_start: datetime


def plan_runs(schedule: Schedule, last_fire: datetime | None, now: datetime) -> RunPlan:
    """Fire times in (last_fire, now] whose start is due, split by the missed-run policy.

    With no `last_fire` (a job seen for the first time) nothing is due: the job waits for its next fire.
    A due fire time whose allowed start is still in the future (deferred by a peak window) is neither
    due nor skipped yet; it is returned as `next_fire`.
    """
    _aware(now)
    due: list[datetime] = []
    skipped: list[datetime] = []
    cursor = now if last_fire is None else last_fire
    grace = timedelta(seconds=schedule.grace_s)
    while True:
        fire = schedule.fire_after(cursor)
        start = schedule.start_for(fire)
        if start > now:
            break
        if schedule.missed == "skip" and now - start > grace:
            skipped.append(fire)
        else:
            due.append(fire)
        cursor = fire
        if len(due) + len(skipped) > 100_000:  # a `* * * * *` job down for months: stop counting
            break
    if schedule.missed == "skip" and len(due) > 1:  # several within grace: one run covers them
        skipped.extend(due[:-1])
        due = due[-1:]
    if schedule.missed == "catch-up" and len(due) > schedule.max_catch_up:
        skipped.extend(due[: -schedule.max_catch_up])
        due = due[-schedule.max_catch_up :]
    return RunPlan(tuple(due), tuple(skipped), fire, start)
