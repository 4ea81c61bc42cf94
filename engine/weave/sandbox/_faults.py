"""Fault injection for the simulated systems: error statuses, slowness, 429 with Retry-After, rate limits.

Rules are added at run time through `POST /_faults` and applied by `FaultMiddleware`, a pure ASGI
middleware in front of every service. Admin paths (starting with `/_` or `/admin/`) are never faulted or
counted.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from weave.sandbox._http import HttpError

_RULE_KEYS = {"status", "count", "delay_ms", "retry_after", "path", "method", "body", "content_type", "rate_limit"}


@dataclass
class FaultRule:
    """One injected behaviour. `count=None` applies until the rules are cleared."""

    status: int | None = None
    count: int | None = None
    delay_ms: int = 0
    retry_after: float | None = None
    path: str | None = None
    method: str | None = None
    body: str | None = None
    content_type: str = "application/json"
    rate_limit: tuple[int, float] | None = None
    applied: int = 0
    _window_start: float = 0.0
    _window_used: int = 0

    def matches(self, method: str, path: str) -> bool:
        if self.count is not None and self.count <= 0:
            return False
        if self.method is not None and self.method.upper() != method:
            return False
        return self.path is None or path.startswith(self.path)

    def view(self) -> dict[str, Any]:
        out: dict[str, Any] = {"status": self.status, "count": self.count, "delay_ms": self.delay_ms,
                               "retry_after": self.retry_after, "path": self.path, "method": self.method,
                               "applied": self.applied}
        if self.rate_limit is not None:
            out["rate_limit"] = {"requests": self.rate_limit[0], "per_seconds": self.rate_limit[1]}
        return out


def parse_rule(data: Any) -> FaultRule:
    """Validate one rule from `POST /_faults`; unknown keys and bad values are a 400."""
    if not isinstance(data, dict):
        raise HttpError(400, "invalid_fault", "a fault rule is a JSON object")
    unknown = sorted(set(data) - _RULE_KEYS)
    if unknown:
        raise HttpError(400, "invalid_fault", f"unknown keys {unknown}; known: {sorted(_RULE_KEYS)}")
    try:
        rule = FaultRule(
            status=int(data["status"]) if data.get("status") is not None else None,
            count=int(data["count"]) if data.get("count") is not None else None,
            delay_ms=int(data.get("delay_ms") or 0),
            retry_after=float(data["retry_after"]) if data.get("retry_after") is not None else None,
            path=str(data["path"]) if data.get("path") else None,
            method=str(data["method"]).upper() if data.get("method") else None,
            body=data["body"] if isinstance(data.get("body"), str) else (
                orjson.dumps(data["body"]).decode() if "body" in data else None),
            content_type=str(data.get("content_type") or "application/json"),
        )
        if data.get("rate_limit") is not None:
            rl = data["rate_limit"]
            rule.rate_limit = (int(rl["requests"]), float(rl.get("per_seconds", 1.0)))
    except (TypeError, ValueError, KeyError) as exc:
        raise HttpError(400, "invalid_fault", f"bad fault rule: {exc}") from None
    if rule.retry_after is not None and rule.status is None:
        rule.status = 429
    if rule.status is not None and not 100 <= rule.status <= 599:
        raise HttpError(400, "invalid_fault", "status must be an HTTP status code")
    if rule.status is None and rule.delay_ms <= 0 and rule.rate_limit is None:
        raise HttpError(400, "invalid_fault", "a rule needs status, delay_ms, retry_after or rate_limit")
    return rule


@dataclass
class Traffic:
    """Counters for non-admin requests: everything seen, what was faulted, and final statuses."""

    requests: int = 0
    faulted: int = 0
    statuses: Counter[int] = field(default_factory=Counter)

    def view(self) -> dict[str, Any]:
        return {"requests": self.requests, "faulted": self.faulted,
                "statuses": {str(k): v for k, v in sorted(self.statuses.items())}}


@dataclass
class _Decision:
    delay_ms: int = 0
    status: int | None = None
    headers: list[tuple[bytes, bytes]] = field(default_factory=list)
    body: bytes = b""
    content_type: str = "application/json"


class FaultInjector:
    """The current rules of one service."""

    def __init__(self) -> None:
        self.rules: list[FaultRule] = []

    def clear(self) -> None:
        self.rules.clear()

    def decide(self, method: str, path: str) -> _Decision | None:
        for rule in self.rules:
            if not rule.matches(method, path):
                continue
            if rule.rate_limit is not None:
                limited = self._rate_limited(rule)
                if limited is None:
                    continue
                return limited
            if rule.count is not None:
                rule.count -= 1
            rule.applied += 1
            decision = _Decision(delay_ms=rule.delay_ms, status=rule.status, content_type=rule.content_type)
            if rule.status is not None:
                decision.body = (rule.body or orjson.dumps(
                    {"error": {"code": "injected_fault", "message": f"injected HTTP {rule.status}"}}).decode()
                ).encode()
            if rule.retry_after is not None:
                decision.headers.append((b"retry-after", _retry_after(rule.retry_after)))
            return decision
        return None

    @staticmethod
    def _rate_limited(rule: FaultRule) -> _Decision | None:
        assert rule.rate_limit is not None
        limit, per = rule.rate_limit
        now = time.monotonic()
        if now - rule._window_start >= per:
            rule._window_start, rule._window_used = now, 0
        rule._window_used += 1
        if rule._window_used <= limit:
            return None
        rule.applied += 1
        wait = max(per - (now - rule._window_start), 0.001)
        body = orjson.dumps({"error": {"code": "rate_limited", "message": f"limit {limit} per {per}s"}})
        return _Decision(status=429, body=body, headers=[(b"retry-after", _retry_after(wait))])


def _retry_after(seconds: float) -> bytes:
    return str(math.ceil(max(seconds, 0.0))).encode()


class FaultMiddleware:
    """Pure ASGI middleware applying `FaultInjector` rules and counting traffic."""

    def __init__(self, app: ASGIApp, faults: FaultInjector, traffic: Traffic) -> None:
        self.app = app
        self.faults = faults
        self.traffic = traffic

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(("/_", "/admin/")):
            await self.app(scope, receive, send)
            return
        self.traffic.requests += 1
        decision = self.faults.decide(scope["method"], scope["path"])
        if decision is not None:
            if decision.delay_ms:
                await asyncio.sleep(decision.delay_ms / 1000)
            if decision.status is not None:
                self.traffic.faulted += 1
                self.traffic.statuses[decision.status] += 1
                headers = [(b"content-type", decision.content_type.encode()),
                           (b"content-length", str(len(decision.body)).encode()), *decision.headers]
                await send({"type": "http.response.start", "status": decision.status, "headers": headers})
                await send({"type": "http.response.body", "body": decision.body})
                return

        async def counting_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                self.traffic.statuses[int(message["status"])] += 1
            await send(message)

        await self.app(scope, receive, counting_send)
