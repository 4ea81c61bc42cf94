"""HTTP connector unit tests on httpx.MockTransport: every auth and pagination style, error mapping."""

from __future__ import annotations

import base64
import email.utils
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from weave.connectors import SystemConfig, create_connector
from weave.connectors.http.errors import parse_retry_after
from weave.connectors.http.pagination import parse_link_header
from weave.errors import TerminalError, TransientError

Handler = Callable[[httpx.Request], httpx.Response]


def make(handler: Handler, auth: dict[str, Any] | None = None, **kw: Any) -> Any:
    system = SystemConfig(name="crm", style="rest", base_url="https://crm.test/api", auth=auth or {}, **kw)
    return create_connector(system, transport=httpx.MockTransport(handler))


async def collect(conn: Any, op: dict[str, Any], state: dict[str, Any] | None = None) -> list[Any]:
    pages = [page async for page in conn.read(op, state=state)]
    await conn.aclose()
    return pages


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CRM_KEY", "key-abc")
    monkeypatch.setenv("CRM_USER", "alice")
    monkeypatch.setenv("CRM_PASS", "pa:ss")
    monkeypatch.setenv("CRM_TOKEN", "tok-static")
    monkeypatch.setenv("CRM_CLIENT_SECRET", "cs-999")


# -- auth ---------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("auth", "check"),
    [
        ({"type": "none"}, lambda r: "authorization" not in r.headers),
        ({"type": "api_key", "key": "${env:CRM_KEY}"}, lambda r: r.headers["x-api-key"] == "key-abc"),
        ({"type": "api_key", "key": "${env:CRM_KEY}", "header": "X-Token"}, lambda r: r.headers["x-token"] == "key-abc"),
        ({"type": "api_key", "key": "${env:CRM_KEY}", "in": "query", "param": "k"}, lambda r: r.url.params["k"] == "key-abc"),
        ({"type": "basic", "username": "${env:CRM_USER}", "password": "${env:CRM_PASS}"},
         lambda r: r.headers["authorization"] == "Basic " + base64.b64encode(b"alice:pa:ss").decode()),
        ({"type": "bearer", "token": "${env:CRM_TOKEN}"}, lambda r: r.headers["authorization"] == "Bearer tok-static"),
    ],
)
async def test_static_auth_styles(env: None, auth: dict[str, Any], check: Callable[[httpx.Request], bool]) -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=[{"id": 1}])

    pages = await collect(make(handler, auth), {"path": "/things"})
    assert pages[0].records == [{"id": 1}]
    assert check(seen[0])


async def test_unknown_auth_type_lists_known() -> None:
    with pytest.raises(TerminalError, match="known types: .*basic.*bearer"):
        make(lambda r: httpx.Response(200), {"type": "kerberos"})


