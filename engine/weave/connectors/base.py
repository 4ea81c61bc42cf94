"""The shape every connector shares, and the values it exchanges.

    Connector(system: SystemConfig, *, transport=None)
        async read(op, *, state=None) -> AsyncIterator[Page]     extract / poll
        async write(op, records, *, idempotency_keys=None) -> WriteResult
        async probe() -> ProbeResult                              `weave check --live`
        async aclose()

`op` is the inner mapping of one style block of a spec (`extract: {http: {...}}` passes the
`{...}`). Secrets in `SystemConfig` are references; connectors resolve them with
`weave.secrets.resolve` at request time only and never put values in errors or logs.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from weave.spec.durations import parse_duration

_PER = {"second": 1.0, "minute": 60.0, "hour": 3600.0, "day": 86400.0}


@dataclass(frozen=True)
class SystemConfig:
    """How to reach one system. `auth` holds secret *references* (`${env:NAME}`), never values."""

    name: str
    style: str
    base_url: str = ""
    auth: Mapping[str, Any] = field(default_factory=dict)
    rate_limit: float | None = None  # requests per second
    timeout: float = 10.0
    base_dir: str | None = None  # where relative paths (SOAP envelopes, files) resolve from
    options: Mapping[str, Any] = field(default_factory=dict)  # style-specific extras

    @classmethod
    def from_spec(cls, name: str, raw: Mapping[str, Any], *, base_dir: str | Path | None = None) -> SystemConfig:
        """Build from a `kind: system` document's raw mapping (`api:`, `rate_limit:`, `timeout:`)."""
        api = dict(raw.get("api") or {})
        rate = raw.get("rate_limit")
        per_second: float | None = None
        if isinstance(rate, Mapping):
            per = rate.get("per", "second")
            seconds = _PER.get(per) if isinstance(per, str) and per in _PER else parse_duration(per)
            per_second = float(rate["requests"]) / (seconds or 1.0)
        elif isinstance(rate, int | float) and not isinstance(rate, bool):
            per_second = float(rate)
        timeout = api.pop("timeout", raw.get("timeout", "10s"))
        return cls(
            name=name,
            style=str(api.pop("style", "rest")),
            base_url=str(api.pop("base_url", "") or ""),
            auth=dict(api.pop("auth", None) or {}),
            rate_limit=per_second,
            timeout=parse_duration(timeout),
            base_dir=str(base_dir) if base_dir is not None else None,
            options={k: v for k, v in api.items() if k != "contract"},
        )

    def path(self, relative: str) -> Path:
        """A path relative to `base_dir` (absolute paths are kept)."""
        p = Path(relative)
        if p.is_absolute() or self.base_dir is None:
            return p
        return Path(self.base_dir) / p


@dataclass(frozen=True)
class Page:
    """One page of records read from a source. `state` resumes the read after this page
    (a next cursor, URL, offset, file set …); `done` is True on the last page."""

    records: list[dict[str, Any]]
    state: dict[str, Any] = field(default_factory=dict)
    done: bool = False
    number: int = 1


@dataclass(frozen=True)
class WriteResult:
    written: int
    skipped: int = 0  # e.g. duplicates the target reported, or unchanged rows
    responses: tuple[Any, ...] = ()  # per-record target ids / parsed bodies where the target gives one
    detail: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ProbeResult:
    system: str
    ok: bool
    latency_ms: float | None = None
    status: int | None = None
    auth_ok: bool | None = None
    message: str = ""


@runtime_checkable
class Connector(Protocol):
    system: SystemConfig

    def read(self, op: Mapping[str, Any], *, state: dict[str, Any] | None = None) -> AsyncIterator[Page]: ...

    async def write(
        self, op: Mapping[str, Any], records: Sequence[dict[str, Any]], *, idempotency_keys: Sequence[str] | None = None
    ) -> WriteResult: ...

    async def probe(self) -> ProbeResult: ...

    async def aclose(self) -> None: ...
