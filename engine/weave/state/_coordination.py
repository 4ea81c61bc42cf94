"""Deployed revisions, the apply lock and leases."""

from __future__ import annotations

import asyncio
import time
from typing import Any, Literal

from weave.state._codec import dumps, loads
from weave.state._driver import Driver, Row
from weave.state._types import (
    JSONDict,
    Lease,
    LockHeldError,
    LockInfo,
    Revision,
    RevisionMeta,
    RevisionSummary,
    StaleRevisionError,
    StateError,
)

_REV_COLS = "id, specs, plan, git_commit, author, message, created_at"
_LOCK_COLS = "name, holder, acquired_at, expires_at, info"
_LEASE_COLS = "key, holder, acquired_at, expires_at"


def _revision(row: Row) -> Revision:
    return Revision(
        id=int(row[0]), specs=loads(row[1]), plan=loads(row[2]), git_commit=row[3], author=row[4],
        message=row[5], created_at=float(row[6]),
    )


def _lock(row: Row) -> LockInfo:
    return LockInfo(name=row[0], holder=row[1], acquired_at=float(row[2]), expires_at=float(row[3]),
                    info=loads(row[4], {}))


def _lease(row: Row) -> Lease:
    return Lease(key=row[0], holder=row[1], acquired_at=float(row[2]), expires_at=float(row[3]))


def _positive(name: str, value: float) -> float:
    if value <= 0:
        raise StateError(f"{name} must be positive, got {value}")
    return float(value)


class CoordinationMixin:
    _db: Driver

    # -- revisions ---------------------------------------------------------------------------
    async def put_revision(
        self, specs: Any, plan: Any, meta: RevisionMeta | None = None, *, expected_base: int | None = None
    ) -> int:
        meta = meta or RevisionMeta()
        specs_text, plan_text = dumps(specs), dumps(plan)
        async with self._db.transaction() as tx:
            if self._db.dialect.lock_revisions:
                await tx.execute(self._db.dialect.lock_revisions)
            row = await tx.fetchone("SELECT coalesce(max(id), 0) FROM weave_revisions")
            latest = int(row[0]) if row else 0
            if expected_base is not None and expected_base != latest:
                raise StaleRevisionError(expected_base, latest)
            new_id = latest + 1
            await tx.execute(
                f"INSERT INTO weave_revisions ({_REV_COLS}) VALUES (%s, %s, %s, %s, %s, %s, coalesce(%s, weave_now()))",
                (new_id, specs_text, plan_text, meta.git_commit, meta.author, meta.message, meta.created_at),
            )
        return new_id

    async def get_revision(self, ref: int | Literal["latest"] = "latest") -> Revision | None:
        if ref == "latest":
            row = await self._db.fetchone(f"SELECT {_REV_COLS} FROM weave_revisions ORDER BY id DESC LIMIT 1")
        elif isinstance(ref, int) and not isinstance(ref, bool):
            row = await self._db.fetchone(f"SELECT {_REV_COLS} FROM weave_revisions WHERE id = %s", (ref,))
        else:
            raise StateError(f"a revision is a number or 'latest', got {ref!r}")
        return _revision(row) if row else None

    async def current_revision(self) -> Revision | None:
        return await self.get_revision("latest")

    async def list_revisions(self, limit: int = 50) -> list[RevisionSummary]:
        rows = await self._db.fetchall(
            "SELECT id, git_commit, author, message, created_at FROM weave_revisions ORDER BY id DESC LIMIT %s",
            (limit,),
        )
        return [RevisionSummary(int(r[0]), r[1], r[2], r[3], float(r[4])) for r in rows]

    async def latest_revision_id(self) -> int:
        row = await self._db.fetchone("SELECT coalesce(max(id), 0) FROM weave_revisions")
        return int(row[0]) if row else 0

    # -- the apply lock ----------------------------------------------------------------------
    async def acquire_lock(
        self, name: str, holder: str, *, ttl: float = 900.0, timeout: float = 0.0, info: JSONDict | None = None
    ) -> LockInfo:
        ttl = _positive("ttl", ttl)
        deadline = time.monotonic() + max(timeout, 0.0)
        pause = 0.02
        while True:
            row = await self._db.fetchone(
                f"""INSERT INTO weave_locks ({_LOCK_COLS}) VALUES (%s, %s, weave_now(), weave_now() + %s, %s)
                ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, acquired_at = CASE
                    WHEN weave_locks.holder = excluded.holder THEN weave_locks.acquired_at
                    ELSE excluded.acquired_at END,
                  expires_at = excluded.expires_at, info = excluded.info
                WHERE weave_locks.holder = excluded.holder OR weave_locks.expires_at <= weave_now()
                RETURNING {_LOCK_COLS}""",
                (name, holder, ttl, dumps(info or {})),
                write=True,
            )
            if row:
                return _lock(row)
            current = await self.lock_info(name)
            remaining = deadline - time.monotonic()
            if current is not None and remaining <= 0:
                raise LockHeldError(current)
            if current is not None:
                await asyncio.sleep(min(pause, remaining))
                pause = min(pause * 2, 0.5)

    async def release_lock(self, name: str, holder: str) -> bool:
        return await self._db.execute("DELETE FROM weave_locks WHERE name = %s AND holder = %s", (name, holder)) > 0

    async def force_unlock(self, name: str) -> LockInfo | None:
        row = await self._db.fetchone(
            f"DELETE FROM weave_locks WHERE name = %s RETURNING {_LOCK_COLS}", (name,), write=True
        )
        return _lock(row) if row else None

    async def lock_info(self, name: str) -> LockInfo | None:
        row = await self._db.fetchone(
            f"SELECT {_LOCK_COLS} FROM weave_locks WHERE name = %s AND expires_at > weave_now()", (name,)
        )
        return _lock(row) if row else None

    # -- leases ------------------------------------------------------------------------------
    async def acquire_lease(self, key: str, holder: str, ttl: float) -> bool:
        ttl = _positive("ttl", ttl)
        row = await self._db.fetchone(
            f"""INSERT INTO weave_leases ({_LEASE_COLS}) VALUES (%s, %s, weave_now(), weave_now() + %s)
            ON CONFLICT (key) DO UPDATE SET holder = excluded.holder, acquired_at = CASE
                WHEN weave_leases.holder = excluded.holder THEN weave_leases.acquired_at
                ELSE excluded.acquired_at END,
              expires_at = excluded.expires_at
            WHERE weave_leases.holder = excluded.holder OR weave_leases.expires_at <= weave_now()
            RETURNING key""",
            (key, holder, ttl),
            write=True,
        )
        return row is not None

    async def renew_lease(self, key: str, holder: str, ttl: float) -> bool:
        ttl = _positive("ttl", ttl)
        touched = await self._db.execute(
            """UPDATE weave_leases SET expires_at = weave_now() + %s
            WHERE key = %s AND holder = %s AND expires_at > weave_now()""",
            (ttl, key, holder),
        )
        return touched > 0

    async def release_lease(self, key: str, holder: str) -> bool:
        return await self._db.execute("DELETE FROM weave_leases WHERE key = %s AND holder = %s", (key, holder)) > 0

    async def lease_info(self, key: str) -> Lease | None:
        row = await self._db.fetchone(
            f"SELECT {_LEASE_COLS} FROM weave_leases WHERE key = %s AND expires_at > weave_now()", (key,)
        )
        return _lease(row) if row else None
