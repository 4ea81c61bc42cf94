"""API keys: generated once, shown once, stored only as SHA-256 hashes.

A key looks like `wv_<key id>_<secret>`; the key id (public) names it in `weave keys list|revoke`,
the hash of the whole key finds it on each request. Keys have 256 bits of entropy, so an unsalted
SHA-256 is the right hash (a slow password hash would only cost latency).

`KeyStore` is the storage seam: `MemoryKeyStore` (tests, single process), `SqliteKeyStore` (a file
shared by the workers of one host), or `StateKeyStore` adapting weave's main state store
(`weave.state`, SQLite or PostgreSQL).
"""

from __future__ import annotations

import hashlib
import secrets
import sqlite3
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Protocol


@dataclass(frozen=True)
class KeyRecord:
    key_id: str
    consumer: str
    created_at: float
    revoked_at: float | None = None
    label: str = ""

    @property
    def active(self) -> bool:
        return self.revoked_at is None


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8", "surrogateescape")).hexdigest()


def generate_key() -> tuple[str, str]:
    """(plaintext key, key id)."""
    key_id = secrets.token_hex(6)
    return f"wv_{key_id}_{secrets.token_urlsafe(32)}", key_id


class KeyStore(Protocol):
    async def put(self, record: KeyRecord, key_hash: str) -> None: ...
    async def lookup(self, key_hash: str) -> KeyRecord | None: ...
    async def revoke(self, key_id: str) -> bool: ...
    async def list(self, consumer: str | None = None) -> list[KeyRecord]: ...


async def create_key(store: KeyStore, consumer: str, label: str = "") -> tuple[str, KeyRecord]:
    """Make a key for `consumer`; the plaintext is returned here and nowhere else."""
    key, key_id = generate_key()
    record = KeyRecord(key_id=key_id, consumer=consumer, created_at=time.time(), label=label)
    await store.put(record, hash_key(key))
    return key, record


class MemoryKeyStore:
    def __init__(self) -> None:
        self._by_hash: dict[str, KeyRecord] = {}

    async def put(self, record: KeyRecord, key_hash: str) -> None:
        self._by_hash[key_hash] = record

    async def lookup(self, key_hash: str) -> KeyRecord | None:
        return self._by_hash.get(key_hash)

    async def revoke(self, key_id: str) -> bool:
        for key_hash, record in self._by_hash.items():
            if record.key_id == key_id and record.active:
                self._by_hash[key_hash] = replace(record, revoked_at=time.time())
                return True
        return False

    async def list(self, consumer: str | None = None) -> list[KeyRecord]:
        return sorted((r for r in self._by_hash.values() if consumer in (None, r.consumer)), key=lambda r: r.created_at)


_SCHEMA = """
CREATE TABLE IF NOT EXISTS gateway_keys (
  key_id TEXT PRIMARY KEY,
  key_hash TEXT NOT NULL UNIQUE,
  consumer TEXT NOT NULL,
  label TEXT NOT NULL DEFAULT '',
  created_at REAL NOT NULL,
  revoked_at REAL
)
"""


class SqliteKeyStore:
    """Keys in one SQLite file (WAL mode, so several worker processes can read while one writes).

    Calls are synchronous inside async methods: each is one indexed statement on a local file
    (tens of µs), and the gateway caches lookups for `key_cache_ttl` seconds.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(self.path), isolation_level=None, check_same_thread=False, timeout=10)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(_SCHEMA)

    @staticmethod
    def _record(row: tuple[Any, ...]) -> KeyRecord:
        return KeyRecord(key_id=row[0], consumer=row[1], label=row[2], created_at=row[3], revoked_at=row[4])

    async def put(self, record: KeyRecord, key_hash: str) -> None:
        self._db.execute(
            "INSERT INTO gateway_keys (key_id, key_hash, consumer, label, created_at, revoked_at) VALUES (?,?,?,?,?,?)",
            (record.key_id, key_hash, record.consumer, record.label, record.created_at, record.revoked_at),
        )

    async def lookup(self, key_hash: str) -> KeyRecord | None:
        row = self._db.execute(
            "SELECT key_id, consumer, label, created_at, revoked_at FROM gateway_keys WHERE key_hash = ?", (key_hash,)
        ).fetchone()
        return self._record(row) if row else None

    async def revoke(self, key_id: str) -> bool:
        cur = self._db.execute(
            "UPDATE gateway_keys SET revoked_at = ? WHERE key_id = ? AND revoked_at IS NULL", (time.time(), key_id)
        )
        return cur.rowcount > 0

    async def list(self, consumer: str | None = None) -> list[KeyRecord]:
        sql = "SELECT key_id, consumer, label, created_at, revoked_at FROM gateway_keys"
        args: tuple[Any, ...] = ()
        if consumer is not None:
            sql += " WHERE consumer = ?"
            args = (consumer,)
        return [self._record(row) for row in self._db.execute(sql + " ORDER BY created_at", args).fetchall()]

    def close(self) -> None:
        self._db.close()


class StateKeyStore:
    """Adapter to weave's main state store (`weave.state.StateStore`: `key_put`, `key_lookup`,
    `key_revoke`, `key_list`), so keys live with the rest of a deployment's state."""

    def __init__(self, state: Any) -> None:
        self.state = state

    @staticmethod
    def _record(row: Any) -> KeyRecord:
        return KeyRecord(key_id=row.key_id, consumer=row.consumer, created_at=float(row.created_at),
                         revoked_at=row.revoked_at)

    async def put(self, record: KeyRecord, key_hash: str) -> None:
        await self.state.key_put(record.consumer, record.key_id, key_hash, (), record.created_at)

    async def lookup(self, key_hash: str) -> KeyRecord | None:
        row = await self.state.key_lookup(key_hash)
        return self._record(row) if row is not None else None

    async def revoke(self, key_id: str) -> bool:
        return bool(await self.state.key_revoke(key_id))

    async def list(self, consumer: str | None = None) -> list[KeyRecord]:
        return [self._record(row) for row in await self.state.key_list(consumer)]
