"""SQLite migration 2: SLO alerts and silences (weave.ownership)."""

from __future__ import annotations

from weave.state.migrations import Migration

ALERTS = Migration(2, "alerts", (
    """CREATE TABLE weave_alerts (
        id INTEGER PRIMARY KEY AUTOINCREMENT, integration TEXT NOT NULL, slo TEXT NOT NULL,
        owner TEXT, status TEXT NOT NULL, message TEXT NOT NULL, detail TEXT NOT NULL DEFAULT '{}',
        opened_at REAL NOT NULL, resolved_at REAL, acked_at REAL, acked_by TEXT, escalated_at REAL)""",
    # One open alert per integration and SLO: the dedup that prevents alert storms, across workers.
    "CREATE UNIQUE INDEX weave_alerts_open ON weave_alerts (integration, slo) WHERE status = 'open'",
    "CREATE INDEX weave_alerts_status ON weave_alerts (status, id)",
    """CREATE TABLE weave_silences (
        integration TEXT PRIMARY KEY, until REAL NOT NULL, created_at REAL NOT NULL, created_by TEXT,
        reason TEXT)""",
))
