"""Synchronous SQL of the embedded bus. Every function runs on the bus's single database thread.

Tables (all `bus_`-prefixed, so they live beside the state store's tables in the same file):
  bus_messages(id AUTOINCREMENT, topic, key, payload, headers, published_at)   the log; ids never reused
  bus_groups(topic, grp, last_id)                                               each group's delivery cursor
  bus_pending(topic, grp, msg_id, consumer, delivered_at, delivery_count)       delivered, not acked
  bus_idempotency(key, state, token, expires_at)                                claims of sinks
"""

from __future__ import annotations

import contextlib
import sqlite3
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

import orjson

from weave.bus._idempotency import Claim
from weave.bus._types import BusError, Message, PendingInfo, Retention, UnknownGroup

_MIGRATIONS: list[tuple[int, str]] = [
    (
        1,
        """
        CREATE TABLE bus_messages (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            topic TEXT NOT NULL,
            key TEXT,
            payload BLOB NOT NULL,
            headers BLOB,
            published_at REAL NOT NULL
        );
        CREATE INDEX bus_messages_topic_id ON bus_messages (topic, id);
        CREATE TABLE bus_groups (
            topic TEXT NOT NULL, grp TEXT NOT NULL, last_id INTEGER NOT NULL, created_at REAL NOT NULL,
            PRIMARY KEY (topic, grp)
        ) WITHOUT ROWID;
        CREATE TABLE bus_pending (
            topic TEXT NOT NULL, grp TEXT NOT NULL, msg_id INTEGER NOT NULL, consumer TEXT NOT NULL,
            delivered_at REAL NOT NULL, delivery_count INTEGER NOT NULL,
            PRIMARY KEY (topic, grp, msg_id)
        ) WITHOUT ROWID;
        CREATE INDEX bus_pending_idle ON bus_pending (topic, grp, delivered_at);
        CREATE TABLE bus_idempotency (
            key TEXT PRIMARY KEY, state TEXT NOT NULL, token TEXT NOT NULL, expires_at REAL NOT NULL
        ) WITHOUT ROWID;
        """,
    ),
]
SCHEMA_VERSION = _MIGRATIONS[-1][0]

Row = tuple[int, str | None, bytes, bytes | None, float]
LOCK_TIMEOUT_S = 30.0
T = TypeVar("T")


class Connection(sqlite3.Connection):
    lock_timeout: float = 30.0  # seconds a writer waits for another (`busy_timeout`)


def connect(path: str, synchronous: str, busy_timeout: float = 30.0) -> Connection:
    # timeout 0: a busy BEGIN IMMEDIATE returns at once and `_begin` waits with short sleeps
    conn = sqlite3.connect(path, timeout=0, isolation_level=None, check_same_thread=False, factory=Connection)
    conn.lock_timeout = busy_timeout
    mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
    if str(mode).lower() != "wal":
        conn.close()
        raise BusError(f"{path}: SQLite refused WAL mode (got {mode!r}); is it on a network file system?")
    conn.execute(f"PRAGMA synchronous = {synchronous}")
    return conn


def _begin(conn: sqlite3.Connection) -> None:
    """BEGIN IMMEDIATE, waiting for another writer with short sleeps.

    SQLite's own busy handler backs off to 100 ms sleeps, which shows up directly as delivery latency
    when publishers and consumers (processes or bus instances) share the file; we poll at 0.5-5 ms.
    """
    limit = getattr(conn, "lock_timeout", LOCK_TIMEOUT_S)
    deadline = time.monotonic() + limit
    delay = 0.0005
    while True:
        try:
            conn.execute("BEGIN IMMEDIATE")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) and "busy" not in str(exc):
                raise
            if time.monotonic() > deadline:
                raise BusError(f"the bus database stayed locked by another writer for {limit:.0f}s") from exc
            time.sleep(delay)
            delay = min(delay * 2, 0.005)


