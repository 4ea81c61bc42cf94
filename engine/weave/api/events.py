"""The event catalog as a dependency map, per-subscriber replay, and the versioning check's baselines.

- `event_catalog(paths)`: every `kind: event` with version, owner, publisher system, the integrations that
  publish it and the ones that subscribe (the map of who breaks when an event changes).
- `with_live(catalog, bus_url)`: adds each subscriber's lag / pending / oldest pending age from the bus,
  when one is reachable; never fails (an undeployed project simply has no live columns).
- `replay_subscriber(...)`: rewinds ONE subscriber's consumer group (`EventBus.replay`); others untouched.
  With `ignore_idempotency`, first forgets the subscriber's idempotency records of the replayed events only
  (`replay_window_first`; records from before state migration 5 by time, `replay_window_start`).
- `with_event_versions(result, ref=..., state_url=...)`: `weave validate`'s WV860-WV864, against the last
  applied revision (a local SQLite state file, read-only) or a git ref (`git show`, offline).
"""

from __future__ import annotations

import re
import sqlite3
import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from weave.api.config import sqlite_path
from weave.diagnostics import Diagnostic, make
from weave.spec import LoadResult, load_project, load_sources
from weave.spec.durations import parse_duration
from weave.spec.event_versions import check_event_versions
from weave.spec.model import Event, Project

if TYPE_CHECKING:
    from weave.api.validate import ValidateResult
    from weave.bus import EventBus
    from weave.state import StateStore

CATALOG_FORMAT = "weave.events/v1"
LIVE_CONNECT_TIMEOUT = 2.0


class EventsError(Exception):
    """A replay request that cannot be carried out (unknown event or subscriber, bad --since)."""


def safe_version(event: Event) -> int | None:
    try:
        return event.version
    except (TypeError, ValueError):
        return None


# --- the catalog ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SubscriberInfo:
    integration: str
    owner: str | None
    targets: tuple[str, ...]
    idempotent: bool  # the sink has an idempotency key: a replayed event it delivered before is a duplicate
    lag: int | None = None
    pending: int | None = None
    oldest_pending_age_s: float | None = None


@dataclass(frozen=True)
class CatalogEntry:
    name: str
    version: int | None  # None when the spec's version is invalid (validate reports it)
    owner: str | None
    publisher: str | None  # the system that emits it
    key: str | None
    retention: str | None
    description: str | None
    file: str
    line: int
    publishers: tuple[str, ...]  # integrations with `publish: {event: name}`
    subscribers: tuple[SubscriberInfo, ...]  # integrations with `trigger: {event: name}`


@dataclass(frozen=True)
class Catalog:
    events: tuple[CatalogEntry, ...]
    unknown: dict[str, tuple[str, ...]]  # event name not in the catalog -> integrations that use it
    diagnostics: list[Diagnostic] = field(default_factory=list)
    live: str | None = None  # the bus backend the live columns came from
    live_error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": CATALOG_FORMAT,
            "live": self.live,
            "live_error": self.live_error,
            "events": [asdict(e) for e in self.events],
            "unknown_events": {k: list(v) for k, v in self.unknown.items()},
        }


def _subscriber(project: Project, name: str) -> SubscriberInfo:
    integration = project.integrations[name]
    return SubscriberInfo(name, integration.owner, integration.targets,
                          bool(integration.raw.get("idempotency_key")))


