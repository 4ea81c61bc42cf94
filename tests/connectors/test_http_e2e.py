"""HTTP connector against a real uvicorn service on 127.0.0.1 (default aiohttp backend)."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from weave.connectors import SystemConfig, create_connector
from weave.delivery import BreakerConfig, CircuitBreaker, RetryPolicy, deliver_with_retry
from weave.errors import TerminalError, TransientError


def system(base: str, auth: dict[str, Any] | None = None, **kw: Any) -> SystemConfig:
    return SystemConfig(name="crm", style="rest", base_url=base, auth=auth or {"type": "none"}, **kw)


async def read_all(conn: Any, op: dict[str, Any]) -> list[Any]:
    return [page async for page in conn.read(op)]


@pytest.mark.parametrize(
    ("path", "op"),
    [
        ("/items/page", {"records": "data", "pagination": {"type": "page", "size_param": "per_page", "size": 10,
                                                            "total_pages": "meta.pages"}}),
        ("/items/offset", {"records": "items", "pagination": {"type": "offset", "limit": 10, "total": "total"}}),
        ("/items/cursor", {"records": "data", "pagination": {"type": "cursor", "next": "meta.next"}}),
        ("/items/link", {"pagination": {"type": "link"}}),
    ],
)
async def test_pagination_against_real_server(api: tuple[str, Any], servers: Any, path: str, op: dict[str, Any]) -> None:
    base, _ = api
    conn = create_connector(system(base))
    try:
        pages = await read_all(conn, {"path": path, **op})
    finally:
        await conn.aclose()
    assert [r for p in pages for r in p.records] == servers.ITEMS
    assert len(pages) == 3 and pages[-1].done


async def test_static_auth_against_real_server(api: tuple[str, Any], servers: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    base, state = api
    monkeypatch.setenv("T_KEY", servers.API_KEY)
    monkeypatch.setenv("T_USER", servers.BASIC[0])
    monkeypatch.setenv("T_PASS", servers.BASIC[1])
    cases = {
        "apikey": {"type": "api_key", "key": "${env:T_KEY}"},
        "basic": {"type": "basic", "username": "${env:T_USER}", "password": "${env:T_PASS}"},
        "bearer": {"type": "bearer", "token": "static-bearer-token"},
    }
    for kind, auth in cases.items():
        conn = create_connector(system(base, auth))
        pages = await read_all(conn, {"path": f"/secure/{kind}"})
        await conn.aclose()
        assert pages[0].records == servers.ITEMS[:3]
        bad = create_connector(system(base, {**auth, **({"key": "wrong"} if kind == "apikey" else
                                                        {"password": "wrong"} if kind == "basic" else {"token": "x"})}))
        with pytest.raises(TerminalError) as info:
            await read_all(bad, {"path": f"/secure/{kind}"})
        await bad.aclose()
        assert info.value.status == 401
    assert state.seen_auth.count("apikey") == 2


async def test_oauth2_one_token_for_200_concurrent_requests(
    api: tuple[str, Any], servers: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    base, state = api
    monkeypatch.setenv("T_CLIENT_SECRET", servers.CLIENT[1])
    auth = {"type": "oauth2_client_credentials", "token_url": f"{base}/oauth/token", "client_id": servers.CLIENT[0],
            "client_secret": "${env:T_CLIENT_SECRET}"}
    conn = create_connector(system(base, auth))
    try:
        records = [{"id": i} for i in range(200)]
        results = await asyncio.gather(*(conn.write({"path": "/secure/bearer", "method": "GET"}, []) for _ in range(3)),
                                       *(conn.write({"path": "/orders"}, [r], idempotency_keys=[f"o{r['id']}"])
                                         for r in records))
        assert sum(r.written for r in results) == 200
        assert state.token_requests == 1
        assert len(state.orders) == 200
        # the cached token is refreshed shortly before it expires: move the connector's clock on
        now = time.monotonic()
        conn._auth._clock = lambda: now + 3600 - 10
        await conn.write({"path": "/orders"}, [{"id": "late"}], idempotency_keys=["late"])
        assert state.token_requests == 2
    finally:
        await conn.aclose()


async def test_oauth2_wrong_secret_is_terminal(api: tuple[str, Any], servers: Any) -> None:
    base, state = api
    auth = {"type": "oauth2", "token_url": "/oauth/token", "client_id": servers.CLIENT[0], "client_secret": "wrong"}
    conn = create_connector(system(base, auth))
    with pytest.raises(TerminalError, match="refused the client credentials"):
        await conn.write({"path": "/orders"}, [{"id": 1}])
    await conn.aclose()
    assert state.token_requests == 1 and not state.orders


async def test_429_retry_after_then_ok(api: tuple[str, Any]) -> None:
    base, state = api
    conn = create_connector(system(base))
    waits: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        waits.append(seconds)

    outcome = await deliver_with_retry(lambda: conn.write({"path": "/limited"}, [{"id": 1}]), RetryPolicy(initial=0.01),
                                       None, sleep=fake_sleep)
    await conn.aclose()
    assert outcome.delivered and outcome.attempts == 2
    assert waits == [1.0]  # the server's Retry-After, not the 10 ms backoff
    assert state.limited_hits == 2


async def test_5xx_then_ok_delivers_exactly_once(api: tuple[str, Any]) -> None:
    base, state = api
    conn = create_connector(system(base))
    breaker = CircuitBreaker("crm", BreakerConfig(failure_threshold=5))

    async def fast(_: float) -> None:
        return None

    outcome = await deliver_with_retry(
        lambda: conn.write({"path": "/flaky/a?fail=3"}, [{"id": 7}], idempotency_keys=["order-7"]),
        RetryPolicy(max_attempts=5), breaker, sleep=fast,
    )
    await conn.aclose()
    assert outcome.delivered and outcome.attempts == 4
    assert state.failures["a"] == 4 and state.orders == {"order-7": {"id": 7}}
    assert breaker.state == "closed"


async def test_target_down_opens_breaker_then_dead_letters(api: tuple[str, Any]) -> None:
    base, state = api
    conn = create_connector(system(base))
    breaker = CircuitBreaker("crm", BreakerConfig(failure_threshold=2, reset_timeout=60))

    async def fast(_: float) -> None:
        return None

    outcome = await deliver_with_retry(
        lambda: conn.write({"path": "/flaky/b?fail=100"}, [{"id": 1}]), RetryPolicy(max_attempts=4), breaker, sleep=fast
    )
    await conn.aclose()
    assert outcome.status == "dead_letter" and outcome.attempts == 4
    assert state.failures["b"] == 2  # the open circuit kept attempts 3 and 4 off the wire
    assert "circuit for 'crm' is open" in (outcome.reason or "")


async def test_422_is_dead_lettered_without_retry(api: tuple[str, Any]) -> None:
    base, state = api
    conn = create_connector(system(base))
    outcome = await deliver_with_retry(lambda: conn.write({"path": "/orders"}, [{"invalid": True}]), RetryPolicy(), None)
    await conn.aclose()
    assert outcome.status == "dead_letter" and outcome.attempts == 1 and outcome.http_status == 422
    assert "field email is required" in (outcome.reason or "") and state.order_posts == 1


async def test_timeout_and_refused_connection_are_transient(api: tuple[str, Any]) -> None:
    from weave.sandbox.services import free_port

    base, _ = api
    conn = create_connector(system(base, timeout=0.2))
    with pytest.raises(TransientError, match="timed out after 0.2s"):
        await read_all(conn, {"path": "/slow", "params": {"s": 1}})
    await conn.aclose()
    dead = create_connector(system(f"http://127.0.0.1:{free_port()}"))
    with pytest.raises(TransientError, match="failed: Client"):
        await read_all(dead, {"path": "/x"})
    probe = await dead.probe()
    assert not probe.ok and probe.status is None
    await dead.aclose()


async def test_rate_limit_is_respected(api: tuple[str, Any]) -> None:
    base, _ = api
    conn = create_connector(system(base, rate_limit=100.0))
    done: list[float] = []

    async def one() -> None:
        await read_all(conn, {"path": "/secure/none"})
        done.append(time.perf_counter())

    start = time.perf_counter()
    await asyncio.gather(*(one() for _ in range(60)))
    await conn.aclose()
    # evenly paced at 100/s: 60 requests need at least 0.59 s, and no 0.25 s window holds more than 26
    assert done[-1] - start >= 0.58
    done.sort()
    assert max(sum(1 for t in done if t0 <= t < t0 + 0.25) for t0 in done) <= 26 + 5  # +5: response-time jitter


async def test_probe_real_server(api: tuple[str, Any]) -> None:
    base, _ = api
    conn = create_connector(system(base, options={"probe": {"path": "/secure/none"}}))
    result = await conn.probe()
    await conn.aclose()
    assert result.ok and result.status == 200 and result.latency_ms is not None and result.latency_ms >= 0
