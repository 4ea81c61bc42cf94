"""Schema fragment of the ETL/batch pattern: `trigger.schedule` and the integration's `batch:` block.

The runtime meaning of every key is in docs/design/etl.md (weave.etl).
"""

from __future__ import annotations

from typing import Any

from weave.spec.schema.common import ref

MISSED = ["skip", "catch-up"]
LOAD_MODES = ["insert", "merge", "replace"]
DRIFT = ["evolve", "ignore", "fail"]

DEFS: dict[str, Any] = {
    "schedule": {
        "type": "object",
        "description": (
            "Run on a cron schedule in a time zone. A run never starts inside a peak window (`peak_hours`) of the "
            "source or the target; it is deferred to the end of the window unless forced (`weave run --force`)."
        ),
        "additionalProperties": False,
        "required": ["cron"],
        "properties": {
            "cron": {
                "type": "string",
                "minLength": 9,
                "description": "Five-field cron expression (minute hour day-of-month month day-of-week), e.g. `0 2 * * *`.",
            },
            "timezone": {"type": "string", "description": "IANA time zone the cron expression is read in (default UTC)."},
            "missed": {
                "enum": MISSED,
                "description": (
                    "Fire times missed while no worker ran (older than `grace`): `skip` drops them and runs only the "
                    "latest one still within grace; `catch-up` runs each missed fire time in order (up to "
                    "`max_catch_up`)."
                ),
            },
            "grace": {**ref("duration"), "description": "How late a fire time may start and still count as on time (default 5m)."},
            "max_catch_up": {"type": "integer", "minimum": 1, "description": "At most this many missed runs are caught up (default 100)."},
        },
    },
    "batchCursor": {
        "type": "object",
        "description": "Incremental cursor: a field that grows on change, plus a unique tie-breaker.",
        "additionalProperties": False,
        "required": ["field"],
        "properties": {
            "field": {"type": "string", "description": "Source field that increases on every change, e.g. updated_at."},
            "tie_breaker": {"type": "string", "description": "Unique field ordering records with the same cursor value, e.g. id."},
            "lag": {
                **ref("duration"),
                "description": (
                    "Re-read this much before the committed cursor on every run, for late-arriving records "
                    "(needs load mode merge; default 0)."
                ),
            },
            "initial": {"type": ["string", "number"], "description": "Cursor value of the very first run (default: everything)."},
            "param": {"type": "string", "description": "Query parameter that carries the lower bound to a REST source, e.g. updated_since."},
        },
    },
    "batch": {
        "type": "object",
        "description": (
            "ETL/batch settings: chunking, the incremental cursor, the load mode and the schema-drift policy. "
            "Each chunk is loaded together with its checkpoint, so a crashed run resumes without loss or duplicates."
        ),
        "additionalProperties": False,
        "properties": {
            "chunk_size": {"type": "integer", "minimum": 1, "description": "Records per committed chunk (default 10000)."},
            "cursor": ref("batchCursor"),
            "load": {
                "type": "object",
                "description": "How rows land in the target.",
                "additionalProperties": False,
                "properties": {
                    "mode": {
                        "enum": LOAD_MODES,
                        "description": (
                            "insert: append; merge: upsert by primary key (default); replace: load a shadow table and "
                            "swap it in atomically at the end of the run."
                        ),
                    },
                    "primary_key": {
                        "oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}, "minItems": 1}],
                        "description": "Column(s) identifying a row (required for merge).",
                    },
                    "table": {"type": "string", "description": "Target table (default: the deliver entry's sql.table)."},
                    "create": {"type": "boolean", "description": "Create a missing table from the first chunk (default true)."},
                },
            },
            "schema_drift": {
                "enum": DRIFT,
                "description": (
                    "A new source column: evolve adds it to the target (ALTER TABLE ADD COLUMN), ignore drops it, "
                    "fail stops the run before loading. Every case is reported."
                ),
            },
            "verify_total": {
                "type": "boolean",
                "description": "Fail the run when the extracted count differs from the total the source announced (default true).",
            },
            "lease_ttl": {**ref("duration"), "description": "Lease time-to-live; renewed every third of it (default 60s)."},
        },
    },
}

INTEGRATION_PROPERTIES: dict[str, Any] = {"batch": ref("batch")}
