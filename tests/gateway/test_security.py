"""Security cases of issue 7, each against a real uvicorn gateway in front of a real upstream."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator
from typing import Any

import httpx
import jwt
import orjson
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from . import specs
from .conftest import Gateway, ServerThread, raw_request, running_gateway, start_gateway

AUD = "weave-partner-api"


def _rsa() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def rsa_key() -> rsa.RSAPrivateKey:
    return _rsa()


@pytest.fixture(scope="module")
def jwks_doc(rsa_key: rsa.RSAPrivateKey) -> dict[str, Any]:
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(rsa_key.public_key()))
    jwk.update({"kid": "k1", "use": "sig", "alg": "RS256"})
    return {"keys": [jwk]}


@pytest.fixture(scope="module")
def gw(upstream: ServerThread, tmp_path_factory: pytest.TempPathFactory, jwks_doc: dict[str, Any]) -> Iterator[Gateway]:
    jwks_file = tmp_path_factory.mktemp("jwks") / "jwks.json"
    jwks_file.write_text(json.dumps(jwks_doc))
    with running_gateway(specs.config(upstream.url, str(jwks_file)), env=specs.ENV) as gateway:
        yield gateway


def _hs_token(**overrides: Any) -> str:
    now = int(time.time())
    claims = {"iss": "https://idp.example", "aud": AUD, "sub": "portal-user", "iat": now, "exp": now + 60}
    claims.update(overrides)
    claims = {k: v for k, v in claims.items() if v is not None}
    return jwt.encode(claims, specs.ENV["PORTAL_JWT_SECRET"], algorithm="HS256")


def _assert_error(response: httpx.Response, status: int, code: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert set(body) == {"error"} and {"code", "message"} <= set(body["error"])
    if code:
        assert body["error"]["code"] == code
    return body


def _concrete(path: str) -> str:
    return path.replace("{id}", "Q-00001").replace("{name}", "bob")


# -- no route without auth ------------------------------------------------------------------------

def test_no_route_is_reachable_without_credentials(gw: Gateway, client: httpx.Client) -> None:
    assert gw.app.config.routes, "the test config must expose routes"
    for route in gw.app.config.routes:
        response = client.request(route.method, _concrete(route.path), json={} if route.method == "POST" else None)
        body = _assert_error(response, 401, "unauthenticated")
        assert "www-authenticate" in response.headers, route.id
        assert "cost_price" not in json.dumps(body)


def test_no_route_is_reachable_with_garbage_credentials(gw: Gateway, client: httpx.Client) -> None:
    attempts = [{"x-api-key": "wv_nope_nope"}, {"authorization": "Bearer not.a.jwt"},
                {"authorization": "Basic " + base64.b64encode(b"legacy:wrong").decode()},
                {"authorization": "Digest abc"}, {"authorization": "Basic !!!notbase64"}]
    for route in gw.app.config.routes:
        for headers in attempts:
            response = client.request(route.method, _concrete(route.path), headers=headers)
            _assert_error(response, 401)


# -- API keys -------------------------------------------------------------------------------------

def test_valid_key_passes_and_wrong_key_is_refused(client: httpx.Client, key: str) -> None:
    assert client.get("/partner/v1/quotes/Q-00001", headers={"x-api-key": key}).status_code == 200
    wrong = key[:-4] + ("AAAA" if not key.endswith("AAAA") else "BBBB")
    body = _assert_error(client.get("/partner/v1/quotes/Q-00001", headers={"x-api-key": wrong}), 401)
    assert wrong not in json.dumps(body)


def test_revoked_key_is_refused(gw: Gateway, client: httpx.Client) -> None:
    key, record = gw.server.run(__import__("weave.gateway", fromlist=["create_key"]).create_key(gw.app.keys, "reader"))
    assert client.get("/partner/v1/quotes/Q-00001", headers={"x-api-key": key}).status_code == 200
    assert gw.server.run(gw.app.keys.revoke(record.key_id)) is True
    _assert_error(client.get("/partner/v1/quotes/Q-00001", headers={"x-api-key": key}), 401, "unauthenticated")


def test_key_in_query_string_is_refused_even_when_valid(client: httpx.Client, key: str) -> None:
    for name in ("api_key", "apikey", "access_token", "API%5FKEY"):
        response = client.get(f"/partner/v1/quotes/Q-00001?{name}={key}")
        _assert_error(response, 401, "credential_in_query")
    # also when a valid header is present: the key has leaked into URLs and logs, refuse loudly
    response = client.get(f"/partner/v1/quotes/Q-00001?api_key={key}", headers={"x-api-key": key})
    _assert_error(response, 401, "credential_in_query")


def test_repeated_credential_header_is_refused(gw: Gateway, key: str) -> None:
    request = (f"GET /partner/v1/quotes/Q-00001 HTTP/1.1\r\nHost: x\r\nX-API-Key: {key}\r\n"
               f"X-API-Key: wv_other\r\nConnection: close\r\n\r\n").encode()
    status, response = raw_request(gw.server.port, request)
    assert status == 400 and b"ambiguous_header" in response


def test_key_only_route_refuses_other_auth_types(client: httpx.Client) -> None:
    basic = "Basic " + base64.b64encode(f"legacy:{specs.ENV['LEGACY_PW']}".encode()).decode()
    assert client.get("/partner/v1/quotes/Q-00001", headers={"authorization": basic}).status_code == 200
    _assert_error(client.get("/partner/v1/keyonly/Q-00001", headers={"authorization": basic}), 401)
    _assert_error(client.get("/partner/v1/keyonly/Q-00001", headers={"authorization": "Bearer " + _hs_token()}), 401)


# -- scopes ---------------------------------------------------------------------------------------

def test_missing_scope_is_403(gw: Gateway, client: httpx.Client) -> None:
    reader = gw.new_key("reader")
    body = {"account_id": "ACC-0001", "lines": [{"sku": "PRD-001", "qty": 1}]}
    _assert_error(client.post("/partner/v1/quotes", headers={"x-api-key": reader}, json=body), 403, "forbidden")


# -- JWT ------------------------------------------------------------------------------------------

def test_jwt_hs256_accepted_and_checked(client: httpx.Client) -> None:
    ok = client.get("/partner/v1/quotes/Q-00001", headers={"authorization": "Bearer " + _hs_token()})
    assert ok.status_code == 200
    cases = {
        "expired": _hs_token(exp=int(time.time()) - 60),
        "wrong audience": _hs_token(aud="another-api"),
        "wrong issuer": _hs_token(iss="https://evil.example"),
        "no exp": _hs_token(exp=None),
        "wrong secret": jwt.encode({"iss": "https://idp.example", "aud": AUD, "exp": int(time.time()) + 60},
                                   "not-the-secret-but-long-enough-0000", algorithm="HS256"),
    }
    for name, token in cases.items():
        response = client.get("/partner/v1/quotes/Q-00001", headers={"authorization": "Bearer " + token})
        assert response.status_code == 401, name
    expired = client.get("/partner/v1/quotes/Q-00001",
                         headers={"authorization": "Bearer " + cases["expired"]}).json()
    assert expired["error"]["message"] == "token expired"
    aud = client.get("/partner/v1/quotes/Q-00001", headers={"authorization": "Bearer " + cases["wrong audience"]})
    assert "audience" in aud.json()["error"]["message"]


def test_jwt_clock_skew_leeway(client: httpx.Client) -> None:
    # expired 2 s ago, leeway 5 s: accepted; expired 30 s ago: refused
    recent = _hs_token(exp=int(time.time()) - 2)
    assert client.get("/partner/v1/quotes/Q-00001", headers={"authorization": "Bearer " + recent}).status_code == 200
    old = _hs_token(exp=int(time.time()) - 30)
    assert client.get("/partner/v1/quotes/Q-00001", headers={"authorization": "Bearer " + old}).status_code == 401


def test_alg_none_is_refused(client: httpx.Client) -> None:
    def b64(data: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    claims = {"iss": "https://idp.example", "aud": AUD, "exp": int(time.time()) + 60}
    for alg in ("none", "None", "NONE"):
        token = f"{b64({'alg': alg, 'typ': 'JWT'})}.{b64(claims)}."
        _assert_error(client.get("/partner/v1/quotes/Q-00001", headers={"authorization": "Bearer " + token}), 401)
    own = {**claims, "iss": "weave-gateway", "aud": "weave-gateway", "sub": "machine"}
    token = f"{b64({'alg': 'none'})}.{b64(own)}."
    _assert_error(client.get("/partner/v1/quotes/Q-00001", headers={"authorization": "Bearer " + token}), 401)


def _rs_token(key: rsa.RSAPrivateKey, kid: str = "k1", **overrides: Any) -> str:
    now = int(time.time())
    claims = {"iss": "https://rs-idp.example", "aud": AUD, "sub": "partner-x", "exp": now + 60, **overrides}
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": kid})


def test_jwt_rs256_from_jwks_file(client: httpx.Client, rsa_key: rsa.RSAPrivateKey) -> None:
    ok = client.get("/partner/v1/quotes/Q-00001", headers={"authorization": "Bearer " + _rs_token(rsa_key)})
    assert ok.status_code == 200
    forged = _rs_token(_rsa())  # same kid, another key
    _assert_error(client.get("/partner/v1/quotes/Q-00001", headers={"authorization": "Bearer " + forged}), 401)
    unknown_kid = _rs_token(rsa_key, kid="k9")
    _assert_error(client.get("/partner/v1/quotes/Q-00001", headers={"authorization": "Bearer " + unknown_kid}), 401)
    # algorithm confusion: HS256 signed with the public key as the HMAC secret
    pem = rsa_key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    claims = {"iss": "https://rs-idp.example", "aud": AUD, "exp": int(time.time()) + 60}
    header = base64.urlsafe_b64encode(b'{"alg":"HS256","typ":"JWT","kid":"k1"}').rstrip(b"=")
    payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=")
    import hashlib
    import hmac
    signature = base64.urlsafe_b64encode(hmac.new(pem, header + b"." + payload, hashlib.sha256).digest()).rstrip(b"=")
    confused = (header + b"." + payload + b"." + signature).decode()
    _assert_error(client.get("/partner/v1/quotes/Q-00001", headers={"authorization": "Bearer " + confused}), 401)


def test_jwt_rs256_from_jwks_url(upstream: ServerThread, rsa_key: rsa.RSAPrivateKey, jwks_doc: dict[str, Any]) -> None:
    body = json.dumps(jwks_doc).encode()
    fetched: list[int] = []

    async def jwks_app(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        fetched.append(1)
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]})
        await send({"type": "http.response.body", "body": body})

    with ServerThread(jwks_app) as idp:
        consumer = {"kind": "consumer", "name": "url-partner", "scopes": ["quotes:read"],
                    "auth": {"type": "jwt", "issuer": "https://rs-idp.example", "audience": AUD,
                             "algorithms": ["RS256"], "jwks": {"url": idp.url + "/jwks.json"}}}
        from weave.gateway import gateway_config_from_specs
        config = gateway_config_from_specs([specs.integration()], [consumer], {"crm": upstream.url, "flaky": upstream.url,
                                                                             "sluggish": upstream.url})
        app, server = start_gateway(config, env=specs.ENV)
        with server, httpx.Client(base_url=server.url) as c:
            for _ in range(3):
                ok = c.get("/partner/v1/quotes/Q-00001", headers={"authorization": "Bearer " + _rs_token(rsa_key)})
                assert ok.status_code == 200, ok.text
            assert len(fetched) == 1  # cached
            forged = c.get("/partner/v1/quotes/Q-00001", headers={"authorization": "Bearer " + _rs_token(_rsa())})
            assert forged.status_code == 401


# -- basic ----------------------------------------------------------------------------------------

def test_basic_auth(client: httpx.Client) -> None:
    def basic(user: str, pw: str) -> dict[str, str]:
        return {"authorization": "Basic " + base64.b64encode(f"{user}:{pw}".encode()).decode()}

    assert client.get("/partner/v1/quotes/Q-00001", headers=basic("legacy", specs.ENV["LEGACY_PW"])).status_code == 200
    assert client.get("/partner/v1/quotes/Q-00001", headers=basic("hashed", specs.HASHED_PW)).status_code == 200
    for user, pw in (("legacy", "nope"), ("hashed", "nope"), ("nobody", "x"), ("legacy", "")):
        response = client.get("/partner/v1/quotes/Q-00001", headers=basic(user, pw))
        _assert_error(response, 401)
        assert response.headers["www-authenticate"].startswith("Basic")


# -- OAuth2 client credentials ----------------------------------------------------------------------

def test_oauth2_client_credentials_flow(client: httpx.Client) -> None:
    token_response = client.post("/oauth/token", data={"grant_type": "client_credentials"},
                                 auth=("m2m", specs.ENV["M2M_SECRET"]))
    assert token_response.status_code == 200, token_response.text
    issued = token_response.json()
    assert issued["token_type"] == "Bearer" and issued["expires_in"] == 60
    assert token_response.headers["cache-control"] == "no-store"
    bearer = {"authorization": "Bearer " + issued["access_token"]}
    assert client.get("/partner/v1/quotes/Q-00001", headers=bearer).status_code == 200
    # narrower scope asked for -> the token cannot read quotes
    narrow = client.post("/oauth/token", data={"grant_type": "client_credentials", "scope": "accounts:read",
                                               "client_id": "m2m", "client_secret": specs.ENV["M2M_SECRET"]}).json()
    _assert_error(client.get("/partner/v1/quotes/Q-00001", headers={"authorization": "Bearer " + narrow["access_token"]}),
                  403)


def test_oauth2_token_endpoint_refusals(client: httpx.Client) -> None:
    wrong = client.post("/oauth/token", data={"grant_type": "client_credentials"}, auth=("m2m", "wrong"))
    assert wrong.status_code == 401 and wrong.json()["error"] == "invalid_client"
    grant = client.post("/oauth/token", data={"grant_type": "password"}, auth=("m2m", specs.ENV["M2M_SECRET"]))
    assert grant.status_code == 400 and grant.json()["error"] == "unsupported_grant_type"
    scope = client.post("/oauth/token", data={"grant_type": "client_credentials", "scope": "admin"},
                        auth=("m2m", specs.ENV["M2M_SECRET"]))
    assert scope.status_code == 400 and scope.json()["error"] == "invalid_scope"
    json_body = client.post("/oauth/token", json={"grant_type": "client_credentials"})
    assert json_body.status_code == 400


def test_expired_or_foreign_weave_token_is_refused(client: httpx.Client) -> None:
    now = int(time.time())
    base = {"iss": "weave-gateway", "aud": "weave-gateway", "sub": "machine", "scope": "quotes:read"}
    expired = jwt.encode({**base, "exp": now - 120}, specs.ENV["WEAVE_TOKEN_SECRET"], algorithm="HS256")
    _assert_error(client.get("/partner/v1/quotes/Q-00001", headers={"authorization": "Bearer " + expired}), 401)
    other_aud = jwt.encode({**base, "aud": "x", "exp": now + 60}, specs.ENV["WEAVE_TOKEN_SECRET"], algorithm="HS256")
    _assert_error(client.get("/partner/v1/quotes/Q-00001", headers={"authorization": "Bearer " + other_aud}), 401)
    # a token for a consumer that is not a client-credentials consumer
    spoof = jwt.encode({**base, "sub": "partner-acme", "exp": now + 60}, specs.ENV["WEAVE_TOKEN_SECRET"],
                       algorithm="HS256")
    _assert_error(client.get("/partner/v1/quotes/Q-00001", headers={"authorization": "Bearer " + spoof}), 401)


# -- path traversal and header injection ----------------------------------------------------------

@pytest.mark.parametrize("raw_path", [
    "/partner/v1/quotes/..", "/partner/v1/quotes/%2e%2e", "/partner/v1/quotes/..%2F..%2Fadmin",
    "/partner/v1/quotes/%2E%2E%2F%2E%2E%2Fetc%2Fpasswd", "/partner/v1/echo/..%5C..%5Cx", "/partner/v1/echo/.",
    "/partner/v1/echo/a%00b", "/partner/v1/echo/%ff%fe",
])
def test_path_traversal_in_path_parameters_is_refused(gw: Gateway, key: str, raw_path: str) -> None:
    request = f"GET {raw_path} HTTP/1.1\r\nHost: x\r\nX-API-Key: {key}\r\nConnection: close\r\n\r\n".encode()
    status, response = raw_request(gw.server.port, request)
    assert status == 400, response
    assert b'"invalid_path"' in response


def test_dot_segments_never_reach_another_route(gw: Gateway, key: str) -> None:
    request = (f"GET /partner/v1/echo/../../quotes/Q-00001 HTTP/1.1\r\nHost: x\r\nX-API-Key: {key}\r\n"
               "Connection: close\r\n\r\n").encode()
    status, response = raw_request(gw.server.port, request)
    assert status == 404 and b"cost_price" not in response


def test_header_injection_through_a_path_parameter_is_refused(gw: Gateway, client: httpx.Client, key: str) -> None:
    for payload in ("bob%0D%0AX-Injected:%201", "bob%0AX-Injected:1", "bob%0D%0A%0D%0AGET%20%2Ffail"):
        request = (f"GET /partner/v1/echo/{payload} HTTP/1.1\r\nHost: x\r\nX-API-Key: {key}\r\n"
                   "Connection: close\r\n\r\n").encode()
        status, response = raw_request(gw.server.port, request)
        assert status == 400, response
    echoed = client.get("/partner/v1/echo/bob", headers={"x-api-key": key}).json()
    assert "x-injected" not in {name for name, _ in echoed["headers"]}


def test_header_injection_in_request_headers_is_refused(gw: Gateway, key: str) -> None:
    for bad in (b"X-Request-Id: a\r\n b: c\r\n", b"X-Request-Id: a\nX-Injected: 1\r\n", b"X-Req\x00uest-Id: a\r\n"):
        request = (b"GET /partner/v1/echo/bob HTTP/1.1\r\nHost: x\r\nX-API-Key: " + key.encode() + b"\r\n" + bad
                   + b"Connection: close\r\n\r\n")
        status, response = raw_request(gw.server.port, request)
        assert status == 400, response
        assert b"x-injected" not in response.lower()


def test_unsafe_request_id_is_replaced(client: httpx.Client, key: str) -> None:
    response = client.get("/partner/v1/echo/bob", headers={"x-api-key": key, "x-request-id": "a b;<script>"})
    assert response.status_code == 200
    assert response.headers["x-request-id"] != "a b;<script>"


# -- what the upstream sees, and what the client never sees ------------------------------------------

def test_credentials_never_reach_the_upstream(client: httpx.Client, key: str) -> None:
    echoed = client.get("/partner/v1/echo/bob", headers={"x-api-key": key, "cookie": "session=1"}).json()
    names = {name for name, _ in echoed["headers"]}
    assert not names & {"x-api-key", "authorization", "cookie"}
    assert key not in json.dumps(echoed)
    headers = dict(echoed["headers"])
    assert headers["x-weave-consumer"] == "partner-acme"
    assert headers["x-upstream-key"] == specs.ENV["CRM_KEY"]  # weave's own credential for the CRM


def test_error_bodies_never_leak_internals(client: httpx.Client, key: str) -> None:
    failing = _assert_error(client.get("/partner/v1/fail", headers={"x-api-key": key}), 502, "upstream_error")
    assert "psycopg" not in json.dumps(failing) and "db-internal" not in json.dumps(failing)
    missing = _assert_error(client.get("/partner/v1/quotes/Q-09999", headers={"x-api-key": key}), 404, "not_found")
    assert "crm.quotes" not in json.dumps(missing)
    refused = _assert_error(client.get("/partner/v1/forbidden", headers={"x-api-key": key}), 502)
    assert "credentials" not in refused["error"]["message"]
    unknown = _assert_error(client.get("/internal/admin", headers={"x-api-key": key}), 404, "not_found")
    assert orjson.dumps(unknown)


def test_openapi_and_token_endpoint_need_no_credentials(client: httpx.Client) -> None:
    assert client.get("/openapi.json").status_code == 200
    assert client.get("/metrics").status_code == 404  # not exposed unless configured


def test_config_and_openapi_hold_references_not_secrets(gw: Gateway) -> None:
    text = repr(gw.app.config) + gw.app.openapi.decode()
    for value in specs.ENV.values():
        assert value not in text



def test_query_credential_detection() -> None:
    from weave.gateway.auth import query_has_credential

    assert query_has_credential(b"a=1&api_key=x")
    assert query_has_credential(b"ACCESS_TOKEN=x")
    assert query_has_credential(b"x-api-key=1")
    assert not query_has_credential(b"q=api_key&page=2")  # a value, not a parameter name
    assert not query_has_credential(b"key=sku-1", frozenset({"key"}))  # the route declared `query: [key]`
