"""PostgreSQL schema. Same tables and columns as the SQLite one; ``weave_now()`` is the server clock."""

from __future__ import annotations

from weave.state.migrations import Migration
from weave.state.migrations.postgres_alerts import ALERTS
from weave.state.migrations.postgres_idem import IDEM_EVENT_INDEX, IDEM_EVENTS
from weave.state.migrations.postgres_runs import RUN_ALIVE, RUN_LEASES

MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "initial", (
        """CREATE OR REPLACE FUNCTION weave_now() RETURNS double precision
           LANGUAGE sql VOLATILE AS $$ SELECT extract(epoch FROM clock_timestamp())::double precision $$""",
        """CREATE TABLE weave_revisions (
            id BIGINT PRIMARY KEY, specs TEXT NOT NULL, plan TEXT NOT NULL,
            git_commit TEXT, author TEXT, message TEXT, created_at DOUBLE PRECISION NOT NULL)""",
        """CREATE TABLE weave_locks (
            name TEXT PRIMARY KEY, holder TEXT NOT NULL, acquired_at DOUBLE PRECISION NOT NULL,
            expires_at DOUBLE PRECISION NOT NULL, info TEXT NOT NULL DEFAULT '{}')""",
        """CREATE TABLE weave_leases (
            key TEXT PRIMARY KEY, holder TEXT NOT NULL, acquired_at DOUBLE PRECISION NOT NULL,
            expires_at DOUBLE PRECISION NOT NULL)""",
        """CREATE TABLE weave_queue (
            id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, queue TEXT NOT NULL, payload BYTEA NOT NULL,
            is_json SMALLINT NOT NULL, key TEXT, headers TEXT NOT NULL DEFAULT '{}',
            enqueued_at DOUBLE PRECISION NOT NULL, visible_at DOUBLE PRECISION NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0, claimed_by TEXT, claimed_at DOUBLE PRECISION, last_error TEXT,
            head SMALLINT NOT NULL DEFAULT 1)""",
        # Only the head (oldest item) of each ordering key is claimable; keyless items are all heads.
        "CREATE INDEX weave_queue_ready ON weave_queue (queue, visible_at, id) WHERE head = 1",
        "CREATE INDEX weave_queue_key ON weave_queue (queue, key, id)",
        # Writers of one (queue, key) serialise on an advisory lock; each PL/pgSQL statement then
        # takes a fresh snapshot, so a concurrent enqueue and ack of one key cannot strand it headless.
        """CREATE FUNCTION weave_queue_head_insert() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF NEW.key IS NOT NULL THEN
                PERFORM pg_advisory_xact_lock(hashtext(NEW.queue), hashtext(NEW.key));
                IF EXISTS (SELECT 1 FROM weave_queue p WHERE p.queue = NEW.queue AND p.key = NEW.key) THEN
                    NEW.head := 0;
                END IF;
            END IF;
            RETURN NEW;
        END $$""",
        """CREATE TRIGGER weave_queue_head_insert BEFORE INSERT ON weave_queue
            FOR EACH ROW EXECUTE FUNCTION weave_queue_head_insert()""",
        """CREATE FUNCTION weave_queue_head_delete() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF OLD.key IS NOT NULL AND OLD.head = 1 THEN
                PERFORM pg_advisory_xact_lock(hashtext(OLD.queue), hashtext(OLD.key));
                UPDATE weave_queue SET head = 1 WHERE id = (
                    SELECT min(id) FROM weave_queue WHERE queue = OLD.queue AND key = OLD.key);
            END IF;
            RETURN NULL;
        END $$""",
        """CREATE TRIGGER weave_queue_head_delete AFTER DELETE ON weave_queue
            FOR EACH ROW EXECUTE FUNCTION weave_queue_head_delete()""",
        """CREATE TABLE weave_dlq (
            id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, integration TEXT NOT NULL, payload BYTEA NOT NULL,
            is_json SMALLINT NOT NULL, error TEXT NOT NULL, attempts INTEGER NOT NULL, revision BIGINT,
            source TEXT, target TEXT, key TEXT, headers TEXT NOT NULL DEFAULT '{}',
            created_at DOUBLE PRECISION NOT NULL, replayed_at DOUBLE PRECISION)""",
        "CREATE INDEX weave_dlq_integration ON weave_dlq (integration, id)",
        """CREATE TABLE weave_idem (
            scope TEXT NOT NULL, key TEXT NOT NULL, state TEXT NOT NULL, owner TEXT,
            expires_at DOUBLE PRECISION, created_at DOUBLE PRECISION NOT NULL, PRIMARY KEY (scope, key))""",
        """CREATE TABLE weave_cursors (
            name TEXT PRIMARY KEY, value TEXT NOT NULL, updated_at DOUBLE PRECISION NOT NULL)""",
        """CREATE TABLE weave_runs (
            id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, integration TEXT NOT NULL, kind TEXT NOT NULL,
            status TEXT NOT NULL, started_at DOUBLE PRECISION NOT NULL, finished_at DOUBLE PRECISION,
            counts TEXT NOT NULL DEFAULT '{}', error TEXT, revision BIGINT, worker TEXT)""",
        "CREATE INDEX weave_runs_integration ON weave_runs (integration, id)",
        """CREATE TABLE weave_delivery (
            integration TEXT NOT NULL, bucket BIGINT NOT NULL, delivered BIGINT NOT NULL,
            failed BIGINT NOT NULL, latency_sum DOUBLE PRECISION NOT NULL, latency_max DOUBLE PRECISION,
            last_success_at DOUBLE PRECISION, last_failure_at DOUBLE PRECISION,
            PRIMARY KEY (integration, bucket))""",
        """CREATE TABLE weave_api_keys (
            key_id TEXT PRIMARY KEY, consumer TEXT NOT NULL, key_hash TEXT NOT NULL UNIQUE,
            scopes TEXT NOT NULL, created_at DOUBLE PRECISION NOT NULL, revoked_at DOUBLE PRECISION)""",
    )),
    ALERTS,  # weave.ownership
    RUN_LEASES,  # weave.etl: stale runs
    RUN_ALIVE,  # weave.etl: an abandoned run's end time
    IDEM_EVENTS,  # weave events replay --ignore-idempotency: the event of each idempotency record
    IDEM_EVENT_INDEX,  # ... and an index to find them by event
)