async def test_missing_secret_reference_names_reference_not_value(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NOPE_TOKEN", raising=False)
    conn = make(lambda r: httpx.Response(200, json=[]), {"type": "bearer", "token": "${env:NOPE_TOKEN}"})
    with pytest.raises(TerminalError, match=r"\$\{env:NOPE_TOKEN\} is not set"):
        await collect(conn, {"path": "/x"})


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


async def test_oauth2_caches_and_refreshes_before_expiry(env: None) -> None:
    tokens = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal tokens
        if request.url.path.endswith("/oauth/token"):
            tokens += 1
            form = dict(x.split("=") for x in request.content.decode().split("&"))
            assert form["grant_type"] == "client_credentials" and form["scope"] == "orders.read"
            assert request.headers["authorization"] == "Basic " + base64.b64encode(b"cid:cs-999").decode()
            return httpx.Response(200, json={"access_token": f"T{tokens}", "expires_in": 300})
        assert request.headers["authorization"] == f"Bearer T{tokens}"
        return httpx.Response(200, json=[{"id": 1}])

    auth = {"type": "oauth2_client_credentials", "token_url": "/oauth/token", "client_id": "cid",
            "client_secret": "${env:CRM_CLIENT_SECRET}", "scope": "orders.read"}
    conn = make(handler, auth)
    clock = FakeClock()
    conn._auth._clock = clock
    for _ in range(5):
        [p async for p in conn.read({"path": "/x"})]
    assert tokens == 1
    clock.now += 300 - 31  # 31 s left: still fresh (refresh_before 30 s)
    [p async for p in conn.read({"path": "/x"})]
    assert tokens == 1
    clock.now += 2  # 29 s left: refreshed before it expires
    [p async for p in conn.read({"path": "/x"})]
    assert tokens == 2
    await conn.aclose()


async def test_oauth2_refetches_once_after_401(env: None) -> None:
    calls: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/oauth/token"):
            calls.append("token")
            return httpx.Response(200, json={"access_token": f"T{len(calls)}", "expires_in": 3600})
        calls.append(request.headers["authorization"])
        if request.headers["authorization"] == "Bearer T1":
            return httpx.Response(401, json={"error": "revoked"})
        return httpx.Response(200, json=[])

    auth = {"type": "oauth2", "token_url": "https://idp.test/oauth/token", "client_id": "cid",
            "client_secret": "${env:CRM_CLIENT_SECRET}", "client_auth": "body"}
    await collect(make(handler, auth), {"path": "/x"})
    assert calls == ["token", "Bearer T1", "token", "Bearer T3"]


async def test_oauth2_bad_credentials_is_terminal_without_secret(env: None) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(401, json={"error": "invalid_client"})

    auth = {"type": "oauth2", "token_url": "/oauth/token", "client_id": "cid", "client_secret": "${env:CRM_CLIENT_SECRET}"}
    with pytest.raises(TerminalError) as info:
        await collect(make(handler, auth), {"path": "/x"})
    assert "invalid_client" in str(info.value) and "cs-999" not in str(info.value)


# -- pagination ---------------------------------------------------------------------------------

DATA = [{"id": i} for i in range(1, 24)]


def paged_handler(style: str) -> Handler:
    def handler(request: httpx.Request) -> httpx.Response:
        q = request.url.params
        if style == "page":
            p, n = int(q["page"]), int(q["per_page"])
            return httpx.Response(200, json={"data": DATA[(p - 1) * n : p * n]})
        if style == "offset":
            o, n = int(q["offset"]), int(q["limit"])
            return httpx.Response(200, json={"items": DATA[o : o + n], "total": len(DATA)})
        if style == "cursor":
            pos = int(q.get("after", "0"))
            nxt = str(pos + 10) if pos + 10 < len(DATA) else None
            return httpx.Response(200, json={"results": DATA[pos : pos + 10], "meta": {"next": nxt}})
        p = int(q.get("p", 1))
        headers = {"Link": f'<https://crm.test/api/things?p={p + 1}>; rel="next"'} if p * 10 < len(DATA) else {}
        return httpx.Response(200, json=DATA[(p - 1) * 10 : p * 10], headers=headers)

    return handler


@pytest.mark.parametrize(
    ("style", "pagination", "records", "pages"),
    [
        ("page", {"type": "page", "size_param": "per_page", "size": 10}, "data", 3),
        ("offset", {"type": "offset", "limit": 10, "total": "total"}, "items", 3),
        ("cursor", {"type": "cursor", "cursor_param": "after", "next": "meta.next"}, "results", 3),
        ("link", {"type": "link"}, None, 3),
    ],
)
async def test_pagination_styles(style: str, pagination: dict[str, Any], records: str | None, pages: int) -> None:
    op: dict[str, Any] = {"path": "/things", "pagination": pagination}
    if records:
        op["records"] = records
    got = await collect(make(paged_handler(style)), op)
    assert [r["id"] for p in got for r in p.records] == list(range(1, 24))
    assert len(got) == pages and got[-1].done and not any(p.done for p in got[:-1])
    assert got[0].state  # a resume state for the next page


async def test_resume_from_page_state() -> None:
    op = {"path": "/things", "records": "results", "pagination": {"type": "cursor", "cursor_param": "after", "next": "meta.next"}}
    first = await collect(make(paged_handler("cursor")), op)
    resumed = await collect(make(paged_handler("cursor")), op, state=first[0].state)
    assert [r["id"] for p in resumed for r in p.records] == list(range(11, 24))


async def test_page_pagination_exact_multiple_stops_on_empty_page() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        p = int(request.url.params["page"])
        return httpx.Response(200, json={"data": DATA[:20][(p - 1) * 10 : p * 10]})

    got = await collect(make(handler), {"path": "/t", "records": "data", "pagination": {"type": "page", "size": 10}})
    assert [len(p.records) for p in got] == [10, 10, 0]


async def test_cursor_loop_guard_and_max_pages() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"data": [{"id": 1}], "next": "same"})

    op = {"path": "/t", "records": "data", "pagination": {"type": "cursor", "next": "next"}}
    got = await collect(make(handler), op)
    assert len(got) == 2  # second answer repeats the cursor: stop instead of looping forever
    got = await collect(make(handler), {**op, "pagination": {"type": "cursor", "next": "'x' || next"}, "max_pages": 1})
    assert len(got) == 1


