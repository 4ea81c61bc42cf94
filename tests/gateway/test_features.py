"""Routes, transforms, composition, validation, CORS, limits, upstream failures, logs, metrics, OpenAPI."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator

import httpx
import pytest

from weave.gateway import gateway_config_from_specs

from . import specs
from .conftest import Gateway, ServerThread, raw_request, running_gateway, start_gateway


@pytest.fixture(scope="module")
def gw(upstream: ServerThread) -> Iterator[Gateway]:
    with running_gateway(specs.config(upstream.url, expose_metrics=True), env=specs.ENV) as gateway:
        yield gateway


def test_response_transform_hides_cost_prices(client: httpx.Client, key: str) -> None:
    for quote_id in ("Q-00001", "Q-00002"):  # Q-00002 comes back chunked from the upstream
        response = client.get(f"/partner/v1/quotes/{quote_id}", headers={"x-api-key": key})
        assert response.status_code == 200
        quote = response.json()
        assert quote["id"] == quote_id and quote["total"] > 0 and len(quote["lines"]) == 2
        assert "cost_price" not in response.text
        assert all("price" in line for line in quote["lines"])
        assert "etag" not in response.headers  # the body changed, so the upstream's validator no longer holds


def test_composed_response(client: httpx.Client, key: str) -> None:
    response = client.get("/partner/v1/quote-summary/Q-00003", headers={"x-api-key": key})
    assert response.status_code == 200
    assert response.json() == {"id": "Q-00003", "total": 1203.0, "account": "Account 3"}
    missing = client.get("/partner/v1/quote-summary/Q-09999", headers={"x-api-key": key})
    assert missing.status_code == 404


def test_path_query_and_header_rewriting(client: httpx.Client, key: str) -> None:
    echoed = client.get("/partner/v1/echo/a%20b?q=find&z=drop&fixed=0", headers={"x-api-key": key}).json()
    assert echoed["raw_path"] == "/echo/a%20b"
    assert echoed["query"] == "fixed=1&q=find"  # route query + allowed client params; z dropped
    assert dict(echoed["headers"])["x-partner-name"] == "a b"


def test_request_validation_reports_the_path(client: httpx.Client, key: str) -> None:
    headers = {"x-api-key": key}
    bad = client.post("/partner/v1/quotes", headers=headers,
                      json={"account_id": "ACC-1", "lines": [{"sku": "PRD-001", "qty": 0}], "extra": 1})
    assert bad.status_code == 400
    error = bad.json()["error"]
    assert error["code"] == "invalid_request"
    assert {d["path"] for d in error["details"]} == {"/", "/lines/0/qty"}
    not_json = client.post("/partner/v1/quotes", headers={**headers, "content-type": "application/json"},
                           content=b"{nope")
    assert not_json.status_code == 400 and not_json.json()["error"]["code"] == "invalid_json"
    wrong_type = client.post("/partner/v1/quotes", headers={**headers, "content-type": "text/plain"}, content=b"{}")
    assert wrong_type.status_code == 415
    good = client.post("/partner/v1/quotes", headers=headers,
                       json={"account_id": "ACC-1", "lines": [{"sku": "PRD-001", "qty": 2}]})
    assert good.status_code == 201 and "cost_price" not in good.text


def test_body_size_limit(gw: Gateway, client: httpx.Client, key: str) -> None:
    big = {"account_id": "x" * 4000, "lines": [{"sku": "a", "qty": 1}]}
    response = client.post("/partner/v1/quotes", headers={"x-api-key": key}, json=big)
    assert response.status_code == 413 and response.json()["error"]["code"] == "body_too_large"
    # chunked upload without a Content-Length is cut off as well
    chunk = b"x" * 3000
    request = (f"POST /partner/v1/quotes HTTP/1.1\r\nHost: x\r\nX-API-Key: {key}\r\nContent-Type: application/json\r\n"
               f"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n{len(chunk):x}\r\n").encode() + chunk + b"\r\n0\r\n\r\n"
    status, _ = raw_request(gw.server.port, request)
    assert status == 413


def test_cors(client: httpx.Client, key: str) -> None:
    preflight = client.options("/partner/v1/echo/bob", headers={
        "origin": "https://portal.example", "access-control-request-method": "GET"})
    assert preflight.status_code == 204
    assert preflight.headers["access-control-allow-origin"] == "https://portal.example"
    assert "x-api-key" in preflight.headers["access-control-allow-headers"]
    refused = client.options("/partner/v1/echo/bob", headers={
        "origin": "https://evil.example", "access-control-request-method": "GET"})
    assert refused.status_code == 403 and "access-control-allow-origin" not in refused.headers
    actual = client.get("/partner/v1/echo/bob", headers={"x-api-key": key, "origin": "https://portal.example"})
    assert actual.headers["access-control-allow-origin"] == "https://portal.example"
    other = client.get("/partner/v1/quotes/Q-00001", headers={"x-api-key": key, "origin": "https://portal.example"})
    assert "access-control-allow-origin" not in other.headers  # no CORS declared on that route


def test_consumer_rate_limit_and_headers(gw: Gateway, client: httpx.Client) -> None:
    limited = gw.new_key("limited")  # 3 per hour
    statuses = []
    for _ in range(4):
        response = client.get("/partner/v1/quotes/Q-00001", headers={"x-api-key": limited})
        statuses.append(response.status_code)
    assert statuses == [200, 200, 200, 429]
    assert response.headers["ratelimit-limit"] == "3" and response.headers["ratelimit-remaining"] == "0"
    assert int(response.headers["retry-after"]) >= 1000  # one token per 1200 s
    assert response.json()["error"]["code"] == "rate_limited"


def test_route_rate_limit_is_per_consumer(gw: Gateway, client: httpx.Client, key: str) -> None:
    other = gw.new_key("reader")
    first = [client.get("/partner/v1/limited", headers={"x-api-key": key}).status_code for _ in range(6)]
    assert first == [200] * 5 + [429]
    assert client.get("/partner/v1/limited", headers={"x-api-key": other}).status_code == 200


def test_upstream_timeout_and_circuit_breaker(client: httpx.Client, key: str) -> None:
    slow = client.get("/partner/v1/slow", headers={"x-api-key": key})
    assert slow.status_code == 504 and slow.json()["error"]["code"] == "upstream_timeout"
    statuses = [client.get("/partner/v1/fail", headers={"x-api-key": key}).status_code for _ in range(7)]
    assert statuses == [502] * 5 + [503, 503]  # opened after 5 consecutive failures
    # another system is unaffected by the open breaker
    assert client.get("/partner/v1/quotes/Q-00001", headers={"x-api-key": key}).status_code == 200


def test_unknown_route_and_method(client: httpx.Client, key: str) -> None:
    assert client.get("/nope", headers={"x-api-key": key}).status_code == 404
    response = client.delete("/partner/v1/quotes/Q-00001", headers={"x-api-key": key})
    assert response.status_code == 405 and response.headers["allow"] == "GET"


def test_access_log_names_the_consumer_never_the_credential(client: httpx.Client, key: str,
                                                            caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="weave.gateway.access"):
        client.get("/partner/v1/quotes/Q-00004?trace=1", headers={"x-api-key": key})
        client.get("/partner/v1/quotes/Q-00004", headers={"x-api-key": "wv_bad_key"})

        def access_records() -> list[dict[str, object]]:
            return [json.loads(r.getMessage()) for r in caplog.records if r.name == "weave.gateway.access"]

        deadline = time.monotonic() + 5  # the server logs right after it has answered: poll for the lines
        while len([r for r in access_records() if r["path"] == "/partner/v1/quotes/Q-00004"]) < 2:
            assert time.monotonic() < deadline, "access log lines did not arrive"
            time.sleep(0.01)
    records = access_records()
    ok = next(r for r in records if r["status"] == 200)
    assert ok["consumer"] == "partner-acme" and ok["auth"] == "api-key"
    assert ok["route"] == "GET /partner/v1/quotes/{id}" and ok["path"] == "/partner/v1/quotes/Q-00004"
    refused = next(r for r in records if r["status"] == 401)
    assert refused["consumer"] == "-" and refused["error"] == "unauthenticated"
    text = caplog.text
    assert key not in text and "wv_bad_key" not in text and "trace=1" not in text


def test_metrics_per_route_and_consumer(gw: Gateway, client: httpx.Client, key: str) -> None:
    client.get("/partner/v1/quotes/Q-00005", headers={"x-api-key": key})
    text = client.get("/metrics").text
    assert ('weave_gateway_requests_total{consumer="partner-acme",route="GET /partner/v1/quotes/{id}",status="200"}'
            in text)
    assert 'weave_gateway_request_duration_seconds_bucket{consumer="partner-acme"' in text
    assert 'weave_gateway_upstream_errors_total{kind="timeout",system="sluggish"}' in text


def test_openapi_document(client: httpx.Client, gw: Gateway) -> None:
    doc = client.get("/openapi.json").json()
    assert doc["openapi"] == "3.1.0"
    assert set(doc["paths"]) == {r.path for r in gw.app.config.routes} | {"/oauth/token"}
    get_quote = doc["paths"]["/partner/v1/quotes/{id}"]["get"]
    schemes = {name for alt in get_quote["security"] for name in alt}
    assert schemes == {"ApiKeyAuth", "BearerJWT", "BasicAuth", "OAuth2"}
    assert {"OAuth2": ["quotes:read"]} in get_quote["security"]
    assert get_quote["parameters"][0]["name"] == "id" and get_quote["parameters"][0]["in"] == "path"
    post = doc["paths"]["/partner/v1/quotes"]["post"]
    assert post["requestBody"]["content"]["application/json"]["schema"] == specs.QUOTE_SCHEMA
    keyonly = doc["paths"]["/partner/v1/keyonly/{id}"]["get"]
    assert keyonly["security"] == [{"ApiKeyAuth": []}]
    assert doc["components"]["securitySchemes"]["OAuth2"]["flows"]["clientCredentials"]["tokenUrl"] == "/oauth/token"
    from jsonschema import Draft202012Validator
    Draft202012Validator.check_schema(get_quote["responses"]["200"]["content"]["application/json"]["schema"])


def test_adapter_refuses_broken_gateways(upstream: ServerThread) -> None:
    from weave.gateway import GatewayConfigError

    base = specs.integration()
    systems = {"crm": upstream.url}
    cases = {
        "unknown system": {"method": "GET", "path": "/a", "upstream": {"system": "erp", "path": "/x"}},
        "bad template": {"method": "GET", "path": "/a/{id}", "upstream": {"system": "crm", "path": "/x/{nope}"}},
        "reserved": {"method": "GET", "path": "/openapi.json", "upstream": {"system": "crm", "path": "/x"}},
        "bad step": {"method": "GET", "path": "/a", "upstream": {"system": "crm", "path": "/x"},
                     "response": {"steps": [{"explode": 1}]}},
        "later compose ref": {"method": "GET", "path": "/a", "compose": [
            {"name": "one", "system": "crm", "path": "/x/{two.id}"}, {"name": "two", "system": "crm", "path": "/y"}]},
    }
    for name, route in cases.items():
        integration = {**base, "gateway": {"routes": [route]}}
        with pytest.raises(GatewayConfigError):
            gateway_config_from_specs([integration], [], systems)
        assert name
    duplicate = {**base, "gateway": {"routes": [base["gateway"]["routes"][0], base["gateway"]["routes"][0]]}}
    with pytest.raises(GatewayConfigError, match="already exposed"):
        gateway_config_from_specs([duplicate], [], systems)
    none_alg = {"name": "x", "auth": {"type": "jwt", "issuer": "i", "audience": "a", "algorithms": ["none"],
                                      "secret": "${env:X}"}}
    with pytest.raises(GatewayConfigError, match="none"):
        gateway_config_from_specs([], [none_alg], systems)


def test_gateway_runs_on_a_redis_limiter_too(upstream: ServerThread, redis_url: str) -> None:
    config = specs.config(upstream.url, redis_url=redis_url)
    app, server = start_gateway(config, env=specs.ENV)
    with server, httpx.Client(base_url=server.url) as c:
        gateway = Gateway(app, server)
        limited = gateway.new_key("limited")
        statuses = [c.get("/partner/v1/quotes/Q-00001", headers={"x-api-key": limited}).status_code for _ in range(4)]
        assert statuses == [200, 200, 200, 429]


def test_a_non_json_upstream_answer_on_a_transformed_route_is_a_502_and_the_gateway_goes_on(
        upstream: ServerThread) -> None:
    integration = specs.integration()
    integration["gateway"]["routes"].append(
        {"method": "GET", "path": "/partner/v1/page", "upstream": {"system": "crm", "path": "/html"},
         "scopes": ["quotes:read"], "response": specs.HIDE_COST})
    systems = {"crm": upstream.url, "flaky": upstream.url, "sluggish": upstream.url}
    config = gateway_config_from_specs([integration], specs.consumers(), systems, {"key_cache_ttl": 0})
    app, server = start_gateway(config, env=specs.ENV)
    with server, httpx.Client(base_url=server.url) as c:
        key = Gateway(app, server).new_key("reader")
        bad = c.get("/partner/v1/page", headers={"x-api-key": key})
        assert bad.status_code == 502
        assert bad.json()["error"]["code"] == "upstream_error" and "maintenance" not in bad.text
        good = c.get("/partner/v1/quotes/Q-00001", headers={"x-api-key": key})
        assert good.status_code == 200 and "cost_price" not in good.text


def test_expect_continue_and_keep_alive_through_the_coalescing_protocol(gw: Gateway, key: str) -> None:
    import socket

    body = b'{"account_id": "ACC-1", "lines": [{"sku": "PRD-001", "qty": 1}]}'
    with socket.create_connection(("127.0.0.1", gw.server.port), timeout=5) as sock:
        sock.sendall((f"POST /partner/v1/quotes HTTP/1.1\r\nHost: x\r\nX-API-Key: {key}\r\n"
                      f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
                      "Expect: 100-continue\r\n\r\n").encode())
        interim = sock.recv(65536)
        assert interim.startswith(b"HTTP/1.1 100 Continue\r\n\r\n")  # sent without waiting for a body
        sock.sendall(body)
        response = b""
        while b'"Q-99999"' not in response:
            response += sock.recv(65536)
        assert b"HTTP/1.1 201" in response and b"cost_price" not in response
        for _ in range(3):  # the same connection keeps working
            sock.sendall(f"GET /partner/v1/quotes/Q-00001 HTTP/1.1\r\nHost: x\r\nX-API-Key: {key}\r\n\r\n".encode())
            reply = b""
            while not reply.endswith(b"}"):
                reply += sock.recv(65536)
            assert reply.startswith(b"HTTP/1.1 200 OK\r\n") and reply.count(b"HTTP/1.1") == 1