def catalog_of(project: Project) -> Catalog:
    publishers: dict[str, list[str]] = {}
    subscribers: dict[str, list[str]] = {}
    for name, integration in sorted(project.integrations.items()):
        if integration.publishes:
            publishers.setdefault(integration.publishes, []).append(name)
        if integration.subscribes_to:
            subscribers.setdefault(integration.subscribes_to, []).append(name)
    entries = []
    for name, event in sorted(project.events.items()):
        raw = event.raw
        entries.append(CatalogEntry(
            name=name, version=safe_version(event), owner=event.owner, publisher=event.publisher,
            key=str(raw["key"]) if raw.get("key") else None,
            retention=str(raw["retention"]) if raw.get("retention") else None,
            description=str(raw["description"]) if raw.get("description") else None,
            file=event.doc.file, line=event.doc.line,
            publishers=tuple(publishers.get(name, ())),
            subscribers=tuple(_subscriber(project, s) for s in subscribers.get(name, ())),
        ))
    unknown: dict[str, set[str]] = {}
    for table in (publishers, subscribers):
        for name, users in table.items():
            if name not in project.events:
                unknown.setdefault(name, set()).update(users)
    return Catalog(tuple(entries), {k: tuple(sorted(v)) for k, v in sorted(unknown.items())})


def event_catalog(paths: Iterable[str | Path]) -> Catalog:
    load = load_project(paths)
    return replace(catalog_of(load.project), diagnostics=list(load.diagnostics))


async def open_live_bus(bus_url: str) -> EventBus | None:
    """The bus, if one is there: an existing SQLite file (never created here) or a Redis that answers."""
    from weave.bus import open_bus

    path = sqlite_path(bus_url)
    if path is not None:
        return await open_bus(bus_url) if Path(path).is_file() else None
    return await open_bus(bus_url, reconnect_timeout=LIVE_CONNECT_TIMEOUT)


async def with_live(catalog: Catalog, bus_url: str) -> Catalog:
    """The catalog with lag / pending / oldest pending age of every subscriber that has a consumer group."""
    try:
        bus = await open_live_bus(bus_url)
    except Exception as exc:  # noqa: BLE001 - live columns are optional; say why they are missing
        return replace(catalog, live_error=f"bus not reachable: {type(exc).__name__}: {exc}")
    if bus is None:
        return replace(catalog, live_error="nothing deployed (no state file)")
    try:
        entries = []
        for entry in catalog.events:
            groups = set(await bus.groups(entry.name))
            subs = []
            for sub in entry.subscribers:
                if sub.integration in groups:
                    info = await bus.info(entry.name, sub.integration)
                    age = info.pending.oldest_age_s
                    sub = replace(sub, lag=info.lag, pending=info.pending.count,
                                  oldest_pending_age_s=None if age is None else round(age, 3))
                subs.append(sub)
            entries.append(replace(entry, subscribers=tuple(subs)))
        return replace(catalog, events=tuple(entries), live=bus.backend)
    finally:
        await bus.close()


# --- replay ---------------------------------------------------------------------------------------
_ID = re.compile(r"^\d+(-\d+)?$")


def parse_since(text: str, now: float | None = None) -> float | str:
    """`--since`: a message id of the bus (`123` embedded, `1700000000000-0` Redis) → the id; a duration
    (`90s`, `2h`, `1d`) → that long ago; an ISO 8601 time (no offset = UTC) → epoch seconds."""
    value = text.strip()
    if _ID.match(value):
        return value
    try:
        return (time.time() if now is None else now) - parse_duration(value)
    except (ValueError, TypeError):
        pass
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise EventsError(f"--since {text!r}: give a message id (123 or 1700000000000-0), a duration ago "
                          "(30m, 2h, 1d) or an ISO 8601 time (2025-03-04T09:00:00Z)") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


# Records written before migration 5 carry no event: a replay forgets those by commit time, as before. Such a
# record is written after its event was published, by the store's clock; the bus stamped the event by its
# own. Records from this long before the window are forgotten too, so a store clock slightly behind the
# bus's cannot keep a replayed event deduplicated.
CLOCK_TOLERANCE_S = 1.0


def _first_published_at(conn: sqlite3.Connection, topic: str, first_id: int) -> float | None:
    row = conn.execute("SELECT published_at FROM bus_messages WHERE topic = ? AND id >= ? ORDER BY id LIMIT 1",
                       (topic, first_id)).fetchone()
    return None if row is None else float(row[0])