def test_link_header_parsing() -> None:
    value = '<https://a.test/x?page=2>; rel="next", <https://a.test/x?page=9>; rel="last", </p1>; rel="prev first"'
    assert parse_link_header(value) == {"next": "https://a.test/x?page=2", "last": "https://a.test/x?page=9",
                                        "prev": "/p1", "first": "/p1"}
    assert parse_link_header(None) == {}


async def test_unknown_pagination_lists_known() -> None:
    with pytest.raises(TerminalError, match="known types: cursor, link, none, offset, page"):
        await collect(make(paged_handler("page")), {"path": "/t", "pagination": {"type": "keyset"}})


async def test_params_render_state_templates() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=[])

    await collect(make(handler), {"path": "/t", "params": {"since": "{{ state.since }}", "n": 5}},
                  state={"since": "2024-01-01T00:00:00Z"})
    assert seen[0].url.params["since"] == "2024-01-01T00:00:00Z" and seen[0].url.params["n"] == "5"


# -- errors ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("status", [400, 401, 403, 404, 409, 422])
async def test_4xx_is_terminal(status: int) -> None:
    conn = make(lambda r: httpx.Response(status, json={"error": "nope"}))
    with pytest.raises(TerminalError) as info:
        await conn.write({"path": "/orders"}, [{"id": 1}])
    assert info.value.status == status and "POST /api/orders answered" in str(info.value)


@pytest.mark.parametrize("status", [408, 429, 500, 502, 503, 504])
async def test_5xx_408_429_are_transient(status: int) -> None:
    conn = make(lambda r: httpx.Response(status, headers={"Retry-After": "7"}))
    with pytest.raises(TransientError) as info:
        await conn.write({"path": "/orders"}, [{"id": 1}])
    assert info.value.status == status and info.value.retry_after == 7.0


