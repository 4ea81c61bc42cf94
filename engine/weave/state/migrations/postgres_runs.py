"""PostgreSQL migration 3: the lease a run held (weave.etl). Same columns as SQLite's."""

from __future__ import annotations

from weave.state.migrations import Migration

RUN_LEASES = Migration(3, "run_leases", (
    "ALTER TABLE weave_runs ADD COLUMN lease_key TEXT",
    "ALTER TABLE weave_runs ADD COLUMN lease_holder TEXT",
    # The rows still `running`: what the stale-run sweeps read.
    "CREATE INDEX weave_runs_running ON weave_runs (integration, kind) WHERE status = 'running'",
))