def _first_id(conn: sqlite3.Connection, topic: str, first_id: int | None, at_time: float | None) -> int | None:
    """The first retained event a replay re-delivers (the bus's own choice: `_sqlite_ops.replay`)."""
    if first_id is not None:
        row = conn.execute("SELECT MIN(id) FROM bus_messages WHERE topic = ? AND id >= ?",
                           (topic, first_id)).fetchone()
    else:
        row = conn.execute("SELECT MIN(id) FROM bus_messages WHERE topic = ? AND published_at >= ?",
                           (topic, at_time)).fetchone()
    return None if row is None or row[0] is None else int(row[0])


def _check_position(bus: EventBus, position: float | str) -> None:
    if isinstance(position, float) or bus.backend == "redis":
        return
    if bus.backend != "sqlite":
        raise EventsError(f"--since {position!r}: a message id of the {bus.backend} bus cannot be placed in time; "
                          "give a time or a duration instead")
    if not position.isdigit():
        raise EventsError(f"--since {position!r}: ids of the embedded bus are integers (123)")


async def replay_window_start(bus: EventBus, topic: str, position: float | str) -> float | None:
    """When the first event a replay from `position` (`parse_since`) re-delivers was published, in epoch
    seconds; None when the topic holds no event from there on (an empty window).

    A time is its own start; a Redis id carries its millisecond time; an embedded id is looked up (the first
    retained event at or after it: older history is trimmed)."""
    _check_position(bus, position)
    if isinstance(position, float):
        return position
    if bus.backend == "redis":
        return int(position.split("-", 1)[0]) / 1000
    found: float | None = await cast(Any, bus).run(_first_published_at, topic, int(position))  # SqliteBus.run
    return found


async def replay_window_first(bus: EventBus, topic: str, position: float | str) -> str | None:
    """The message id a replay from `position` re-delivers first: on the embedded bus the first retained
    event at or after the id (or published at or after the time), None when there is none (an empty
    window); on Redis the position itself as an id (`ms-seq`; a time is its millisecond)."""
    _check_position(bus, position)
    if bus.backend == "redis":
        if isinstance(position, float):
            return f"{max(0, int(position * 1000))}-0"
        ms, _, seq = position.partition("-")
        return f"{int(ms)}-{int(seq or 0)}"
    first_id, at_time = (None, position) if isinstance(position, float) else (int(position), None)
    found = await cast(Any, bus).run(_first_id, topic, first_id, at_time)  # SqliteBus.run
    return None if found is None else str(found)


@dataclass(frozen=True)
class ReplayResult:
    event: str
    subscriber: str
    since: str
    backend: str
    lag: int  # messages the subscriber will now receive (again)
    idempotent: bool | None  # None when no deployed revision says
    idempotency_cleared: int | None  # records removed with --ignore-idempotency (all kinds), else None
    other_groups: tuple[str, ...]  # left untouched
    # with --ignore-idempotency, when the window holds an event (else None):
    # the records of the events from this message id on were forgotten (whenever they were committed) ...
    idempotency_cleared_from: str | None = None
    # ... and of the records written before state migration 5 (no event recorded), those committed at or
    # after this time (epoch s; the window's start less CLOCK_TOLERANCE_S): this many
    idempotency_cleared_since: float | None = None
    idempotency_cleared_legacy: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"format": "weave.events.replay/v1", **asdict(self)}


@dataclass(frozen=True)
class _Forgot:
    total: int
    legacy: int = 0
    first: str | None = None
    cutoff: float | None = None


async def _deployed_project(state: Any) -> Project | None:
    revision = await state.current_revision()
    if revision is None:
        return None
    return load_sources((revision.specs or {}).get("documents", [])).project


