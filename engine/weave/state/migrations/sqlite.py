"""SQLite schema. Times are REAL epoch seconds; JSON is TEXT written by orjson; payloads are BLOBs.

AUTOINCREMENT keeps ids of acked queue items from ever being reused. Queue items carry a `head` flag,
kept by triggers: only the oldest item of an ordering key is claimable, so claiming stays O(limit)
however long the backlog.
"""

from __future__ import annotations

from weave.state.migrations import Migration
from weave.state.migrations.sqlite_alerts import ALERTS
from weave.state.migrations.sqlite_idem import IDEM_EVENT_INDEX, IDEM_EVENTS
from weave.state.migrations.sqlite_runs import RUN_ALIVE, RUN_LEASES

MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "initial", (
        """CREATE TABLE weave_revisions (
            id INTEGER PRIMARY KEY, specs TEXT NOT NULL, plan TEXT NOT NULL,
            git_commit TEXT, author TEXT, message TEXT, created_at REAL NOT NULL)""",
        """CREATE TABLE weave_locks (
            name TEXT PRIMARY KEY, holder TEXT NOT NULL, acquired_at REAL NOT NULL,
            expires_at REAL NOT NULL, info TEXT NOT NULL DEFAULT '{}')""",
        """CREATE TABLE weave_leases (
            key TEXT PRIMARY KEY, holder TEXT NOT NULL, acquired_at REAL NOT NULL, expires_at REAL NOT NULL)""",
        """CREATE TABLE weave_queue (
            id INTEGER PRIMARY KEY AUTOINCREMENT, queue TEXT NOT NULL, payload BLOB NOT NULL,
            is_json INTEGER NOT NULL, key TEXT, headers TEXT NOT NULL DEFAULT '{}',
            enqueued_at REAL NOT NULL, visible_at REAL NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,
            claimed_by TEXT, claimed_at REAL, last_error TEXT, head INTEGER NOT NULL DEFAULT 1)""",
        # Only the head (oldest item) of each ordering key is claimable; keyless items are all heads.
        "CREATE INDEX weave_queue_ready ON weave_queue (queue, visible_at, id) WHERE head = 1",
        "CREATE INDEX weave_queue_key ON weave_queue (queue, key, id)",
        """CREATE TRIGGER weave_queue_head_insert AFTER INSERT ON weave_queue WHEN NEW.key IS NOT NULL
        BEGIN
            UPDATE weave_queue SET head = 0 WHERE id = NEW.id AND EXISTS (
                SELECT 1 FROM weave_queue p WHERE p.queue = NEW.queue AND p.key = NEW.key AND p.id < NEW.id);
        END""",
        """CREATE TRIGGER weave_queue_head_delete AFTER DELETE ON weave_queue
        WHEN OLD.key IS NOT NULL AND OLD.head = 1
        BEGIN
            UPDATE weave_queue SET head = 1 WHERE id = (
                SELECT min(id) FROM weave_queue WHERE queue = OLD.queue AND key = OLD.key);
        END""",
        """CREATE TABLE weave_dlq (
            id INTEGER PRIMARY KEY AUTOINCREMENT, integration TEXT NOT NULL, payload BLOB NOT NULL,
            is_json INTEGER NOT NULL, error TEXT NOT NULL, attempts INTEGER NOT NULL, revision INTEGER,
            source TEXT, target TEXT, key TEXT, headers TEXT NOT NULL DEFAULT '{}',
            created_at REAL NOT NULL, replayed_at REAL)""",
        "CREATE INDEX weave_dlq_integration ON weave_dlq (integration, id)",
        """CREATE TABLE weave_idem (
            scope TEXT NOT NULL, key TEXT NOT NULL, state TEXT NOT NULL, owner TEXT, expires_at REAL,
            created_at REAL NOT NULL, PRIMARY KEY (scope, key))""",
        """CREATE TABLE weave_cursors (
            name TEXT PRIMARY KEY, value TEXT NOT NULL, updated_at REAL NOT NULL)""",
        """CREATE TABLE weave_runs (
            id INTEGER PRIMARY KEY AUTOINCREMENT, integration TEXT NOT NULL, kind TEXT NOT NULL,
            status TEXT NOT NULL, started_at REAL NOT NULL, finished_at REAL, counts TEXT NOT NULL DEFAULT '{}',
            error TEXT, revision INTEGER, worker TEXT)""",
        "CREATE INDEX weave_runs_integration ON weave_runs (integration, id)",
        """CREATE TABLE weave_delivery (
            integration TEXT NOT NULL, bucket INTEGER NOT NULL, delivered INTEGER NOT NULL,
            failed INTEGER NOT NULL, latency_sum REAL NOT NULL, latency_max REAL,
            last_success_at REAL, last_failure_at REAL, PRIMARY KEY (integration, bucket))""",
        """CREATE TABLE weave_api_keys (
            key_id TEXT PRIMARY KEY, consumer TEXT NOT NULL, key_hash TEXT NOT NULL UNIQUE,
            scopes TEXT NOT NULL, created_at REAL NOT NULL, revoked_at REAL)""",
    )),
    ALERTS,  # weave.ownership
    RUN_LEASES,  # weave.etl: stale runs
    RUN_ALIVE,  # weave.etl: an abandoned run's end time
    IDEM_EVENTS,  # weave events replay --ignore-idempotency: the event of each idempotency record
    IDEM_EVENT_INDEX,  # ... and an index to find them by event
)
