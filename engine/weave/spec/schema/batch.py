"""Placeholder fragment for the batch block (owned by the ETL engineer).

Must export DEFS (with a "schedule" definition for trigger.schedule) and INTEGRATION_PROPERTIES = {"batch": ...}.
"""

from __future__ import annotations

from typing import Any

DEFS: dict[str, Any] = {
    "schedule": {"type": "object", "description": "Cron schedule with time zone and missed-run policy."},
}
INTEGRATION_PROPERTIES: dict[str, Any] = {
    "batch": {"type": "object", "description": "Chunking, incremental cursor, load mode and schema-drift policy."},
}