async def _forget_window(state: StateStore, bus: EventBus, event: str, position: float | str,
                         info: SubscriberInfo) -> _Forgot:
    """Forget the idempotency records (every target of the subscriber) of the events the replay window
    re-delivers: those whose recorded event is at or after the window's first, whenever they were committed.
    Records of older events stay, even when committed during the window (a late retry), so an older event
    that comes round again is still a duplicate. Records written before state migration 5 have no event:
    those committed since the window's first event was published (less the clock tolerance) are forgotten,
    the time-based rule they always had."""
    from weave.patterns.event_driven import event_position

    first = await replay_window_first(bus, event, position)
    start = await replay_window_start(bus, event, position)
    if first is None or start is None:
        return _Forgot(0)
    first_position = event_position(first, bus.backend)
    if first_position is None:  # not an id of this bus: refused before anything is forgotten
        raise EventsError(f"--since {position!r}: not a message id of the {bus.backend} bus")
    cutoff = start - CLOCK_TOLERANCE_S
    total = legacy = 0
    for target in info.targets:
        forgot = await state.idem_forget_events(f"{info.integration}:{target}", event, first_position,
                                                legacy_since=cutoff)
        total, legacy = total + forgot.total, legacy + forgot.legacy
    return _Forgot(total, legacy, first, cutoff)


async def replay_subscriber(*, state_url: str, bus_url: str, event: str, subscriber: str, since: str,
                            ignore_idempotency: bool = False) -> ReplayResult:
    """Re-deliver `event` history from `since` to the consumer group of ONE subscriber integration."""
    from weave.bus import BusError, open_bus
    from weave.state import open_state

    position = parse_since(since)
    state = await open_state(state_url)
    try:
        project = await _deployed_project(state)
        info: SubscriberInfo | None = None
        if project is not None:
            if event not in project.events:
                raise EventsError(f"event {event!r} is not in the deployed catalog; known: "
                                  f"{', '.join(sorted(project.events)) or '(none)'}")
            subs = sorted(n for n, i in project.integrations.items() if i.subscribes_to == event)
            if subscriber not in subs:
                raise EventsError(f"{subscriber!r} does not subscribe to {event}; its subscribers: "
                                  f"{', '.join(subs) or '(none)'}")
            info = _subscriber(project, subscriber)
        elif ignore_idempotency:
            raise EventsError("--ignore-idempotency needs a deployed revision (to know the subscriber's sinks)")
        bus = await open_bus(bus_url)
        try:
            groups = sorted(await bus.groups(event))
            if subscriber not in groups:
                raise EventsError(f"{subscriber!r} has no consumer group on {event} yet (it starts when "
                                  f"`weave serve` runs it); groups: {', '.join(groups) or '(none)'}")
            forgot = None
            if ignore_idempotency and info is not None:  # before the rewind: a running serve starts at once
                forgot = await _forget_window(state, bus, event, position, info)
            try:
                lag = await bus.replay(event, subscriber, position)
            except BusError as exc:  # e.g. a Redis id given to the embedded bus
                raise EventsError(f"--since {since!r}: {exc}") from None
            return ReplayResult(
                event, subscriber, since, bus.backend, lag, None if info is None else info.idempotent,
                None if forgot is None else forgot.total, tuple(g for g in groups if g != subscriber),
                idempotency_cleared_from=None if forgot is None else forgot.first,
                idempotency_cleared_since=None if forgot is None else forgot.cutoff,
                idempotency_cleared_legacy=None if forgot is None or forgot.first is None else forgot.legacy)
        finally:
            await bus.close()
    finally:
        await state.close()


class BaselineUnreadable(Exception):
    """The state file exists but its last revision cannot be read."""


# --- versioning baselines (offline) ------------------------------------------------------------------
def _events_of(documents: list[dict[str, Any]]) -> dict[str, Event]:
    return dict(load_sources(documents).project.events)


