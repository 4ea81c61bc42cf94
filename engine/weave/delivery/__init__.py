"""Delivery guarantees: retry policy (exponential backoff + full jitter, Retry-After), a circuit
breaker per target system, `deliver_with_retry`, and a client-side token bucket.

Depends only on `weave.errors` and `weave.spec.durations`; never on connectors or the runtime.
"""

from weave.delivery.breaker import BreakerConfig, BreakerRegistry, CircuitBreaker, CircuitOpenError
from weave.delivery.policy import RetryPolicy, classify_error, classify_status
from weave.delivery.ratelimit import TokenBucket
from weave.delivery.retry import Attempt, Outcome, deliver_with_retry

__all__ = [
    "Attempt",
    "BreakerConfig",
    "BreakerRegistry",
    "CircuitBreaker",
    "CircuitOpenError",
    "Outcome",
    "RetryPolicy",
    "TokenBucket",
    "classify_error",
    "classify_status",
    "deliver_with_retry",
]
