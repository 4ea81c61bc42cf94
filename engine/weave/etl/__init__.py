"""weave.etl: scheduled, incremental, resumable bulk flows with reconciliation and progress hooks.

See docs/design/etl.md for the contract. Public API:

    BatchJob(name, source, target, transform=..., cursor=CursorSpec(...), chunk_size=..., windows=...,
             lease=..., on_chunk=..., on_reject=..., on_drift=..., recorder=...).run(force=, full_refresh=, since=)
"""

from weave.etl._build import build_job, schedule_for, secret_values, windows_for
from weave.etl._checkpoints import JsonFileCheckpointStore, MemoryCheckpointStore
from weave.etl._cursor import CursorSpec
from weave.etl._errors import (
    BatchConfigError,
    LeaseLostError,
    PeakHoursError,
    ReconciliationError,
    SchemaDriftError,
)
from weave.etl._lease import MemoryLease, RedisLease
from weave.etl._runner import BatchJob, MemoryRunRecorder
from weave.etl._schedule import OperatingWindows, PeakWindow, RunPlan, Schedule, next_run, plan_runs
from weave.etl._scheduler import BatchScheduler, FireLog, MemoryFireLog, StateFireLog, Tick, tick
from weave.etl._state import (
    StateCheckpointStore,
    StateDeadLetters,
    StateLease,
    StateRunRecorder,
    default_worker,
    reap_stale_runs,
)
from weave.etl._types import (
    Checkpoint,
    CheckpointStore,
    Counts,
    DriftEvent,
    ExtractRequest,
    Lease,
    LoadAck,
    Page,
    Rejected,
    RunRecorder,
    RunResult,
    Source,
    Target,
)
from weave.etl.sources import FileSource, Pagination, PostgresSource, RestSource, SoapSource, SqliteSource
from weave.etl.targets import FileTarget, HttpBulkTarget, PostgresTarget, SqliteTarget

__all__ = [
    "BatchConfigError", "BatchJob", "BatchScheduler", "FireLog", "MemoryFireLog", "StateFireLog", "Tick", "tick", "Checkpoint", "CheckpointStore", "Counts", "CursorSpec", "DriftEvent",
    "ExtractRequest", "FileSource", "FileTarget", "HttpBulkTarget", "JsonFileCheckpointStore", "Lease",
    "LeaseLostError", "LoadAck", "MemoryCheckpointStore", "MemoryLease", "MemoryRunRecorder", "OperatingWindows",
    "Page", "Pagination", "PeakHoursError", "PeakWindow", "PostgresSource", "PostgresTarget", "ReconciliationError",
    "RedisLease", "Rejected", "RestSource", "RunPlan", "RunRecorder", "RunResult", "Schedule", "SchemaDriftError",
    "SoapSource", "Source", "SqliteSource", "SqliteTarget", "StateCheckpointStore", "StateDeadLetters", "StateLease",
    "StateRunRecorder", "Target", "build_job", "default_worker", "next_run", "plan_runs", "reap_stale_runs",
    "schedule_for", "secret_values", "windows_for",
]