def state_baseline(state_url: str) -> tuple[dict[str, Event], str] | None:
    """The events of the last applied revision, read-only from a local SQLite state file; None if there is
    no such file or nothing was applied (PostgreSQL is never contacted: validate stays offline)."""
    path = sqlite_path(state_url)
    if path is None or not Path(path).is_file():
        return None
    import orjson

    try:
        with sqlite3.connect(f"file:{Path(path).resolve()}?mode=ro", uri=True) as db:
            row = db.execute("SELECT id, specs FROM weave_revisions ORDER BY id DESC LIMIT 1").fetchone()
    except sqlite3.OperationalError as exc:
        if "no such table" in str(exc):
            return None  # not a state store (yet)
        raise BaselineUnreadable(f"{path}: {exc}") from None
    except sqlite3.Error as exc:
        raise BaselineUnreadable(f"{path}: {exc}") from None
    if row is None:
        return None
    documents = [d for d in (orjson.loads(row[1]) or {}).get("documents", []) if d.get("kind") == "event"]
    return _events_of(documents), f"applied revision {row[0]}"


def ref_baseline(load: LoadResult, ref: str) -> dict[str, Event]:
    """The events in the same files at git revision `ref` (`git show`, no fetch). Raises GitRefError."""
    from weave.contracts.gitref import git_reader

    files = [f for f in load.project.files if f.endswith((".yaml", ".yml"))]
    if not files:
        return {}
    read = git_reader(ref, files[0])
    documents = []
    for file in files:
        try:
            text = read(file).decode("utf-8", errors="replace")
        except (KeyError, OSError):
            continue  # new file since the ref
        documents.append({"file": file, "line": 1, "text": text})
    return _events_of(documents)


def event_version_diagnostics(load: LoadResult, *, ref: str | None = None,
                              state_url: str | None = None) -> list[Diagnostic]:
    events = list(load.project.events.values())
    if not events:
        return []
    if ref is not None:
        from weave.contracts.gitref import GitRefError

        try:
            baseline = ref_baseline(load, ref)
        except GitRefError as exc:
            first = events[0]
            return [make("WV864", f"--events-against-ref {ref}: {exc}", first.doc.file, first.doc.line,
                         first.doc.column, ref=ref)]
        return check_event_versions(events, baseline, f"git {ref}")
    if state_url is None:
        return []
    try:
        found = state_baseline(state_url)
    except BaselineUnreadable as exc:
        first = events[0]
        return [make("WV864", f"event versioning: cannot read the last applied revision: {exc}", first.doc.file,
                     first.doc.line, first.doc.column)]
    if found is None:
        return []
    return check_event_versions(events, found[0], found[1])


def with_event_versions(result: ValidateResult, *, ref: str | None = None,
                        state_url: str | None = None) -> ValidateResult:
    """A validate result with the event versioning diagnostics added (same files, re-sorted)."""
    from weave.api.validate import ValidateResult

    found = event_version_diagnostics(result.load, ref=ref, state_url=state_url)
    if not found:
        return result
    diagnostics = sorted([*result.diagnostics, *found], key=lambda d: d.sort_key())
    return ValidateResult(load=result.load, diagnostics=diagnostics)


# --- status -----------------------------------------------------------------------------------------
async def subscriber_status(bus_url: str, documents: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """`weave status` columns of every deployed subscriber (lag, pending, oldest pending age), from the bus
    when it is reachable; `{}` otherwise (status reads the state store and must never fail on the bus)."""
    subs = {name: i.subscribes_to for name, i in load_sources(documents).project.integrations.items()
            if i.subscribes_to}
    if not subs:
        return {}
    try:
        bus = await open_live_bus(bus_url)
    except Exception:  # noqa: BLE001 - the bus is optional for status
        return {}
    if bus is None:
        return {}
    out: dict[str, dict[str, Any]] = {}
    try:
        groups: dict[str, set[str]] = {}
        for name, topic in sorted(subs.items()):
            if topic not in groups:
                groups[topic] = set(await bus.groups(topic))
            if name in groups[topic]:
                info = await bus.info(topic, name)
                age = info.pending.oldest_age_s
                out[name] = {"lag": info.lag, "pending": info.pending.count,
                             "oldest_pending_age_s": None if age is None else round(age, 3)}
    except Exception:  # noqa: BLE001
        return out
    finally:
        await bus.close()
    return out
