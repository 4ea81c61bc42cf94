"""Idempotency records, cursors, run history, delivery stats and consumer API keys."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from weave.state._codec import dumps, loads
from weave.state._driver import Driver, Row, greatest
from weave.state._types import (
    ApiKey,
    DeliveryStats,
    IdemEvent,
    IdemForgotten,
    IdemStatus,
    JSONDict,
    RunRecord,
    StateError,
)

_RUN_COLS = ("id, integration, kind, status, started_at, finished_at, counts, error, revision, worker, lease_key, "
             "lease_holder")
_KEY_COLS = "key_id, consumer, key_hash, scopes, created_at, revoked_at"
BUCKET_S = 60
_IDEM_COLS = "scope, key, state, owner, expires_at, created_at, event, event_id, event_pos, legacy"
_IDEM_EVENT_SET = "event = excluded.event, event_id = excluded.event_id, event_pos = excluded.event_pos, legacy = 0"
# An abandoned run's end: its lease's last renewal (migration 4), else its start (no later evidence of life).
_LAST_ALIVE = "COALESCE(alive_at, started_at)"
# A running row whose recorded lease its holder no longer holds, on the store's clock.
_STALE = """status = 'running' AND lease_key IS NOT NULL AND NOT EXISTS (
    SELECT 1 FROM weave_leases l WHERE l.key = weave_runs.lease_key
      AND l.holder = weave_runs.lease_holder AND l.expires_at > weave_now())"""


def _run(row: Row) -> RunRecord:
    return RunRecord(
        id=int(row[0]), integration=row[1], kind=row[2], status=row[3], started_at=float(row[4]),
        finished_at=None if row[5] is None else float(row[5]), counts=loads(row[6], {}), error=row[7],
        revision=None if row[8] is None else int(row[8]), worker=row[9], lease_key=row[10], lease_holder=row[11],
    )


def _key(row: Row) -> ApiKey:
    return ApiKey(key_id=row[0], consumer=row[1], key_hash=row[2], scopes=tuple(loads(row[3], [])),
                  created_at=float(row[4]), revoked_at=None if row[5] is None else float(row[5]))


def _event_params(event: IdemEvent | None) -> tuple[str | None, str | None, str | None]:
    return (None, None, None) if event is None else (event.topic, event.id, event.position)


def _opt(value: Any) -> float | None:
    return None if value is None else float(value)


class RecordsMixin:
    _db: Driver

    # -- idempotency ---------------------------------------------------------------------------
    # Every write stores the record's event (migration 5; NULLs without one) and legacy = 0: only rows that
    # predate migration 5 keep the column's default 1.
    async def idem_check_and_set(self, scope: str, key: str, *, event: IdemEvent | None = None) -> bool:
        row = await self._db.fetchone(
            f"""INSERT INTO weave_idem ({_IDEM_COLS})
            VALUES (%s, %s, 'committed', NULL, NULL, weave_now(), %s, %s, %s, 0)
            ON CONFLICT (scope, key) DO UPDATE SET state = 'committed', owner = NULL, expires_at = NULL,
                created_at = excluded.created_at, {_IDEM_EVENT_SET}
            WHERE weave_idem.state = 'reserved' AND weave_idem.expires_at <= weave_now()
            RETURNING scope""",
            (scope, key, *_event_params(event)),
            write=True,
        )
        return row is not None

    async def idem_seen(self, scope: str, key: str) -> bool:
        row = await self._db.fetchone(
            "SELECT 1 FROM weave_idem WHERE scope = %s AND key = %s AND state = 'committed'", (scope, key)
        )
        return row is not None

    async def idem_event(self, scope: str, key: str) -> IdemEvent | None:
        row = await self._db.fetchone(
            "SELECT event, event_id, event_pos FROM weave_idem WHERE scope = %s AND key = %s", (scope, key)
        )
        return None if row is None or row[0] is None else IdemEvent(row[0], row[1], row[2])

    async def idem_forget(self, scope: str, key: str | None = None, *, older_than: float | None = None,
                          since: float | None = None) -> int:
        sql, params = "DELETE FROM weave_idem WHERE scope = %s", list[Any]([scope])
        if key is not None:
            sql += " AND key = %s"
            params.append(key)
        if older_than is not None:
            sql += " AND created_at < %s"
            params.append(float(older_than))
        if since is not None:
            sql += " AND created_at >= %s"
            params.append(float(since))
        return await self._db.execute(sql, params)

    async def idem_forget_events(self, scope: str, topic: str, from_position: str, *,
                                 legacy_since: float | None = None) -> IdemForgotten:
        async with self._db.transaction() as tx:
            events = await tx.execute(
                "DELETE FROM weave_idem WHERE scope = %s AND event = %s AND event_pos >= %s",
                (scope, topic, from_position),
            )
            legacy = 0
            if legacy_since is not None:
                legacy = await tx.execute(
                    "DELETE FROM weave_idem WHERE scope = %s AND legacy = 1 AND created_at >= %s",
                    (scope, float(legacy_since)),
                )
        return IdemForgotten(events, legacy)

    async def idem_reserve(self, scope: str, key: str, owner: str, ttl: float, *,
                           event: IdemEvent | None = None) -> IdemStatus:
        if ttl <= 0:
            raise StateError(f"ttl must be positive, got {ttl}")
        row = await self._db.fetchone(
            f"""INSERT INTO weave_idem ({_IDEM_COLS})
            VALUES (%s, %s, 'reserved', %s, weave_now() + %s, weave_now(), %s, %s, %s, 0)
            ON CONFLICT (scope, key) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at,
                created_at = excluded.created_at, {_IDEM_EVENT_SET}
            WHERE weave_idem.state = 'reserved'
              AND (weave_idem.owner = excluded.owner OR weave_idem.expires_at <= weave_now())
            RETURNING scope""",
            (scope, key, owner, float(ttl), *_event_params(event)),
            write=True,
        )
        if row is not None:
            return IdemStatus.RESERVED
        state = await self._db.fetchone("SELECT state FROM weave_idem WHERE scope = %s AND key = %s", (scope, key))
        return IdemStatus.DUPLICATE if state and state[0] == "committed" else IdemStatus.BUSY

    async def idem_commit(self, scope: str, key: str, owner: str | None = None, *,
                          event: IdemEvent | None = None) -> bool:
        # without an event, a commit keeps the one its reservation recorded
        sql = f"""INSERT INTO weave_idem ({_IDEM_COLS})
            VALUES (%s, %s, 'committed', NULL, NULL, weave_now(), %s, %s, %s, 0)
            ON CONFLICT (scope, key) DO UPDATE SET state = 'committed', owner = NULL, expires_at = NULL,
                created_at = excluded.created_at, legacy = 0,
                event = COALESCE(excluded.event, weave_idem.event),
                event_id = CASE WHEN excluded.event IS NULL THEN weave_idem.event_id ELSE excluded.event_id END,
                event_pos = CASE WHEN excluded.event IS NULL THEN weave_idem.event_pos ELSE excluded.event_pos END
            WHERE weave_idem.state = 'reserved'"""
        params: list[Any] = [scope, key, *_event_params(event)]
        if owner is not None:
            sql += " AND (weave_idem.owner = %s OR weave_idem.expires_at <= weave_now())"
            params.append(owner)
        row = await self._db.fetchone(sql + " RETURNING scope", params, write=True)
        return row is not None

    async def idem_release(self, scope: str, key: str, owner: str) -> bool:
        touched = await self._db.execute(
            "DELETE FROM weave_idem WHERE scope = %s AND key = %s AND state = 'reserved' AND owner = %s",
            (scope, key, owner),
        )
        return touched > 0

    # -- cursors -------------------------------------------------------------------------------
    async def get_cursor(self, name: str) -> JSONDict | None:
        row = await self._db.fetchone("SELECT value FROM weave_cursors WHERE name = %s", (name,))
        return loads(row[0]) if row else None

    async def set_cursor(self, name: str, value: JSONDict) -> None:
        await self._db.execute(
            """INSERT INTO weave_cursors (name, value, updated_at) VALUES (%s, %s, weave_now())
            ON CONFLICT (name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at""",
            (name, dumps(value)),
        )

    async def delete_cursor(self, name: str) -> bool:
        return await self._db.execute("DELETE FROM weave_cursors WHERE name = %s", (name,)) > 0

    # -- run history ---------------------------------------------------------------------------
    async def run_start(
        self, integration: str, kind: str, *, revision: int | None = None, worker: str | None = None,
        lease_key: str | None = None, lease_holder: str | None = None,
    ) -> int:
        row = await self._db.fetchone(
            """INSERT INTO weave_runs (integration, kind, status, started_at, counts, revision, worker, lease_key,
                lease_holder)
            VALUES (%s, %s, 'running', weave_now(), '{}', %s, %s, %s, %s) RETURNING id""",
            (integration, kind, revision, worker, lease_key, lease_holder),
            write=True,
        )
        assert row is not None
        return int(row[0])

    async def run_finish(
        self, run_id: int, status: str, counts: JSONDict | None = None, error: str | None = None
    ) -> None:
        if status == "running":
            raise StateError("run_finish needs a final status (ok, failed, ...), not 'running'")
        touched = await self._db.execute(
            "UPDATE weave_runs SET status = %s, finished_at = weave_now(), counts = %s, error = %s WHERE id = %s",
            (status, dumps(counts or {}), error, int(run_id)),
        )
        if not touched:
            raise StateError(f"unknown run id {run_id}")

    async def run_lease_renewed(self, lease_key: str, lease_holder: str, ttl: float) -> int:
        """Record on the `running` rows holding this lease that it was just renewed for `ttl` seconds: `alive_at`
        becomes the lease's renewal time (its expiry minus `ttl`, as the lease table has it), the evidence of when
        the worker was last alive should it die. How many rows were stamped."""
        return await self._db.execute(
            """UPDATE weave_runs SET alive_at = COALESCE((SELECT l.expires_at - %s FROM weave_leases l
                WHERE l.key = weave_runs.lease_key AND l.holder = weave_runs.lease_holder), alive_at)
            WHERE status = 'running' AND lease_key = %s AND lease_holder = %s""",
            (float(ttl), lease_key, lease_holder),
        )

    async def run_abandon_running(
        self, integration: str, kind: str, error: str, *, keep: int | None = None
    ) -> list[int]:
        """Mark every `running` row of `integration`/`kind` but `keep` `abandoned` (with `error`); their ids.
        Only for a caller holding the job's exclusive lease: no other run of it can be alive. A row's end time is
        when its worker was last known alive (`_LAST_ALIVE`), not now."""
        rows = await self._db.fetchall(
            f"""UPDATE weave_runs SET status = 'abandoned', finished_at = {_LAST_ALIVE}, error = %s
            WHERE integration = %s AND kind = %s AND status = 'running' AND id <> %s RETURNING id""",
            (error, integration, kind, -1 if keep is None else int(keep)),
            write=True,
        )
        return sorted(int(r[0]) for r in rows)

    async def run_abandon_stale(self, error: str) -> list[int]:
        """Mark `abandoned` every `running` row that recorded a lease its holder no longer holds (expired
        unrenewed, released or taken over); their ids. Rows without a recorded lease are left alone. A row's end
        time is when its worker was last known alive (`_LAST_ALIVE`), not now.

        A read first (the running rows, by index): the write, which takes SQLite's write lock, only when some
        row is stale, so the status page can call this on every refresh."""
        if not await self._db.fetchall(f"SELECT id FROM weave_runs WHERE {_STALE} LIMIT 1"):
            return []
        rows = await self._db.fetchall(
            f"""UPDATE weave_runs SET status = 'abandoned', finished_at = {_LAST_ALIVE}, error = %s
            WHERE {_STALE} RETURNING id""",
            (error,),
            write=True,
        )
        return sorted(int(r[0]) for r in rows)

    async def run_get(self, run_id: int) -> RunRecord | None:
        row = await self._db.fetchone(f"SELECT {_RUN_COLS} FROM weave_runs WHERE id = %s", (int(run_id),))
        return _run(row) if row else None

    async def runs(
        self, integration: str | None = None, *, limit: int = 50, kind: str | None = None
    ) -> list[RunRecord]:
        where, params = ["1 = 1"], list[Any]()
        if integration is not None:
            where.append("integration = %s")
            params.append(integration)
        if kind is not None:
            where.append("kind = %s")
            params.append(kind)
        rows = await self._db.fetchall(
            f"SELECT {_RUN_COLS} FROM weave_runs WHERE {' AND '.join(where)} ORDER BY id DESC LIMIT %s",
            [*params, int(limit)],
        )
        return [_run(r) for r in rows]

    # -- delivery stats --------------------------------------------------------------------------
    async def record_delivery(
        self, integration: str, ok: bool, latency_ms: float, *, count: int = 1, at: float | None = None
    ) -> None:
        now = time.time() if at is None else float(at)
        bucket = int(now // BUCKET_S) * BUCKET_S
        delivered, failed = (count, 0) if ok else (0, count)
        await self._db.execute(
            f"""INSERT INTO weave_delivery (integration, bucket, delivered, failed, latency_sum, latency_max,
                last_success_at, last_failure_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)
            ON CONFLICT (integration, bucket) DO UPDATE SET
                delivered = weave_delivery.delivered + excluded.delivered,
                failed = weave_delivery.failed + excluded.failed,
                latency_sum = weave_delivery.latency_sum + excluded.latency_sum,
                latency_max = {greatest('latency_max', 'weave_delivery')},
                last_success_at = {greatest('last_success_at', 'weave_delivery')},
                last_failure_at = {greatest('last_failure_at', 'weave_delivery')}""",
            (integration, bucket, delivered, failed, float(latency_ms) * count, float(latency_ms),
             now if ok else None, None if ok else now),
        )

    _STATS = """SELECT integration,
            coalesce(sum(CASE WHEN bucket >= %s THEN delivered ELSE 0 END), 0),
            coalesce(sum(CASE WHEN bucket >= %s THEN failed ELSE 0 END), 0),
            max(last_success_at), max(last_failure_at),
            sum(CASE WHEN bucket >= %s THEN latency_sum ELSE 0 END),
            max(CASE WHEN bucket >= %s THEN latency_max END)
        FROM weave_delivery"""

    @staticmethod
    def _stats(row: Row) -> DeliveryStats:
        delivered, failed = int(row[1]), int(row[2])
        total = delivered + failed
        return DeliveryStats(
            integration=row[0], delivered=delivered, failed=failed, last_success_at=_opt(row[3]),
            last_failure_at=_opt(row[4]), avg_latency_ms=float(row[5]) / total if total else None,
            max_latency_ms=_opt(row[6]) if total else None,
        )

    async def delivery_stats(self, integration: str, since: float) -> DeliveryStats:
        """Counts since `since` (minute resolution); last success/failure over all retained buckets."""
        start = int(since // BUCKET_S) * BUCKET_S
        row = await self._db.fetchone(
            self._STATS + " WHERE integration = %s GROUP BY integration", (start, start, start, start, integration)
        )
        if row is None:
            return DeliveryStats(integration, 0, 0, None, None, None, None)
        return self._stats(row)

    async def delivery_stats_all(self, since: float) -> list[DeliveryStats]:
        start = int(since // BUCKET_S) * BUCKET_S
        rows = await self._db.fetchall(
            self._STATS + " GROUP BY integration ORDER BY integration", (start, start, start, start)
        )
        return [self._stats(r) for r in rows]

    # -- consumer API keys ---------------------------------------------------------------------
    async def key_put(
        self, consumer: str, key_id: str, key_hash: str, scopes: Sequence[str], created_at: float | None = None
    ) -> None:
        if isinstance(scopes, str):
            raise StateError("scopes must be a list of strings, not one string")
        await self._db.execute(
            f"""INSERT INTO weave_api_keys ({_KEY_COLS}) VALUES (%s, %s, %s, %s, coalesce(%s, weave_now()), NULL)
            ON CONFLICT (key_id) DO UPDATE SET consumer = excluded.consumer, key_hash = excluded.key_hash,
                scopes = excluded.scopes, created_at = excluded.created_at, revoked_at = NULL""",
            (key_id, consumer, key_hash, dumps(list(scopes)), created_at),
        )

    async def key_revoke(self, key_id: str) -> bool:
        touched = await self._db.execute(
            "UPDATE weave_api_keys SET revoked_at = weave_now() WHERE key_id = %s AND revoked_at IS NULL", (key_id,)
        )
        return touched > 0

    async def key_list(self, consumer: str | None = None) -> list[ApiKey]:
        if consumer is None:
            rows = await self._db.fetchall(f"SELECT {_KEY_COLS} FROM weave_api_keys ORDER BY consumer, key_id")
        else:
            rows = await self._db.fetchall(
                f"SELECT {_KEY_COLS} FROM weave_api_keys WHERE consumer = %s ORDER BY key_id", (consumer,)
            )
        return [_key(r) for r in rows]

    async def key_lookup(self, key_hash: str) -> ApiKey | None:
        row = await self._db.fetchone(
            f"SELECT {_KEY_COLS} FROM weave_api_keys WHERE key_hash = %s AND revoked_at IS NULL", (key_hash,)
        )
        return _key(row) if row else None
