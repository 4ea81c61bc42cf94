"""Row values and errors of the state store. Timestamps are UTC epoch seconds (floats) throughout."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any

from weave.errors import TransientError, WeaveError

JSONDict = dict[str, Any]
Payload = bytes | JSONDict


class StateError(WeaveError):
    """The state store cannot do what was asked (bad URL, schema too new, unreachable database)."""


class StateUnavailableError(StateError, TransientError):
    """The database did not answer in time (busy file, lost connection): worth retrying."""


class StaleRevisionError(StateError):
    """`put_revision(expected_base=N)` was refused: another revision was written after N."""

    def __init__(self, expected: int, actual: int) -> None:
        super().__init__(f"the plan was made against revision {expected}, but revision {actual} is deployed now")
        self.expected = expected
        self.actual = actual


class LockHeldError(StateError):
    """`acquire_lock` gave up: someone else holds the lock (see `.info`)."""

    def __init__(self, info: LockInfo) -> None:
        super().__init__(
            f"lock {info.name!r} is held by {info.holder!r} since {info.acquired_at:.0f} "
            f"(expires {info.expires_at:.0f}); wait, or use force-unlock if the holder is gone"
        )
        self.info = info


@dataclass(frozen=True)
class RevisionMeta:
    git_commit: str | None = None
    author: str | None = None
    message: str | None = None
    created_at: float | None = None  # None: the store stamps the current time


@dataclass(frozen=True)
class Revision:
    id: int
    specs: Any  # the JSON value given to put_revision
    plan: Any
    git_commit: str | None
    author: str | None
    message: str | None
    created_at: float


@dataclass(frozen=True)
class RevisionSummary:
    """A revision without its (possibly large) specs and plan, for listings."""

    id: int
    git_commit: str | None
    author: str | None
    message: str | None
    created_at: float


@dataclass(frozen=True)
class LockInfo:
    name: str
    holder: str
    acquired_at: float
    expires_at: float
    info: JSONDict = field(default_factory=dict)


@dataclass(frozen=True)
class Lease:
    key: str
    holder: str
    acquired_at: float
    expires_at: float


@dataclass(frozen=True)
class QueueItem:
    id: int
    queue: str
    payload: Payload  # a dict if a dict was enqueued, bytes if bytes were
    key: str | None  # ordering key: items with the same key are handed out one at a time, in order
    headers: dict[str, str]
    enqueued_at: float
    attempts: int  # times claimed, including the current claim
    last_error: str | None
    claimed_by: str | None


@dataclass(frozen=True)
class QueueStats:
    queue: str
    depth: int  # all items not yet acked
    in_flight: int  # claimed and still invisible
    oldest_enqueued_at: float | None


@dataclass(frozen=True)
class DlqEntry:
    id: int
    integration: str
    payload: Payload
    error: str
    attempts: int
    revision: int | None
    source: str | None
    target: str | None
    key: str | None
    headers: dict[str, str]
    created_at: float
    replayed_at: float | None  # set once by dlq_mark_replayed


@dataclass(frozen=True)
class DlqStats:
    integration: str
    depth: int  # entries not yet replayed
    oldest_at: float | None
    oldest_age_s: float | None


class IdemStatus(enum.Enum):
    """Outcome of `idem_reserve`."""

    RESERVED = "reserved"  # go ahead and deliver, then idem_commit (or idem_release on failure)
    DUPLICATE = "duplicate"  # already committed: do not deliver again
    BUSY = "busy"  # another owner holds a live reservation: try later


@dataclass(frozen=True)
class IdemEvent:
    """The bus event an idempotency record was written for (stored with it since migration 5).

    `position` is the event's place in its topic as a string that sorts (byte order) like the topic's
    message order; the caller encodes it, the same way for every event of a topic. A replay forgets the
    records of its window with `idem_forget_events(scope, topic, first_position)`."""

    topic: str
    id: str  # the bus message id, as the bus gave it
    position: str


@dataclass(frozen=True)
class IdemForgotten:
    """What `idem_forget_events` removed."""

    events: int  # records of events at or after the window's first position
    legacy: int  # records written before migration 5 (no event recorded), removed by commit time

    @property
    def total(self) -> int:
        return self.events + self.legacy


@dataclass(frozen=True)
class RunRecord:
    id: int
    integration: str
    kind: str
    status: str  # "running" while not finished; then what run_finish said ("ok", "failed", ...), or "abandoned"
    started_at: float
    finished_at: float | None
    counts: JSONDict
    error: str | None
    revision: int | None
    worker: str | None
    lease_key: str | None = None  # the lease the run held (migration 3): no live lease of this holder = stale
    lease_holder: str | None = None

    @property
    def duration_s(self) -> float | None:
        return None if self.finished_at is None else self.finished_at - self.started_at


@dataclass(frozen=True)
class DeliveryStats:
    integration: str
    delivered: int
    failed: int
    last_success_at: float | None
    last_failure_at: float | None
    avg_latency_ms: float | None
    max_latency_ms: float | None

    @property
    def error_rate(self) -> float:
        total = self.delivered + self.failed
        return self.failed / total if total else 0.0


@dataclass(frozen=True)
class ApiKey:
    key_id: str
    consumer: str
    key_hash: str
    scopes: tuple[str, ...]
    created_at: float
    revoked_at: float | None

    @property
    def active(self) -> bool:
        return self.revoked_at is None
