"""The gateway as a raw ASGI application (no framework middleware on the hot path).

Pipeline per request: route match (404/405) → CORS preflight → credentials only in headers →
authenticate (401) → scopes (403) → rate limits (429) → body size (413) and schema (400) →
upstream call(s) through a circuit breaker (502/503/504) → response transform → response.
Every refusal is `{"error": {"code", "message"}}`; each request is logged once (JSON) and counted.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import os
import re
import time
from collections.abc import Awaitable, Callable, Mapping, MutableMapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode

import orjson

from weave.gateway.auth import Authenticator, Identity, query_has_credential
from weave.gateway.breaker import CircuitBreaker
from weave.gateway.config import GatewayConfig, Route, UpstreamCall
from weave.gateway.errors import (
    BAD_GATEWAY,
    CIRCUIT_OPEN,
    GATEWAY_TIMEOUT,
    GatewayError,
    bad_request,
    forbidden,
)
from weave.gateway.keys import KeyStore, MemoryKeyStore
from weave.gateway.oauth import issue_token
from weave.gateway.observe import GatewayMetrics, access_log, log_access
from weave.gateway.openapi import MAX_QUERY_VALUE, build_openapi
from weave.gateway.ratelimit import Bucket, Limiter, MemoryLimiter, RedisLimiter
from weave.gateway.router import Router, Template
from weave.gateway.transform import Step, compile_steps
from weave.gateway.upstream import (
    UpstreamClient,
    UpstreamError,
    UpstreamPool,
    UpstreamResponse,
    UpstreamTimeout,
)
from weave.gateway.validation import BodyValidator

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
Respond = Callable[[int, list[tuple[bytes, bytes]], bytes], bool]  # protocol.GatewayHttpProtocol's extension

log = logging.getLogger("weave.gateway")

_JSON = b"application/json"
_REQUEST_ID = re.compile(rb"^[A-Za-z0-9._-]{1,64}$")
_BAD_VALUE = re.compile(rb"[\x00-\x08\x0a-\x1f\x7f]")  # an upstream header value we will not relay
_FORWARD = (b"accept", b"accept-language", b"content-type")
_PASS_BACK = frozenset({b"content-type", b"cache-control", b"etag", b"last-modified", b"content-language",
                        b"expires", b"vary"})
_PASS_BACK_TRANSFORMED = _PASS_BACK - {b"etag"}
_CREDENTIAL_HEADERS = frozenset({b"authorization", b"x-api-key"})
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
_RID_PREFIX = os.urandom(6).hex().encode() + b"-"  # request ids: a random per-process prefix + a counter
_RID_COUNTER = itertools.count(1)
PUBLIC = Identity("-", "public", frozenset(), None)
_SPECIAL_METHODS = {b"/openapi.json": "GET", b"/oauth/token": "POST", b"/healthz": "GET", b"/metrics": "GET"}


@dataclass
class _Call:
    spec: UpstreamCall
    pool: UpstreamPool
    breaker: CircuitBreaker
    path: Template
    query: list[tuple[str, Template]]
    headers: list[tuple[bytes, Template]]
    deps: frozenset[str]


@dataclass
class _Prepared:
    route: Route
    calls: list[_Call]
    transform: Step | None
    validator: BodyValidator | None
    scopes: frozenset[str]
    query_allowed: frozenset[str]
    buckets_key: str
    key_auth: bool = False  # the route accepts API keys (the cached-key shortcut applies)
    cors_origins: frozenset[str] = field(default_factory=frozenset)
    buckets: dict[str, list[Any]] = field(default_factory=dict)  # per consumer name: buckets or cells


def _references(template: Template, names: set[str]) -> set[str]:
    return {n.partition(".")[0] for n in template.names if n.partition(".")[0] in names}


class GatewayApp:
    """`GatewayApp(config, keys=..., limiter=...)` is an ASGI callable; build once per worker."""

    def __init__(
        self,
        config: GatewayConfig,
        keys: KeyStore | None = None,
        limiter: Limiter | None = None,
        env: dict[str, str] | None = None,
        metrics: GatewayMetrics | None = None,
    ) -> None:
        self.config = config
        self.keys = keys if keys is not None else MemoryKeyStore()
        self.auth = Authenticator(config, self.keys, env)
        if limiter is None:
            limiter = RedisLimiter(config.redis_url) if config.redis_url else MemoryLimiter()
        self.limiter = limiter
        self._local = limiter if isinstance(limiter, MemoryLimiter) else None
        self.metrics = metrics or GatewayMetrics()
        self.client = UpstreamClient(config.connect_timeout, config.pool_size)
        self.breakers: dict[str, CircuitBreaker] = {}
        self.router = Router(list(config.routes))
        self.prepared: dict[int, _Prepared] = {id(r): self._prepare(r, env) for r in config.routes}
        self.openapi = orjson.dumps(build_openapi(config))
        # optional hook for the runtime's accounting: (route, consumer, status, seconds) per routed request
        self.on_complete: Callable[[Route, str, int, float], None] | None = None

    # -- build --------------------------------------------------------------------------------
    def _call(self, spec: UpstreamCall, earlier: set[str], env: dict[str, str] | None) -> _Call:
        from weave import secrets

        breaker = self.breakers.get(spec.system)
        if breaker is None:
            breaker = self.breakers[spec.system] = CircuitBreaker(self.config.breaker.failures, self.config.breaker.reset)
        path = Template(spec.path)
        query = [(k, Template(v)) for k, v in spec.query]
        headers = [(k.lower().encode("latin-1"), Template(secrets.resolve(v, env))) for k, v in spec.headers]
        deps = _references(path, earlier)
        for _, t in query + [(b"", t) for _, t in headers]:  # type: ignore[operator]
            deps |= _references(t, earlier)
        return _Call(spec, self.client.pool(secrets.resolve(spec.base_url, env)), breaker, path, query, headers,
                     frozenset(deps))

    def _prepare(self, route: Route, env: dict[str, str] | None) -> _Prepared:
        calls: list[_Call] = []
        if route.upstream is not None:
            calls.append(self._call(route.upstream, set(), env))
        names: set[str] = set()
        for spec in route.compose:
            calls.append(self._call(spec, names, env))
            names.add(spec.name)
        return _Prepared(
            route=route,
            calls=calls,
            transform=compile_steps(route.response_steps),
            validator=BodyValidator(route.request_schema) if route.request_schema is not None else None,
            scopes=frozenset(route.scopes),
            query_allowed=frozenset(route.query_params),
            buckets_key=f"r:{route.id}:",
            key_auth="api-key" in route.auth,
            cors_origins=frozenset(route.cors.origins) if route.cors else frozenset(),
        )

    # -- ASGI ---------------------------------------------------------------------------------
    async def _other(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
        else:  # websockets are not part of the gateway
            await send({"type": "websocket.close", "code": 1008})

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.aclose()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def aclose(self) -> None:
        await self.client.close()
        await self.limiter.close()

    @staticmethod
    async def _respond(send: Send, status: int, body: bytes, headers: list[tuple[bytes, bytes]],
                       direct: Respond | None = None) -> None:
        """Send a whole response: in one call through the server's `weave.respond` extension when it
        has one (GatewayHttpProtocol), else as the two ASGI messages."""
        if direct is not None and direct(status, headers, body):
            return
        headers.append((b"content-length", b"%d" % len(body)))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """The ASGI entry point; an HTTP request is handled right here (one coroutine less per request)."""
        if scope["type"] != "http":
            return await self._other(scope, receive, send)
        started = time.perf_counter()
        method: str = scope["method"]
        raw_path: bytes = scope.get("raw_path") or scope["path"].encode()
        if b"?" in raw_path:
            raw_path = raw_path.split(b"?", 1)[0]
        header_list: list[tuple[bytes, bytes]] = scope["headers"]
        headers = dict(header_list)
        rid = headers.get(b"x-request-id")
        request_id = rid if rid is not None and _REQUEST_ID.match(rid) else b"%s%x" % (_RID_PREFIX, next(_RID_COUNTER))
        route_id = "-"
        matched: Route | None = None
        identity: Identity | None = None
        out_headers: list[tuple[bytes, bytes]] = [(b"x-request-id", request_id)]
        status = 500
        error = ""
        extensions = scope.get("extensions")
        direct: Respond | None = extensions.get("weave.respond") if extensions else None
        try:
            if len(headers) != len(header_list):
                self._refuse_duplicate_credentials(header_list)
            if raw_path in _SPECIAL_METHODS:
                special = await self._special(method, raw_path, headers, receive, send, out_headers)
                if special:
                    status = special
                    route_id = raw_path.decode()
                    return
            if method == "OPTIONS" and b"access-control-request-method" in headers:
                status = await self._preflight(raw_path, headers, send, out_headers)
                return
            route, params = self.router.match(method, raw_path)
            prepared = self.prepared[id(route)]
            route_id = route.id
            matched = route
            if prepared.cors_origins:
                self._cors_headers(prepared, headers, out_headers)
            query_string = scope["query_string"]
            if query_string and query_has_credential(query_string, prepared.query_allowed):
                raise GatewayError(401, "credential_in_query", "credentials are accepted only in headers",
                                   [(b"www-authenticate", b"ApiKey")])
            if route.public:
                identity = PUBLIC
            else:
                identity = (prepared.key_auth and self.auth.cached_key(headers)
                            or await self.auth.authenticate(headers, route.auth))
            if prepared.scopes and not prepared.scopes <= identity.scopes:
                raise forbidden()
            if route.consumers and identity.consumer not in route.consumers:
                raise forbidden()
            buckets = prepared.buckets.get(identity.consumer)
            if buckets is None:
                buckets = prepared.buckets[identity.consumer] = self._buckets(prepared, identity)
            if buckets:
                if self._local is not None:  # in-process buckets: the cells were resolved with the list
                    allowed = self._local.admit(buckets, out_headers)
                else:
                    decision = await self.limiter.hit(buckets)
                    out_headers += decision.headers()
                    allowed = decision.allowed
                if not allowed:
                    raise GatewayError(429, "rate_limited", "rate limit exceeded; retry later")
            body = b""
            if method in _BODY_METHODS:
                body = await self._read_body(receive, headers, route.max_body_bytes)
                if prepared.validator is not None:
                    content_type = headers.get(b"content-type", b"").split(b";")[0].strip().lower()
                    if content_type != _JSON:
                        raise GatewayError(415, "unsupported_media_type", "the request body must be application/json")
                    prepared.validator.parse(body)
            status = await self._forward(prepared, params, identity, headers, scope, body, request_id,
                                         send, out_headers, direct)
        except GatewayError as exc:
            status = exc.status
            error = exc.code
            await self._respond(send, status, exc.body(),
                                out_headers + exc.headers + [(b"content-type", _JSON)], direct)
        except Exception:  # a bug: answer without internals, keep the traceback server-side
            log.exception("gateway: unhandled error on %s %s", method, route_id)
            status = 500
            error = "internal_error"
            await self._respond(send, 500, GatewayError(500, "internal_error", "internal error").body(),
                                out_headers + [(b"content-type", _JSON)], direct)
        finally:
            elapsed = time.perf_counter() - started
            consumer = identity.consumer if identity is not None else "-"
            self.metrics.observe(route_id, consumer, status, elapsed)
            if self.on_complete is not None and matched is not None:
                self.on_complete(matched, consumer, status, elapsed)
            if access_log.isEnabledFor(logging.INFO):
                log_access(method, scope["path"], route_id, status, consumer,
                           identity.auth_type if identity is not None else "-", elapsed, request_id.decode(), error)

    # -- pieces ---------------------------------------------------------------------------------
    def _buckets(self, prepared: _Prepared, identity: Identity) -> list[Any]:
        """The consumer's own bucket and the route's bucket for that consumer (memoised per route), as the
        in-process limiter's state cells when the limiter is local."""
        buckets: list[Bucket] = []
        if identity.rate_limit is not None:
            buckets.append(("c:" + identity.consumer, identity.rate_limit))
        if prepared.route.rate_limit is not None:
            buckets.append((prepared.buckets_key + identity.consumer, prepared.route.rate_limit))
        return self._local.states(buckets) if self._local is not None and buckets else buckets

    @staticmethod
    def _refuse_duplicate_credentials(header_list: list[tuple[bytes, bytes]]) -> None:
        seen: set[bytes] = set()
        for name, _ in header_list:
            if name in _CREDENTIAL_HEADERS or name in (b"content-length", b"host"):
                if name in seen:
                    raise bad_request("a credential header is repeated", code="ambiguous_header")
                seen.add(name)

    async def _special(self, method: str, raw_path: bytes, headers: Mapping[bytes, bytes], receive: Receive,
                       send: Send, out: list[tuple[bytes, bytes]]) -> int:
        allowed = _SPECIAL_METHODS.get(raw_path)
        if allowed is None or (raw_path == b"/metrics" and not self.config.expose_metrics):
            return 0
        if raw_path == b"/oauth/token" and self.auth.token_secret is None:
            return 0
        if method != allowed:
            raise GatewayError(405, "method_not_allowed", "the route does not accept this method",
                               [(b"allow", allowed.encode())])
        if raw_path == b"/openapi.json" and method == "GET":
            await self._respond(send, 200, self.openapi, out + [(b"content-type", _JSON)])
            return 200
        if raw_path == b"/oauth/token" and method == "POST" and self.auth.token_secret is not None:
            body = await self._read_body(receive, headers, 16_384)
            status, payload, extra = await issue_token(self.auth, headers, body)
            await self._respond(send, status, payload, out + extra + [(b"content-type", _JSON)])
            return status
        if raw_path == b"/healthz" and method == "GET":
            await self._respond(send, 200, b'{"status":"ok"}', out + [(b"content-type", _JSON)])
            return 200
        if raw_path == b"/metrics" and method == "GET" and self.config.expose_metrics:
            await self._respond(send, 200, self.metrics.render(), out + [(b"content-type", b"text/plain; version=0.0.4")])
            return 200
        return 0

    @staticmethod
    def _origin_allowed(prepared: _Prepared, origin: bytes | None) -> bool:
        if origin is None:
            return False
        return "*" in prepared.cors_origins or origin.decode("latin-1") in prepared.cors_origins

    def _cors_headers(self, prepared: _Prepared, headers: Mapping[bytes, bytes], out: list[tuple[bytes, bytes]]) -> None:
        origin = headers.get(b"origin")
        out.append((b"vary", b"origin"))
        if self._origin_allowed(prepared, origin):
            assert origin is not None
            out.append((b"access-control-allow-origin", origin))
            out.append((b"access-control-expose-headers",
                        b"ratelimit-limit, ratelimit-remaining, ratelimit-reset, retry-after, x-request-id"))
            cors = prepared.route.cors
            if cors is not None and cors.allow_credentials:
                out.append((b"access-control-allow-credentials", b"true"))

    async def _preflight(self, raw_path: bytes, headers: Mapping[bytes, bytes], send: Send,
                         out: list[tuple[bytes, bytes]]) -> int:
        wanted = headers[b"access-control-request-method"].decode("latin-1").upper()
        route, _ = self.router.match(wanted, raw_path)
        prepared = self.prepared[id(route)]
        cors = route.cors
        if cors is None or not self._origin_allowed(prepared, headers.get(b"origin")):
            raise GatewayError(403, "cors_refused", "cross-origin requests from this origin are not allowed")
        self._cors_headers(prepared, headers, out)
        methods = ", ".join(cors.methods or (route.method,))
        out += [(b"access-control-allow-methods", methods.encode()),
                (b"access-control-allow-headers", ", ".join(cors.headers).encode()),
                (b"access-control-max-age", str(cors.max_age).encode())]
        await self._respond(send, 204, b"", out)
        return 204

    @staticmethod
    async def _read_body(receive: Receive, headers: Mapping[bytes, bytes], limit: int) -> bytes:
        declared = headers.get(b"content-length")
        too_large = GatewayError(413, "body_too_large", f"the request body exceeds {limit} bytes")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            raise too_large
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                raise GatewayError(400, "client_disconnected", "the client went away")
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                raise too_large
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)

    async def _upstream(self, call: _Call, context: Mapping[str, Any], method: str,
                        headers: list[tuple[bytes, bytes]], body: bytes,
                        client_query: list[tuple[str, str]]) -> UpstreamResponse:
        target = call.path.render(context, encode=True)
        if call.query or client_query:
            query = [(k, t.render(context, encode=False)) for k, t in call.query] + client_query
            target += "?" + urlencode(query)
        for name, template in call.headers:
            headers.append((name, template.render(context, encode=False).encode("utf-8")))
        if not call.breaker.allow():
            raise CIRCUIT_OPEN
        try:
            response = await call.pool.request(method, target, headers, body, call.spec.timeout)
        except UpstreamTimeout:
            call.breaker.failure()
            self.metrics.upstream_error(call.spec.system, "timeout")
            raise GATEWAY_TIMEOUT from None
        except UpstreamError:
            call.breaker.failure()
            self.metrics.upstream_error(call.spec.system, "connection")
            raise BAD_GATEWAY from None
        if response.status >= 500:
            call.breaker.failure()
            self.metrics.upstream_error(call.spec.system, f"status_{response.status}")
            raise BAD_GATEWAY
        call.breaker.success()
        return response

    @staticmethod
    def _upstream_refusal(status: int) -> GatewayError:
        if status == 404:
            return GatewayError(404, "not_found", "the resource does not exist")
        if status in (401, 403, 407):  # weave's own credentials for the upstream were refused
            return BAD_GATEWAY
        return GatewayError(status, "upstream_rejected", "the upstream service refused the request")

    async def _forward(self, prepared: _Prepared, params: dict[str, str], identity: Identity,
                       headers: Mapping[bytes, bytes], scope: Scope, body: bytes, request_id: bytes,
                       send: Send, out: list[tuple[bytes, bytes]], direct: Respond | None = None) -> int:
        context: dict[str, Any] = dict(params)  # path params, the consumer and its claims for templates
        context["consumer"] = identity.consumer
        context["claims"] = identity.claims
        fwd = [(b"x-request-id", request_id), (b"x-weave-consumer", identity.consumer.encode())]
        for name in _FORWARD:
            value = headers.get(name)
            if value is not None:
                fwd.append((name, value))
        client = scope.get("client")
        if client:
            fwd.append((b"x-forwarded-for", str(client[0]).encode()))
        client_query: list[tuple[str, str]] = []
        if prepared.query_allowed and scope["query_string"]:
            client_query = [(k, v) for k, v in parse_qsl(scope["query_string"].decode("latin-1"))
                            if k in prepared.query_allowed]
            if any(len(v) > MAX_QUERY_VALUE for _, v in client_query):
                raise bad_request(f"a query parameter is longer than {MAX_QUERY_VALUE} characters",
                                  code="invalid_query")
        route = prepared.route
        if route.upstream is not None:
            response = await self._upstream(prepared.calls[0], context, route.method, fwd, body, client_query)
            if response.status >= 400:
                raise self._upstream_refusal(response.status)
            payload = response.body
            passed = _PASS_BACK
            if prepared.transform is not None and response.status != 204:
                try:
                    document = orjson.loads(payload)
                except orjson.JSONDecodeError:  # not JSON from an upstream that should send JSON
                    raise BAD_GATEWAY from None
                try:
                    payload = orjson.dumps(prepared.transform(document))
                except Exception:
                    raise self._transform_failed(prepared) from None
                passed = _PASS_BACK_TRANSFORMED  # the upstream's etag does not describe the new body
            for name, value in response.headers:
                if name in passed and not _BAD_VALUE.search(value):
                    out.append((name, value))
            if direct is None or not direct(response.status, out, payload):
                await self._respond(send, response.status, payload, out)
            return response.status
        document = await self._compose(prepared, context, fwd)
        if prepared.transform is not None:
            try:
                document = prepared.transform(document)
            except Exception:
                raise self._transform_failed(prepared) from None
        await self._respond(send, 200, orjson.dumps(document), out + [(b"content-type", _JSON)], direct)
        return 200

    @staticmethod
    def _transform_failed(prepared: _Prepared) -> GatewayError:
        """A response transform that fails on real data is an upstream-shape problem: logged here, a 502."""
        log.exception("gateway: response transform failed on %s", prepared.route.id)
        return BAD_GATEWAY

    async def _compose(self, prepared: _Prepared, context: dict[str, Any],
                       fwd: list[tuple[bytes, bytes]]) -> dict[str, Any]:
        results: dict[str, Any] = {}
        pending = list(prepared.calls)
        while pending:
            ready = [c for c in pending if c.deps <= results.keys()]
            responses = await asyncio.gather(*(
                self._upstream(c, {**context, **results}, c.spec.method, list(fwd), b"", []) for c in ready))
            for call, response in zip(ready, responses, strict=True):
                if response.status >= 400:
                    raise self._upstream_refusal(404 if response.status == 404 else 502)
                try:
                    results[call.spec.name] = orjson.loads(response.body) if response.body else None
                except orjson.JSONDecodeError:
                    raise BAD_GATEWAY from None
            pending = [c for c in pending if c not in ready]
        return results
