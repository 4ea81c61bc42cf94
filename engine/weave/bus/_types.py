"""Values and errors of the event bus. Timestamps are UTC epoch seconds (floats).

    WeaveError
    └── BusError                 misuse or a state the bus cannot serve (bad URL, unknown group, bad id)
        ├── EventRejected        a payload failed its validator; nothing of the batch was published
        └── BusUnavailable       (also a TransientError) the backend stayed unreachable past the retry budget
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from weave.errors import TransientError, WeaveError

JSONDict = dict[str, Any]
# A validator returns the list of problems of one payload (empty: the payload is fine).
Validator = Callable[[Mapping[str, Any]], Sequence[str]]

_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:\-]{0,199}$")


class BusError(WeaveError):
    """The bus cannot do what was asked."""


class UnknownGroup(BusError):
    def __init__(self, topic: str, group: str, known: Sequence[str]) -> None:
        names = ", ".join(sorted(known)) or "none"
        super().__init__(f"topic {topic!r} has no consumer group {group!r} (known groups: {names})")
        self.topic = topic
        self.group = group
        self.known = list(known)


class EventRejected(BusError):
    """A payload did not pass its validator. The whole `publish`/`publish_many` call published nothing."""

    def __init__(self, topic: str, problems: Sequence[str], index: int = 0) -> None:
        where = f" (event #{index} of the batch)" if index else ""
        super().__init__(f"event on {topic!r} rejected{where}: " + "; ".join(problems))
        self.topic = topic
        self.problems = list(problems)
        self.index = index


class BusUnavailable(BusError, TransientError):
    """The backend could not be reached within the reconnect budget; retrying later may work."""


def check_name(kind: str, value: str) -> str:
    """Topics, groups and consumers: 1-200 chars of letters, digits and `._:-`, starting alphanumeric."""
    if not isinstance(value, str) or not _NAME_RE.match(value):
        raise BusError(f"invalid {kind} name {value!r}: use letters, digits and . _ : - (max 200 chars)")
    return value


@dataclass(frozen=True, slots=True)
class Event:
    """One event to publish."""

    payload: Mapping[str, Any]
    key: str | None = None
    headers: Mapping[str, str] | None = None


@dataclass(frozen=True, slots=True)
class Message:
    """One delivered event. `delivery_count` is 1 on first delivery and grows with every redelivery."""

    id: str
    topic: str
    payload: JSONDict
    key: str | None
    headers: Mapping[str, str]
    published_at: float
    delivery_count: int

    @property
    def attempts(self) -> int:
        return self.delivery_count


@dataclass(frozen=True, slots=True)
class PendingInfo:
    """Delivered but not yet acknowledged messages of one group."""

    count: int
    oldest_id: str | None = None
    oldest_age_s: float | None = None  # now - published_at of the oldest pending message
    consumers: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class GroupInfo:
    """Health of one consumer group: what it has not seen yet (lag) and what it holds (pending)."""

    topic: str
    group: str
    lag: int
    pending: PendingInfo


@dataclass(frozen=True, slots=True)
class Retention:
    """How much history a topic keeps. `None` means unbounded on that axis.

    Redis trims with `~` (approximate, cheap) unless `approximate=False`; the embedded log is always exact.
    Trimming is by length/age only: a message trimmed while still pending is gone for every group.
    """

    max_len: int | None = None
    max_age_s: float | None = 7 * 86400.0
    approximate: bool = True

    def __post_init__(self) -> None:
        if self.max_len is not None and self.max_len < 1:
            raise BusError(f"retention max_len must be >= 1, got {self.max_len}")
        if self.max_age_s is not None and self.max_age_s <= 0:
            raise BusError(f"retention max_age_s must be > 0, got {self.max_age_s}")
