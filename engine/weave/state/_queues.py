"""The hub's durable work queue and the dead-letter store."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from weave.state._codec import decode_payload, encode_headers, encode_payload, loads
from weave.state._driver import Driver, Row, placeholders
from weave.state._types import DlqEntry, DlqStats, Payload, QueueItem, QueueStats, StateError

_ITEM_COLS = "id, queue, payload, is_json, key, headers, enqueued_at, attempts, last_error, claimed_by"
_DLQ_COLS = (
    "id, integration, payload, is_json, error, attempts, revision, source, target, key, headers, "
    "created_at, replayed_at"
)


def _item(row: Row) -> QueueItem:
    return QueueItem(
        id=int(row[0]), queue=row[1], payload=decode_payload(row[2], row[3]), key=row[4],
        headers=loads(row[5], {}), enqueued_at=float(row[6]), attempts=int(row[7]), last_error=row[8],
        claimed_by=row[9],
    )


def _dlq(row: Row) -> DlqEntry:
    return DlqEntry(
        id=int(row[0]), integration=row[1], payload=decode_payload(row[2], row[3]), error=row[4],
        attempts=int(row[5]), revision=None if row[6] is None else int(row[6]), source=row[7], target=row[8],
        key=row[9], headers=loads(row[10], {}), created_at=float(row[11]),
        replayed_at=None if row[12] is None else float(row[12]),
    )


def _ids(ids: Sequence[int] | int) -> list[int]:
    return [ids] if isinstance(ids, int) else [int(i) for i in ids]


class QueueMixin:
    _db: Driver

    # -- the hub queue -----------------------------------------------------------------------
    _ENQUEUE = (
        "INSERT INTO weave_queue (queue, payload, is_json, key, headers, enqueued_at, visible_at) "
        "VALUES (%s, %s, %s, %s, %s, weave_now(), weave_now() + %s) RETURNING id"
    )

    async def enqueue(
        self, queue: str, payload: Payload | Any, *, key: str | None = None,
        headers: dict[str, str] | None = None, delay: float = 0.0,
    ) -> int:
        data, is_json = encode_payload(payload)
        row = await self._db.fetchone(
            self._ENQUEUE, (queue, data, is_json, key, encode_headers(headers), float(delay)), write=True
        )
        assert row is not None
        return int(row[0])

    async def enqueue_many(
        self, queue: str, payloads: Sequence[Payload | Any], *, keys: Sequence[str | None] | None = None,
        headers: dict[str, str] | None = None,
    ) -> list[int]:
        if keys is not None and len(keys) != len(payloads):
            raise StateError(f"enqueue_many got {len(payloads)} payloads but {len(keys)} keys")
        head = encode_headers(headers)
        rows = []
        for i, payload in enumerate(payloads):
            data, is_json = encode_payload(payload)
            rows.append((queue, data, is_json, None if keys is None else keys[i], head, 0.0))
        return [int(r[0]) for r in await self._db.fetch_each(self._ENQUEUE, rows)]

    async def claim(
        self, queue: str, worker: str, *, limit: int = 10, visibility_timeout: float = 30.0
    ) -> list[QueueItem]:
        if limit <= 0:
            return []
        if visibility_timeout <= 0:
            raise StateError(f"visibility_timeout must be positive, got {visibility_timeout}")
        rows = await self._db.fetchall(
            f"""WITH c AS (
                SELECT q.id FROM weave_queue q
                WHERE q.queue = %s AND q.head = 1 AND q.visible_at <= weave_now()
                ORDER BY q.visible_at, q.id LIMIT %s{self._db.dialect.skip_locked})
            UPDATE weave_queue SET visible_at = weave_now() + %s, attempts = attempts + 1,
                claimed_by = %s, claimed_at = weave_now()
            WHERE id IN (SELECT id FROM c)
            RETURNING {_ITEM_COLS}""",
            (queue, int(limit), float(visibility_timeout), worker),
            write=True,
        )
        return sorted((_item(r) for r in rows), key=lambda item: item.id)

    async def ack(self, ids: Sequence[int] | int, *, worker: str | None = None) -> int:
        id_list = _ids(ids)
        if not id_list:
            return 0
        sql = f"DELETE FROM weave_queue WHERE id IN ({placeholders(len(id_list))})"
        params: list[Any] = list(id_list)
        if worker is not None:
            sql += " AND claimed_by = %s"
            params.append(worker)
        return await self._db.execute(sql, params)

    async def nack(
        self, item_id: int, *, delay: float = 0.0, error: str | None = None, worker: str | None = None
    ) -> bool:
        sql = "UPDATE weave_queue SET visible_at = weave_now() + %s, last_error = %s, claimed_by = NULL WHERE id = %s"
        params: list[Any] = [float(max(delay, 0.0)), error, int(item_id)]
        if worker is not None:
            sql += " AND claimed_by = %s"
            params.append(worker)
        return await self._db.execute(sql, params) > 0

    async def extend_visibility(self, ids: Sequence[int] | int, worker: str, visibility_timeout: float) -> int:
        id_list = _ids(ids)
        if not id_list:
            return 0
        return await self._db.execute(
            f"UPDATE weave_queue SET visible_at = weave_now() + %s "
            f"WHERE id IN ({placeholders(len(id_list))}) AND claimed_by = %s",
            [float(visibility_timeout), *id_list, worker],
        )

    async def queue_depth(self, queue: str) -> int:
        row = await self._db.fetchone("SELECT count(*) FROM weave_queue WHERE queue = %s", (queue,))
        return int(row[0]) if row else 0

    async def queue_stats(self, queue: str) -> QueueStats:
        row = await self._db.fetchone(
            """SELECT count(*), coalesce(sum(CASE WHEN visible_at > weave_now() AND claimed_by IS NOT NULL
                   THEN 1 ELSE 0 END), 0), min(enqueued_at)
            FROM weave_queue WHERE queue = %s""",
            (queue,),
        )
        assert row is not None
        return QueueStats(queue, int(row[0]), int(row[1]), None if row[2] is None else float(row[2]))

    # -- the dead-letter store ---------------------------------------------------------------
    async def dlq_put(
        self, integration: str, payload: Payload | Any, error: str, *, attempts: int = 1,
        revision: int | None = None, source: str | None = None, target: str | None = None,
        key: str | None = None, headers: dict[str, str] | None = None,
    ) -> int:
        data, is_json = encode_payload(payload)
        row = await self._db.fetchone(
            """INSERT INTO weave_dlq (integration, payload, is_json, error, attempts, revision, source, target,
                key, headers, created_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, weave_now()) RETURNING id""",
            (integration, data, is_json, str(error), int(attempts), revision, source, target, key,
             encode_headers(headers)),
            write=True,
        )
        assert row is not None
        return int(row[0])

    async def dlq_list(
        self, integration: str | None = None, *, limit: int = 100, include_replayed: bool = False,
        after_id: int | None = None,
    ) -> list[DlqEntry]:
        where, params = ["1 = 1"], list[Any]()
        if integration is not None:
            where.append("integration = %s")
            params.append(integration)
        if after_id is not None:
            where.append("id > %s")
            params.append(int(after_id))
        if not include_replayed:
            where.append("replayed_at IS NULL")
        rows = await self._db.fetchall(
            f"SELECT {_DLQ_COLS} FROM weave_dlq WHERE {' AND '.join(where)} ORDER BY id LIMIT %s",
            [*params, int(limit)],
        )
        return [_dlq(r) for r in rows]

    async def dlq_get(self, entry_id: int) -> DlqEntry | None:
        row = await self._db.fetchone(f"SELECT {_DLQ_COLS} FROM weave_dlq WHERE id = %s", (int(entry_id),))
        return _dlq(row) if row else None

    async def dlq_mark_replayed(self, entry_id: int) -> bool:
        """True the first time; a second replay of the same entry is answered False."""
        touched = await self._db.execute(
            "UPDATE weave_dlq SET replayed_at = weave_now() "
            "WHERE id = %s AND replayed_at IS NULL",
            (int(entry_id),),
        )
        return touched > 0

    async def dlq_purge(self, integration: str | None = None, ids: Sequence[int] | None = None) -> int:
        where, params = ["1 = 1"], list[Any]()
        if integration is not None:
            where.append("integration = %s")
            params.append(integration)
        if ids is not None:
            id_list = _ids(ids)
            if not id_list:
                return 0
            where.append(f"id IN ({placeholders(len(id_list))})")
            params.extend(id_list)
        return await self._db.execute(f"DELETE FROM weave_dlq WHERE {' AND '.join(where)}", params)

    async def dlq_stats(self) -> list[DlqStats]:
        rows = await self._db.fetchall(
            """SELECT integration, count(*), min(created_at), weave_now() - min(created_at)
            FROM weave_dlq WHERE replayed_at IS NULL GROUP BY integration ORDER BY integration"""
        )
        return [DlqStats(r[0], int(r[1]), float(r[2]), max(float(r[3]), 0.0)) for r in rows]
