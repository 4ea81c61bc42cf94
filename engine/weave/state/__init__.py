"""weave.state: deployed revisions, the apply lock, leases, the hub queue, the dead-letter store,
idempotency records, cursors, run history, delivery stats and consumer API keys.

One async interface (`StateStore`), two backends (SQLite, the embedded default; PostgreSQL for
shared deployments), opened with `await open_state(url)`. See docs/design/state.md.
"""

from weave.state._alerts import Alert, Silence
from weave.state._factory import DEFAULT_URL, SCHEMES, open_state
from weave.state._protocol import StateStore
from weave.state._types import (
    ApiKey,
    DeliveryStats,
    DlqEntry,
    DlqStats,
    IdemEvent,
    IdemForgotten,
    IdemStatus,
    Lease,
    LockHeldError,
    LockInfo,
    QueueItem,
    QueueStats,
    Revision,
    RevisionMeta,
    RevisionSummary,
    RunRecord,
    StaleRevisionError,
    StateError,
    StateUnavailableError,
)

__all__ = [
    "DEFAULT_URL",
    "SCHEMES",
    "Alert",
    "ApiKey",
    "DeliveryStats",
    "DlqEntry",
    "DlqStats",
    "IdemEvent",
    "IdemForgotten",
    "IdemStatus",
    "Lease",
    "LockHeldError",
    "LockInfo",
    "QueueItem",
    "QueueStats",
    "Revision",
    "RevisionMeta",
    "RevisionSummary",
    "RunRecord",
    "Silence",
    "StaleRevisionError",
    "StateError",
    "StateUnavailableError",
    "StateStore",
    "open_state",
]