async def test_timeouts_and_connection_errors_are_transient() -> None:
    def timeout(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow", request=request)

    def refused(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    with pytest.raises(TransientError, match="timed out"):
        await make(timeout).write({"path": "/o"}, [{"id": 1}])
    with pytest.raises(TransientError, match="ConnectError"):
        await make(refused).write({"path": "/o"}, [{"id": 1}])


def test_parse_retry_after() -> None:
    now = time.time()
    assert parse_retry_after("120") == 120.0
    assert parse_retry_after(email.utils.formatdate(now + 60, usegmt=True), now=now) == pytest.approx(60, abs=1)
    assert parse_retry_after(email.utils.formatdate(now - 60, usegmt=True), now=now) == 0.0
    assert parse_retry_after("soon") is None and parse_retry_after(None) is None and parse_retry_after("") is None


async def test_non_json_body_is_a_clear_terminal_error() -> None:
    conn = make(lambda r: httpx.Response(200, text="<html>login</html>", headers={"content-type": "text/html"}))
    with pytest.raises(TerminalError, match="not JSON .content-type text/html"):
        await collect(conn, {"path": "/t"})


# -- write --------------------------------------------------------------------------------------

async def test_write_per_record_with_path_placeholders_and_keys() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"ok": request.url.path})

    conn = make(handler)
    result = await conn.write({"method": "PUT", "path": "/accounts/{id}"}, [{"id": "a/1"}, {"id": 2}],
                              idempotency_keys=["k1", "k2"])
    assert result.written == 2
    assert [r.url.raw_path for r in seen] == [b"/api/accounts/a%2F1", b"/api/accounts/2"]
    assert [r.headers["idempotency-key"] for r in seen] == ["k1", "k2"]
    assert result.responses[1] == {"ok": "/api/accounts/2"}


async def test_write_batches() -> None:
    bodies: list[bytes] = []

    def handler(request: httpx.Request) -> httpx.Response:
        bodies.append(request.content)
        return httpx.Response(202)

    conn = make(handler)
    result = await conn.write({"path": "/bulk", "batch": 2, "body_key": "items"}, [{"id": i} for i in range(5)],
                              idempotency_keys=[str(i) for i in range(5)])
    assert result.detail["requests"] == 3
    assert bodies[0] == b'{"items":[{"id":0},{"id":1}]}'


async def test_write_missing_path_field_is_terminal() -> None:
    with pytest.raises(TerminalError, match="needs field 'id'"):
        await make(lambda r: httpx.Response(200)).write({"path": "/a/{id}"}, [{"name": "x"}])


async def test_probe_reports_auth_failure_and_success() -> None:
    ok = await make(lambda r: httpx.Response(200, json={"ok": True})).probe()
    assert ok.ok and ok.auth_ok and ok.status == 200 and ok.latency_ms is not None
    denied = await make(lambda r: httpx.Response(401, json={})).probe()
    assert not denied.ok and denied.auth_ok is False and denied.status == 401
    down = await make(lambda r: httpx.Response(503)).probe()
    assert not down.ok and down.status == 503


def test_registry_unknown_style_lists_known() -> None:
    from weave.connectors import UnknownConnectorError, create_connector, known_styles

    assert {"rest", "soap", "sql", "file"} <= set(known_styles())
    with pytest.raises(UnknownConnectorError, match="known styles: file, http, rest, soap, sql"):
        create_connector(SystemConfig(name="x", style="graphql"))


def test_system_config_from_spec() -> None:
    cfg = SystemConfig.from_spec(
        "erp",
        {"api": {"style": "soap", "base_url": "${env:ERP_URL}", "auth": {"type": "basic", "username": "u"},
                 "contract": "c.wsdl", "timeout": "5s"}, "rate_limit": {"requests": 120, "per": "minute"}},
        base_dir="/specs",
    )
    assert (cfg.style, cfg.base_url, cfg.rate_limit, cfg.timeout) == ("soap", "${env:ERP_URL}", 2.0, 5.0)
    assert cfg.auth == {"type": "basic", "username": "u"} and cfg.options == {}
    assert str(cfg.path("soap/x.xml.j2")) == "/specs/soap/x.xml.j2"


async def test_concurrent_write_failure_cancels_the_rest() -> None:
    import asyncio

    started: list[int] = []

    async def handler(request: httpx.Request) -> httpx.Response:
        rid = int(request.content.decode().split(":")[1].rstrip("}"))
        started.append(rid)
        if rid == 0:
            return httpx.Response(400, json={"error": "bad"})
        await asyncio.sleep(5)
        return httpx.Response(200)

    conn = make(handler)  # type: ignore[arg-type]
    loop = asyncio.get_running_loop()
    start = loop.time()
    with pytest.raises(TerminalError):
        await conn.write({"path": "/o", "concurrency": 4}, [{"id": i} for i in range(8)])
    assert loop.time() - start < 2  # the slow siblings were cancelled, not awaited
    await conn.aclose()


