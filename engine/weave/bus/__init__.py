"""weave.bus: a durable event bus with consumer groups, two backends behind one interface.

    bus = await open_bus("sqlite:///var/weave/state.db")      # embedded (default), or "redis://host:6379/0"
    message_id = await bus.publish("crm.order.created", {"order_id": "o1"}, key="acct-7")
    sub = await bus.subscribe("crm.order.created", group="order-to-fulfillment", consumer="worker-1")
    await Subscriber(sub, handler, dead_letter=dlq.put).run()

See docs/design/bus.md for the contract.
"""

from weave.bus._base import EventBus, Since, Start, Subscription
from weave.bus._dispatch import KeyedDispatcher
from weave.bus._factory import BACKENDS, open_bus
from weave.bus._idempotency import Claim, IdempotencyStore
from weave.bus._subscriber import (
    DeadLetter,
    ExhaustedDeliveries,
    Handler,
    RetryPolicy,
    Subscriber,
    SubscriberStats,
    header_idempotency_key,
)
from weave.bus._types import (
    BusError,
    BusUnavailable,
    Event,
    EventRejected,
    GroupInfo,
    Message,
    PendingInfo,
    Retention,
    UnknownGroup,
    Validator,
)
from weave.bus._validate import schema_validator

__all__ = [
    "BACKENDS",
    "BusError",
    "BusUnavailable",
    "Claim",
    "DeadLetter",
    "Event",
    "EventBus",
    "EventRejected",
    "ExhaustedDeliveries",
    "GroupInfo",
    "Handler",
    "IdempotencyStore",
    "KeyedDispatcher",
    "Message",
    "PendingInfo",
    "Retention",
    "RetryPolicy",
    "Since",
    "Start",
    "Subscriber",
    "SubscriberStats",
    "Subscription",
    "UnknownGroup",
    "Validator",
    "header_idempotency_key",
    "open_bus",
    "schema_validator",
]
