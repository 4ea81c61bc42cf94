"""PostgreSQL migrations 3 and 4 (weave.etl run history): the lease a run held, and when it was last renewed.
Same columns as SQLite's."""

from __future__ import annotations

from weave.state.migrations import Migration

RUN_LEASES = Migration(3, "run_leases", (
    "ALTER TABLE weave_runs ADD COLUMN lease_key TEXT",
    "ALTER TABLE weave_runs ADD COLUMN lease_holder TEXT",
    # The rows still `running`: what the stale-run sweeps read.
    "CREATE INDEX weave_runs_running ON weave_runs (integration, kind) WHERE status = 'running'",
))

RUN_ALIVE = Migration(4, "run_alive", (
    # The run's lease's last renewal (`run_lease_renewed`): an abandoned run's end time.
    "ALTER TABLE weave_runs ADD COLUMN alive_at DOUBLE PRECISION",
    # The running rows holding a lease: what each renewal stamps.
    "CREATE INDEX weave_runs_lease ON weave_runs (lease_key, lease_holder) WHERE status = 'running'",
))
