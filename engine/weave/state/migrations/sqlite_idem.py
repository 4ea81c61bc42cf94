"""SQLite migration 5: the bus event each idempotency record was written for.

`weave events replay --ignore-idempotency` forgets the records of exactly the replayed events (by their
position in the topic), not every record committed during the window. Rows that exist when the migration
runs have no event: `legacy` is 1 for them (the column's default) and every write from now on sets it to
0 explicitly; a replay forgets those rows by commit time, as before.
"""

from __future__ import annotations

from weave.state.migrations import Migration

IDEM_EVENTS = Migration(5, "idem_events", (
    "ALTER TABLE weave_idem ADD COLUMN event TEXT",  # the topic
    "ALTER TABLE weave_idem ADD COLUMN event_id TEXT",  # the bus message id
    "ALTER TABLE weave_idem ADD COLUMN event_pos TEXT",  # sorts like the topic's message order
    "ALTER TABLE weave_idem ADD COLUMN legacy INTEGER NOT NULL DEFAULT 1",
))

# `idem_forget_events` deletes one scope's records of one topic from a position on: without an index it read every
# record of the scope (all its deliveries within the retention), with one it reads only those it deletes
IDEM_EVENT_INDEX = Migration(6, "idem_event_index", (
    "CREATE INDEX weave_idem_event ON weave_idem (scope, event, event_pos)",
))