async def test_echoed_credentials_are_redacted_from_errors(env: None) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(400, json={"error": "bad request", "echo": request.headers["authorization"]})

    conn = make(handler, {"type": "bearer", "token": "${env:CRM_TOKEN}"})
    with pytest.raises(TerminalError) as info:
        await conn.write({"path": "/o"}, [{"id": 1}])
    assert "tok-static" not in str(info.value) and "Bearer ***" in str(info.value)
    await conn.aclose()


async def test_duplicate_status_counts_as_already_delivered() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.headers["idempotency-key"] == "k1":
            return httpx.Response(409, json={"error": "exists"})
        return httpx.Response(201, json={"id": 2})

    conn = make(handler)
    result = await conn.write({"path": "/o", "duplicate_status": [409]}, [{"id": 1}, {"id": 2}], idempotency_keys=["k1", "k2"])
    assert (result.written, result.skipped) == (1, 1)
    with pytest.raises(TerminalError) as info:  # without the option a 409 stays a terminal error
        await conn.write({"path": "/o"}, [{"id": 1}], idempotency_keys=["k1"])
    assert info.value.status == 409
    await conn.aclose()


async def test_read_with_templated_json_body_and_cursor() -> None:
    seen: list[dict[str, Any]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        import json

        payload = json.loads(request.content)
        seen.append(payload)
        after = payload["variables"].get("after")
        if after is None:
            return httpx.Response(200, json={"data": {"orders": {"nodes": [{"id": 1}], "next": "c1"}}})
        return httpx.Response(200, json={"data": {"orders": {"nodes": [{"id": 2}], "next": None}}})

    op = {"method": "POST", "path": "/graphql", "records": "data.orders.nodes",
          "body": {"query": "query($since: String) { orders(since: $since) { nodes { id } } }",
                   "variables": {"since": "{{ state.since }}"}},
          "pagination": {"type": "cursor", "next": "data.orders.next", "in": "body", "cursor_param": "variables.after"}}
    pages = await collect(make(handler), op, state={"since": "2024-06-01"})
    assert [r["id"] for p in pages for r in p.records] == [1, 2]
    assert seen[0]["variables"] == {"since": "2024-06-01", "after": None}
    assert seen[1]["variables"] == {"since": "2024-06-01", "after": "c1"}


async def test_query_api_key_never_lands_in_page_state(env: None) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        assert request.url.params["api_key"] == "key-abc"
        assert len(request.url.params.get_list("api_key")) == 1
        page = int(request.url.params.get("page", 1))
        headers = {"Link": f'<https://crm.test/api/t?page={page + 1}&api_key=key-abc>; rel="next"'} if page < 2 else {}
        return httpx.Response(200, json=[{"id": page}], headers=headers)

    auth = {"type": "api_key", "key": "${env:CRM_KEY}", "in": "query", "param": "api_key"}
    pages = await collect(make(handler, auth), {"path": "/t", "pagination": {"type": "link"}})
    assert [r["id"] for p in pages for r in p.records] == [1, 2]
    assert pages[0].state == {"page_state": {"url": "https://crm.test/api/t?page=2"}}


def test_with_params_appends_to_existing_query() -> None:
    from weave.connectors.http.backend import with_params

    assert with_params("https://a.test/x?page=2", {"k": "v", "n": None, "b": True}) == "https://a.test/x?page=2&k=v&b=true"
    assert with_params("https://a.test/x", {"q": "a b&c"}) == "https://a.test/x?q=a+b%26c"
    assert with_params("https://a.test/x?", {"q": 1}) == "https://a.test/x?q=1"
    assert with_params("https://a.test/x", {}) == "https://a.test/x"
