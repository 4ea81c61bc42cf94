"""PostgreSQL migration 5: the bus event each idempotency record was written for. Same columns as SQLite's
(see migrations/sqlite_idem.py); positions compare byte-wise (COLLATE "C"), as in SQLite."""

from __future__ import annotations

from weave.state.migrations import Migration

IDEM_EVENTS = Migration(5, "idem_events", (
    "ALTER TABLE weave_idem ADD COLUMN event TEXT",  # the topic
    "ALTER TABLE weave_idem ADD COLUMN event_id TEXT",  # the bus message id
    'ALTER TABLE weave_idem ADD COLUMN event_pos TEXT COLLATE "C"',  # sorts like the topic's message order
    # 1 for the rows already there (no event recorded); every write from now on sets 0 explicitly
    "ALTER TABLE weave_idem ADD COLUMN legacy SMALLINT NOT NULL DEFAULT 1",
))

# `idem_forget_events`' lookup (see migrations/sqlite_idem.py); event_pos keeps its byte-wise collation in the index
IDEM_EVENT_INDEX = Migration(6, "idem_event_index", (
    "CREATE INDEX weave_idem_event ON weave_idem (scope, event, event_pos)",
))
