"""The one async interface of the state store. Both backends implement it; so may a test fake.

Times are UTC epoch seconds (floats). JSON values go through orjson. Expiry decisions (locks,
leases, visibility timeouts, idempotency reservations) use the store's clock: the database
server's on PostgreSQL, so workers on different hosts agree.
"""

from __future__ import annotations

from collections.abc import Sequence
from types import TracebackType
from typing import Any, Literal, Protocol, runtime_checkable

from weave.state._alerts import Alert, Silence
from weave.state._types import (
    ApiKey,
    DeliveryStats,
    DlqEntry,
    DlqStats,
    IdemEvent,
    IdemForgotten,
    IdemStatus,
    JSONDict,
    Lease,
    LockInfo,
    Payload,
    QueueItem,
    QueueStats,
    Revision,
    RevisionMeta,
    RevisionSummary,
    RunRecord,
)


@runtime_checkable
class StateStore(Protocol):
    backend: str  # "sqlite" | "postgresql"
    url: str  # without a password

    async def close(self) -> None: ...
    async def __aenter__(self) -> StateStore: ...
    async def __aexit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None: ...
    async def schema_version(self) -> int: ...
    async def prune(self, before: float) -> dict[str, int]:
        """Delete finished runs, delivery buckets and replayed DLQ entries older than `before`."""
        ...

    # -- deployed revisions (append-only; a rollback writes a new revision) --------------------
    async def put_revision(
        self, specs: Any, plan: Any, meta: RevisionMeta | None = None, *, expected_base: int | None = None
    ) -> int:
        """Write revision latest+1 and return its number. With `expected_base`, refuse with
        StaleRevisionError unless the latest revision is still that one (0: none yet)."""
        ...
    async def get_revision(self, ref: int | Literal["latest"] = "latest") -> Revision | None: ...
    async def current_revision(self) -> Revision | None:
        """The deployed revision: the latest one."""
        ...
    async def list_revisions(self, limit: int = 50) -> list[RevisionSummary]:
        """Newest first, without specs and plans."""
        ...
    async def latest_revision_id(self) -> int:
        """A cheap poll for change notification: 0 when nothing is deployed."""
        ...

    # -- the apply lock ------------------------------------------------------------------------
    async def acquire_lock(
        self, name: str, holder: str, *, ttl: float = 900.0, timeout: float = 0.0, info: JSONDict | None = None
    ) -> LockInfo:
        """Take (or, for the same holder, extend) the lock for `ttl` seconds, waiting up to `timeout`.
        Raises LockHeldError carrying the current holder's LockInfo. An expired lock is free."""
        ...
    async def release_lock(self, name: str, holder: str) -> bool: ...
    async def force_unlock(self, name: str) -> LockInfo | None:
        """Remove the lock whoever holds it; returns what was removed."""
        ...
    async def lock_info(self, name: str) -> LockInfo | None:
        """The live (unexpired) lock, if any."""
        ...

    # -- leases (one holder per key across processes; expire unless renewed) --------------------
    async def acquire_lease(self, key: str, holder: str, ttl: float) -> bool: ...
    async def renew_lease(self, key: str, holder: str, ttl: float) -> bool:
        """False if the lease expired or belongs to someone else: stop the work it guarded."""
        ...
    async def release_lease(self, key: str, holder: str) -> bool: ...
    async def lease_info(self, key: str) -> Lease | None: ...

    # -- the hub queue ---------------------------------------------------------------------------
    async def enqueue(
        self, queue: str, payload: Payload | Any, *, key: str | None = None,
        headers: dict[str, str] | None = None, delay: float = 0.0,
    ) -> int:
        """Durably store one item (committed when this returns). Items sharing `key` are
        handed out one at a time in enqueue order (per-key ordering); keyless items in any order."""
        ...
    async def enqueue_many(
        self, queue: str, payloads: Sequence[Payload | Any], *, keys: Sequence[str | None] | None = None,
        headers: dict[str, str] | None = None,
    ) -> list[int]:
        """Enqueue several items in one transaction."""
        ...
    async def claim(
        self, queue: str, worker: str, *, limit: int = 10, visibility_timeout: float = 30.0
    ) -> list[QueueItem]:
        """Up to `limit` visible items in the order they became visible (enqueue order; a nacked
        item rejoins after its delay), returned sorted by id. They stay invisible to others for
        `visibility_timeout` seconds; unless acked by then they come back (at-least-once). Only the
        oldest item of each ordering key is claimable. Counts an attempt each. Costs O(limit),
        however long the backlog."""
        ...
    async def ack(self, ids: Sequence[int] | int, *, worker: str | None = None) -> int:
        """Delete processed items (only those still claimed by `worker`, if given)."""
        ...
    async def nack(
        self, item_id: int, *, delay: float = 0.0, error: str | None = None, worker: str | None = None
    ) -> bool:
        """Give an item back, visible again after `delay` seconds, recording `error`."""
        ...
    async def extend_visibility(self, ids: Sequence[int] | int, worker: str, visibility_timeout: float) -> int: ...
    async def queue_depth(self, queue: str) -> int: ...
    async def queue_stats(self, queue: str) -> QueueStats: ...

    # -- the dead-letter store -------------------------------------------------------------------
    async def dlq_put(
        self, integration: str, payload: Payload | Any, error: str, *, attempts: int = 1,
        revision: int | None = None, source: str | None = None, target: str | None = None,
        key: str | None = None, headers: dict[str, str] | None = None,
    ) -> int: ...
    async def dlq_list(
        self, integration: str | None = None, *, limit: int = 100, include_replayed: bool = False,
        after_id: int | None = None,
    ) -> list[DlqEntry]:
        """Oldest first; replayed entries only with `include_replayed`; page on with `after_id`."""
        ...
    async def dlq_get(self, entry_id: int) -> DlqEntry | None: ...
    async def dlq_mark_replayed(self, entry_id: int) -> bool:
        """True the first time only, so a repeated replay can tell it already happened."""
        ...
    async def dlq_purge(self, integration: str | None = None, ids: Sequence[int] | None = None) -> int:
        """Delete entries matching both filters (no filter: all); the number deleted."""
        ...
    async def dlq_stats(self) -> list[DlqStats]:
        """Depth and oldest age per integration, over entries not yet replayed."""
        ...

    # -- idempotency -----------------------------------------------------------------------------
    async def idem_check_and_set(self, scope: str, key: str, *, event: IdemEvent | None = None) -> bool:
        """Atomically record `key` as done (for `event`, when given); True only for the one caller that
        recorded it."""
        ...
    async def idem_seen(self, scope: str, key: str) -> bool:
        """True if committed (a live reservation is not 'seen')."""
        ...
    async def idem_event(self, scope: str, key: str) -> IdemEvent | None:
        """The event recorded with `key`'s record; None without a record or an event (written before
        migration 5, or by a delivery that came from no bus event)."""
        ...
    async def idem_forget(
        self, scope: str, key: str | None = None, *, older_than: float | None = None, since: float | None = None
    ) -> int:
        """Delete `scope`'s records (committed keys and reservations), all of them or only `key`, and only
        those recorded before `older_than` and/or at or after `since` (both: the range [since, older_than)).
        A record's time is when it was last written: the commit, for a delivered key (store's clock).
        Returns how many were deleted."""
        ...
    async def idem_forget_events(
        self, scope: str, topic: str, from_position: str, *, legacy_since: float | None = None
    ) -> IdemForgotten:
        """Forget the records (committed keys and reservations) of `scope` written for events of `topic` at
        or after `from_position` (`IdemEvent.position`): a replay window, whenever the records were
        committed. Records of older events, of other topics, or with no event are kept. With
        `legacy_since`, also the records written before migration 5 (no event known) at or after that
        time (store's clock). One transaction."""
        ...
    async def idem_reserve(
        self, scope: str, key: str, owner: str, ttl: float, *, event: IdemEvent | None = None
    ) -> IdemStatus:
        """Two-phase, for exactly-once sinks: RESERVED (deliver, then idem_commit), DUPLICATE
        (already committed), or BUSY (another owner's reservation is live). A reservation left by
        a crashed owner expires after `ttl` and can then be taken over. `event` is recorded with it."""
        ...
    async def idem_commit(
        self, scope: str, key: str, owner: str | None = None, *, event: IdemEvent | None = None
    ) -> bool:
        """Commit a reservation (or record `key` outright); without `event`, the reservation's is kept."""
        ...
    async def idem_release(self, scope: str, key: str, owner: str) -> bool:
        """Drop a reservation after a failed delivery, so a retry may proceed at once."""
        ...

    # -- cursors ---------------------------------------------------------------------------------
    async def get_cursor(self, name: str) -> JSONDict | None: ...
    async def set_cursor(self, name: str, value: JSONDict) -> None: ...
    async def delete_cursor(self, name: str) -> bool: ...

    # -- run history -----------------------------------------------------------------------------
    async def run_start(
        self, integration: str, kind: str, *, revision: int | None = None, worker: str | None = None,
        lease_key: str | None = None, lease_holder: str | None = None,
    ) -> int:
        """A `running` row. `lease_key`/`lease_holder`: the lease (in this store) the run holds while alive."""
        ...
    async def run_finish(
        self, run_id: int, status: str, counts: JSONDict | None = None, error: str | None = None
    ) -> None:
        """The run's end. Also over an `abandoned` row: a worker presumed lost that comes back has the last word."""
        ...
    async def run_lease_renewed(self, lease_key: str, lease_holder: str, ttl: float) -> int:
        """The `running` rows holding this lease record its renewal time (`alive_at`, migration 4)."""
        ...
    async def run_abandon_running(
        self, integration: str, kind: str, error: str, *, keep: int | None = None
    ) -> list[int]:
        """Every `running` row of integration/kind but `keep` becomes `abandoned`, ended when its worker was last
        known alive (its lease's last renewal, else its start): for the lease holder, who alone can run the job."""
        ...
    async def run_abandon_stale(self, error: str) -> list[int]:
        """Every `running` row whose recorded lease its holder no longer holds becomes `abandoned`, ended at its
        lease's last renewal (else its start)."""
        ...
    async def run_get(self, run_id: int) -> RunRecord | None: ...
    async def runs(
        self, integration: str | None = None, *, limit: int = 50, kind: str | None = None
    ) -> list[RunRecord]:
        """Newest first."""
        ...

    # -- delivery stats (per-minute buckets) -----------------------------------------------------
    async def record_delivery(
        self, integration: str, ok: bool, latency_ms: float, *, count: int = 1, at: float | None = None
    ) -> None: ...
    async def delivery_stats(self, integration: str, since: float) -> DeliveryStats: ...
    async def delivery_stats_all(self, since: float) -> list[DeliveryStats]: ...

    # -- consumer API keys (hashes only, never the key) --------------------------------------------
    async def key_put(
        self, consumer: str, key_id: str, key_hash: str, scopes: Sequence[str], created_at: float | None = None
    ) -> None: ...
    async def key_revoke(self, key_id: str) -> bool: ...
    async def key_list(self, consumer: str | None = None) -> list[ApiKey]: ...
    async def key_lookup(self, key_hash: str) -> ApiKey | None:
        """The active (not revoked) key with this hash."""
        ...

    # -- SLO alerts and silences (weave.ownership) -------------------------------------------------
    async def alerts_open(self, integration: str, slo: str, message: str, *, owner: str | None = None,
                          detail: JSONDict | None = None, at: float | None = None) -> tuple[Alert, bool]:
        """The open alert of (integration, slo), and True if this call opened it: one open alert per pair."""
        ...
    async def alerts_get(self, alert_id: int) -> Alert | None: ...
    async def alerts_resolve(self, alert_id: int, *, at: float | None = None) -> bool:
        """True only for the call that resolved it."""
        ...
    async def alerts_ack(self, alert_id: int, by: str | None = None) -> bool: ...
    async def alerts_escalate(self, alert_id: int, *, at: float | None = None) -> bool:
        """Mark an open, unacknowledged alert escalated; True only once."""
        ...
    async def alerts_list(self, *, status: str | None = None, integration: str | None = None,
                          limit: int = 100) -> list[Alert]:
        """Newest first."""
        ...
    async def alerts_silence(self, integration: str, until: float, *, by: str | None = None,
                             reason: str | None = None) -> Silence: ...
    async def alerts_silences(self, *, active_at: float | None = None) -> list[Silence]: ...