def retrying(fn: Callable[..., T], conn: sqlite3.Connection, *args: Any) -> T:
    """Run `fn(conn, *args)`, again if SQLite answered busy/locked (reads during another process's WAL
    recovery). Safe because every write of `fn` happens inside one transaction that rolled back."""
    deadline = time.monotonic() + getattr(conn, "lock_timeout", LOCK_TIMEOUT_S)
    delay = 0.0005
    while True:
        try:
            return fn(conn, *args)
        except sqlite3.OperationalError as exc:
            if ("locked" not in str(exc) and "busy" not in str(exc)) or time.monotonic() > deadline:
                raise
            time.sleep(delay)
            delay = min(delay * 2, 0.005)


@contextlib.contextmanager
def tx(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    _begin(conn)
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def migrate(conn: sqlite3.Connection) -> int:
    with tx(conn):
        conn.execute(
            "CREATE TABLE IF NOT EXISTS bus_migrations (version INTEGER PRIMARY KEY, applied_at REAL NOT NULL)"
        )
        current = conn.execute("SELECT COALESCE(MAX(version), 0) FROM bus_migrations").fetchone()[0]
        if current > SCHEMA_VERSION:
            raise BusError(
                f"the bus tables are at schema version {current}, newer than this weave ({SCHEMA_VERSION}); "
                "upgrade weave"
            )
        for version, script in _MIGRATIONS:
            if version > current:
                for statement in script.split(";"):
                    if statement.strip():
                        conn.execute(statement)
                conn.execute("INSERT INTO bus_migrations VALUES (?, ?)", (version, time.time()))
    return SCHEMA_VERSION


def to_message(topic: str, row: Row, count: int) -> Message:
    msg_id, key, payload, headers, published_at = row
    return Message(
        str(msg_id), topic, orjson.loads(payload), key, orjson.loads(headers) if headers else {}, published_at, count
    )


def parse_id(message_id: str) -> int:
    try:
        value = int(message_id)
    except (TypeError, ValueError):
        raise BusError(f"invalid message id {message_id!r} for the embedded bus (ids are integers)") from None
    if value < 0:
        raise BusError(f"invalid message id {message_id!r}")
    return value


# -- publishing ------------------------------------------------------------------------------------
def append(
    conn: sqlite3.Connection, records: Sequence[tuple[str, str | None, bytes, bytes | None]],
    trims: Sequence[tuple[str, Retention]], now: float,
) -> list[int]:
    with tx(conn):
        conn.executemany(
            "INSERT INTO bus_messages (topic, key, payload, headers, published_at) VALUES (?, ?, ?, ?, ?)",
            [(topic, key, payload, headers, now) for topic, key, payload, headers in records],
        )
        # We hold the write lock and AUTOINCREMENT hands out max+1: the batch got consecutive ids.
        last = int(conn.execute("SELECT last_insert_rowid()").fetchone()[0])
        for topic, retention in trims:
            trim(conn, topic, retention, now)
    return list(range(last - len(records) + 1, last + 1))


def trim(conn: sqlite3.Connection, topic: str, retention: Retention, now: float) -> int:
    """Delete what the retention no longer covers (caller holds a transaction)."""
    cutoff = 0
    if retention.max_len is not None:
        row = conn.execute(
            "SELECT id FROM bus_messages WHERE topic = ? ORDER BY id DESC LIMIT 1 OFFSET ?",
            (topic, retention.max_len),
        ).fetchone()
        if row:
            cutoff = row[0]
    if retention.max_age_s is not None:
        row = conn.execute(
            "SELECT MAX(id) FROM bus_messages WHERE topic = ? AND published_at < ?", (topic, now - retention.max_age_s)
        ).fetchone()
        if row and row[0]:
            cutoff = max(cutoff, row[0])
    if not cutoff:
        return 0
    removed = conn.execute("DELETE FROM bus_messages WHERE topic = ? AND id <= ?", (topic, cutoff)).rowcount
    conn.execute("DELETE FROM bus_pending WHERE topic = ? AND msg_id <= ?", (topic, cutoff))
    return int(removed)


def trim_now(conn: sqlite3.Connection, topic: str, retention: Retention, now: float) -> int:
    with tx(conn):
        return trim(conn, topic, retention, now)


# -- groups ------------------------------------------------------------------------------------------
def ensure_group(conn: sqlite3.Connection, topic: str, group: str, start: str, now: float) -> bool:
    with tx(conn):
        if conn.execute("SELECT 1 FROM bus_groups WHERE topic = ? AND grp = ?", (topic, group)).fetchone():
            return False
        if start == "latest":
            last = conn.execute("SELECT COALESCE(MAX(id), 0) FROM bus_messages WHERE topic = ?", (topic,)).fetchone()[0]
        elif start == "earliest":
            last = 0
        else:
            raise BusError(f"unknown group start {start!r} (known: earliest, latest)")
        conn.execute("INSERT INTO bus_groups VALUES (?, ?, ?, ?)", (topic, group, last, now))
        return True


def topics(conn: sqlite3.Connection) -> list[str]:
    return [r[0] for r in conn.execute("SELECT DISTINCT topic FROM bus_groups ORDER BY topic")]


def groups(conn: sqlite3.Connection, topic: str) -> list[str]:
    return [r[0] for r in conn.execute("SELECT grp FROM bus_groups WHERE topic = ? ORDER BY grp", (topic,))]


def _cursor(conn: sqlite3.Connection, topic: str, group: str) -> int:
    row = conn.execute("SELECT last_id FROM bus_groups WHERE topic = ? AND grp = ?", (topic, group)).fetchone()
    if row is None:
        raise UnknownGroup(topic, group, groups(conn, topic))
    return int(row[0])


def read_new(
    conn: sqlite3.Connection, topic: str, group: str, consumer: str, limit: int, now: float
) -> list[Message]:
    # A cheap look without the write lock first: idle consumers must not serialise the writers.
    if not conn.execute(
        "SELECT 1 FROM bus_messages WHERE topic = ? AND id > "
        "(SELECT last_id FROM bus_groups WHERE topic = ? AND grp = ?) LIMIT 1",
        (topic, topic, group),
    ).fetchone():
        _cursor(conn, topic, group)  # raises UnknownGroup if the group is gone
        return []
    with tx(conn):
        last = _cursor(conn, topic, group)
        rows: list[Row] = conn.execute(
            "SELECT id, key, payload, headers, published_at FROM bus_messages WHERE topic = ? AND id > ? "
            "ORDER BY id LIMIT ?",
            (topic, last, limit),
        ).fetchall()
        if not rows:
            return []
        conn.executemany(
            "INSERT OR REPLACE INTO bus_pending VALUES (?, ?, ?, ?, ?, 1)",
            [(topic, group, r[0], consumer, now) for r in rows],
        )
        conn.execute("UPDATE bus_groups SET last_id = ? WHERE topic = ? AND grp = ?", (rows[-1][0], topic, group))
    return [to_message(topic, r, 1) for r in rows]


def reclaim(
    conn: sqlite3.Connection, topic: str, group: str, consumer: str, min_idle_s: float, limit: int, now: float
) -> list[Message]:
    if not conn.execute(  # the common case, nothing stuck: no write lock taken
        "SELECT 1 FROM bus_pending WHERE topic = ? AND grp = ? AND delivered_at <= ? LIMIT 1",
        (topic, group, now - min_idle_s),
    ).fetchone():
        return []
    with tx(conn):
        rows = conn.execute(
            "SELECT p.msg_id, p.delivery_count, m.id, m.key, m.payload, m.headers, m.published_at "
            "FROM bus_pending p LEFT JOIN bus_messages m ON m.id = p.msg_id "
            "WHERE p.topic = ? AND p.grp = ? AND p.delivered_at <= ? ORDER BY p.msg_id LIMIT ?",
            (topic, group, now - min_idle_s, limit),
        ).fetchall()
        if not rows:
            return []
        gone = [(topic, group, r[0]) for r in rows if r[2] is None]  # trimmed while pending
        live = [r for r in rows if r[2] is not None]
        conn.executemany("DELETE FROM bus_pending WHERE topic = ? AND grp = ? AND msg_id = ?", gone)
        conn.executemany(
            "UPDATE bus_pending SET consumer = ?, delivered_at = ?, delivery_count = delivery_count + 1 "
            "WHERE topic = ? AND grp = ? AND msg_id = ?",
            [(consumer, now, topic, group, r[0]) for r in live],
        )
    return [to_message(topic, r[2:], r[1] + 1) for r in live]


def ack(conn: sqlite3.Connection, topic: str, group: str, ids: Sequence[int]) -> int:
    with tx(conn):
        cur = conn.executemany(
            "DELETE FROM bus_pending WHERE topic = ? AND grp = ? AND msg_id = ?", [(topic, group, i) for i in ids]
        )
        return int(cur.rowcount)


def set_delivered_at(conn: sqlite3.Connection, topic: str, group: str, ids: Sequence[int], when: float) -> None:
    with tx(conn):
        conn.executemany(
            "UPDATE bus_pending SET delivered_at = ? WHERE topic = ? AND grp = ? AND msg_id = ?",
            [(when, topic, group, i) for i in ids],
        )


def lag(conn: sqlite3.Connection, topic: str, group: str) -> int:
    last = _cursor(conn, topic, group)
    return int(conn.execute("SELECT COUNT(*) FROM bus_messages WHERE topic = ? AND id > ?", (topic, last)).fetchone()[0])


def pending(conn: sqlite3.Connection, topic: str, group: str, now: float) -> PendingInfo:
    _cursor(conn, topic, group)
    per = conn.execute(
        "SELECT consumer, COUNT(*), MIN(msg_id) FROM bus_pending WHERE topic = ? AND grp = ? GROUP BY consumer",
        (topic, group),
    ).fetchall()
    if not per:
        return PendingInfo(0)
    oldest = min(r[2] for r in per)
    row = conn.execute("SELECT published_at FROM bus_messages WHERE id = ?", (oldest,)).fetchone()
    return PendingInfo(
        count=sum(r[1] for r in per),
        oldest_id=str(oldest),
        oldest_age_s=(now - row[0]) if row else None,
        consumers={r[0]: r[1] for r in per},
    )


def replay(conn: sqlite3.Connection, topic: str, group: str, at_time: float | None, at_id: str | None) -> int:
    with tx(conn):
        current = _cursor(conn, topic, group)
        if at_id is not None:
            target = parse_id(at_id) - 1
        else:
            first = conn.execute(
                "SELECT MIN(id) FROM bus_messages WHERE topic = ? AND published_at >= ?", (topic, at_time)
            ).fetchone()[0]
            target = current if first is None else first - 1
        new = max(0, min(current, target))
        conn.execute("UPDATE bus_groups SET last_id = ? WHERE topic = ? AND grp = ?", (new, topic, group))
        return lag(conn, topic, group)  # inside the transaction: consumers may fetch right after it


# -- idempotency ---------------------------------------------------------------------------------------
def idem_claim(conn: sqlite3.Connection, key: str, token: str, ttl_s: float, now: float) -> Claim:
    with tx(conn):
        row: Any = conn.execute(
            "SELECT state, expires_at, token FROM bus_idempotency WHERE key = ?", (key,)
        ).fetchone()
        if row is not None and row[1] > now and (row[0] == "done" or row[2] != token):
            return Claim.DONE if row[0] == "done" else Claim.BUSY
        conn.execute(
            "INSERT OR REPLACE INTO bus_idempotency VALUES (?, 'busy', ?, ?)", (key, token, now + ttl_s)
        )
        return Claim.ACQUIRED


def idem_complete(conn: sqlite3.Connection, key: str, token: str, done_ttl_s: float, now: float) -> None:
    with tx(conn):
        conn.execute(
            "INSERT OR REPLACE INTO bus_idempotency VALUES (?, 'done', ?, ?)", (key, token, now + done_ttl_s)
        )


def idem_release(conn: sqlite3.Connection, key: str, token: str) -> None:
    with tx(conn):
        conn.execute("DELETE FROM bus_idempotency WHERE key = ? AND token = ? AND state = 'busy'", (key, token))


def idem_seen(conn: sqlite3.Connection, key: str, now: float) -> bool:
    row = conn.execute(
        "SELECT 1 FROM bus_idempotency WHERE key = ? AND state = 'done' AND expires_at > ?", (key, now)
    ).fetchone()
    return row is not None
