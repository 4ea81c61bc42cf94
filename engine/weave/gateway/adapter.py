"""From spec mappings to a `GatewayConfig`: `gateway_config_from_specs(integrations, consumers, systems)`.

Takes plain dicts (each spec's `.raw`), so the runtime never depends on the spec loader's models.
Shape errors the JSON Schema already reports are not re-checked here; semantic errors that would
make a broken gateway (unknown system, duplicate route, a compose call referring to a later call,
a transform that does not compile) raise `GatewayConfigError` naming the integration and route.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from weave.errors import SpecError
from weave.gateway.config import (
    AUTH_TYPES,
    METHODS,
    PERIODS,
    ApiKeyAuth,
    AuthSpec,
    BasicAuth,
    ClientCredentialsAuth,
    Consumer,
    Cors,
    GatewayConfig,
    JwtAuth,
    RateLimit,
    Route,
    TokenSettings,
    UpstreamCall,
)
from weave.gateway.router import Template, path_params
from weave.gateway.transform import TransformSpecError, compile_steps
from weave.spec.durations import DurationError, parse_duration

_DEFAULT_CORS_HEADERS = ("authorization", "content-type", "x-api-key")


class GatewayConfigError(SpecError):
    """The gateway cannot be built from these specs; the message names where."""


def _rate_limit(raw: Mapping[str, Any] | None, where: str) -> RateLimit | None:
    if not raw:
        return None
    per = raw.get("per", "minute")
    seconds = PERIODS.get(per) if isinstance(per, str) and per in PERIODS else None
    if seconds is None:
        try:
            seconds = parse_duration(per)
        except DurationError:
            raise GatewayConfigError(f"{where}: rate_limit.per must be second|minute|hour|day or a duration") from None
    requests = raw.get("requests")
    if not isinstance(requests, int) or requests < 1 or seconds <= 0:
        raise GatewayConfigError(f"{where}: rate_limit needs requests >= 1 and a positive period")
    return RateLimit(requests, seconds)


def _duration(value: Any, default: float, where: str) -> float:
    if value is None:
        return default
    try:
        return parse_duration(value)
    except DurationError as exc:
        raise GatewayConfigError(f"{where}: {exc}") from None


def _system_auth_headers(system: Mapping[str, Any]) -> dict[str, str]:
    """Headers weave sends to the upstream for the system's declared API auth (references kept)."""
    auth = system.get("auth") or (system.get("api") or {}).get("auth") or {}
    kind = auth.get("type")
    if kind == "api-key" and auth.get("key"):
        return {auth.get("header", "X-API-Key"): auth["key"]}
    if kind == "bearer" and auth.get("token"):
        return {"Authorization": f"Bearer {auth['token']}"}
    return {}


def _system(systems: Mapping[str, Any], name: Any, where: str) -> tuple[str, dict[str, str]]:
    if name not in systems:
        known = ", ".join(sorted(systems)) or "none"
        raise GatewayConfigError(f"{where}: unknown system {name!r} (known: {known})")
    entry = systems[name]
    if isinstance(entry, str):
        return entry, {}
    base = entry.get("base_url") or (entry.get("api") or {}).get("base_url")
    if not base:
        raise GatewayConfigError(f"{where}: system {name!r} has no base_url")
    return str(base), _system_auth_headers(entry)


def _call(raw: Mapping[str, Any], systems: Mapping[str, Any], where: str, default_method: str,
          timeout: float, allowed_vars: set[str]) -> UpstreamCall:
    base_url, auth_headers = _system(systems, raw.get("system"), where)
    path = raw.get("path")
    if not isinstance(path, str) or not path.startswith("/"):
        raise GatewayConfigError(f"{where}: upstream path must start with '/'")
    headers = {**auth_headers, **{str(k): str(v) for k, v in (raw.get("headers") or {}).items()}}
    query = {str(k): str(v) for k, v in (raw.get("query") or {}).items()}
    for text in [path, *headers.values(), *query.values()]:
        for name in Template(text).names:
            if name.partition(".")[0] not in allowed_vars:
                raise GatewayConfigError(f"{where}: template variable {{{name}}} is not a path parameter, "
                                         "'consumer', 'claims.<name>', or an earlier compose call")
    return UpstreamCall(
        system=str(raw["system"]), base_url=base_url, path=path, method=str(raw.get("method", default_method)).upper(),
        name=str(raw.get("name", "")), query=tuple(query.items()), headers=tuple(headers.items()),
        timeout=_duration(raw.get("timeout"), timeout, where),
    )


def _route(integration: str, index: int, raw: Mapping[str, Any], systems: Mapping[str, Any],
           allowed_consumers: tuple[str, ...]) -> Route:
    method = str(raw.get("method", "GET")).upper()
    path = raw.get("path")
    where = f"integration {integration!r}, gateway.routes[{index}]"
    if method not in METHODS:
        raise GatewayConfigError(f"{where}: method must be one of {', '.join(METHODS)}")
    if not isinstance(path, str) or not path.startswith("/") or "//" in path or "/../" in path + "/":
        raise GatewayConfigError(f"{where}: path must be an absolute path like /partner/v1/quotes/{{id}}")
    if path in ("/openapi.json", "/oauth/token", "/healthz", "/metrics"):
        raise GatewayConfigError(f"{where}: {path} is reserved by the gateway")
    params = set(path_params(path)) | {"consumer", "claims"}
    timeout = _duration(raw.get("timeout"), 10.0, where)
    upstream = None
    compose: list[UpstreamCall] = []
    if raw.get("upstream") and raw.get("compose"):
        raise GatewayConfigError(f"{where}: give either upstream or compose, not both")
    if raw.get("upstream"):
        upstream = _call(raw["upstream"], systems, where + ".upstream", method, timeout, params)
    elif raw.get("compose"):
        names: set[str] = set()
        for i, call in enumerate(raw["compose"]):
            call_where = f"{where}.compose[{i}]"
            name = call.get("name")
            if not name or name in names or name in params:
                raise GatewayConfigError(f"{call_where}: each compose call needs a unique name")
            compose.append(_call(call, systems, call_where, "GET", timeout, params | names))
            names.add(name)
    else:
        raise GatewayConfigError(f"{where}: a route needs an upstream or a compose list")
    steps = tuple((raw.get("response") or {}).get("steps") or ())
    try:
        compile_steps(steps)
    except TransformSpecError as exc:
        raise GatewayConfigError(f"{where}: {exc}") from None
    if raw.get("public") and (raw.get("scopes") or raw.get("auth")):
        raise GatewayConfigError(f"{where}: a public route cannot also declare scopes or auth")
    auth = tuple(raw.get("auth") or AUTH_TYPES)
    unknown = [a for a in auth if a not in AUTH_TYPES]
    if unknown:
        raise GatewayConfigError(f"{where}: unknown auth type {unknown[0]!r} (known: {', '.join(AUTH_TYPES)})")
    cors = None
    if raw.get("cors"):
        c = raw["cors"]
        cors = Cors(origins=tuple(c.get("origins") or ()), methods=tuple(m.upper() for m in c.get("methods") or ()),
                    headers=tuple(h.lower() for h in c.get("headers") or _DEFAULT_CORS_HEADERS),
                    max_age=int(_duration(c.get("max_age"), 600, where)),
                    allow_credentials=bool(c.get("allow_credentials", False)))
    return Route(
        integration=integration, method=method, path=path, upstream=upstream, compose=tuple(compose),
        scopes=tuple(raw.get("scopes") or ()), auth=auth, rate_limit=_rate_limit(raw.get("rate_limit"), where),
        request_schema=raw.get("request_schema"), response_schema=raw.get("response_schema"),
        response_steps=steps, max_body_bytes=int(raw.get("max_body_bytes", 1_048_576)), cors=cors,
        query_params=tuple(raw.get("query") or ()), consumers=allowed_consumers,
        summary=str(raw.get("summary", raw.get("description", ""))), public=bool(raw.get("public", False)),
    )


def _auth(raw: Mapping[str, Any], where: str) -> AuthSpec:
    kind = raw.get("type")
    if kind == "api-key":
        return ApiKeyAuth(header=str(raw.get("header", "X-API-Key")))
    if kind == "jwt":
        jwks = raw.get("jwks") or {}
        spec = JwtAuth(
            issuer=str(raw.get("issuer", "")), audience=str(raw.get("audience", "")),
            algorithms=tuple(raw.get("algorithms") or (("HS256",) if raw.get("secret") else ("RS256",))),
            secret=raw.get("secret"), jwks_file=raw.get("jwks_file") or jwks.get("file"),
            jwks_url=raw.get("jwks_url") or jwks.get("url"), subject=raw.get("subject"),
            leeway=_duration(raw.get("leeway"), 30.0, where),
            jwks_cache_seconds=_duration(jwks.get("cache"), 300.0, where),
        )
        if not spec.issuer or not spec.audience:
            raise GatewayConfigError(f"{where}: jwt auth needs issuer and audience")
        if any(a.lower() == "none" or a not in ("HS256", "HS384", "HS512", "RS256", "RS384", "RS512", "ES256", "PS256")
               for a in spec.algorithms):
            raise GatewayConfigError(f"{where}: jwt algorithms must be HS256/RS256-style; 'none' is refused")
        if not (spec.secret or spec.jwks_file or spec.jwks_url):
            raise GatewayConfigError(f"{where}: jwt auth needs a secret reference or a jwks file/url")
        return spec
    if kind == "basic":
        if not raw.get("username") or not (raw.get("password") or raw.get("password_hash")):
            raise GatewayConfigError(f"{where}: basic auth needs username and password (reference) or password_hash")
        return BasicAuth(username=str(raw["username"]), password=raw.get("password"),
                         password_hash=raw.get("password_hash"))
    if kind == "oauth2-client-credentials":
        if not raw.get("client_id") or not (raw.get("client_secret") or raw.get("client_secret_hash")):
            raise GatewayConfigError(f"{where}: oauth2-client-credentials needs client_id and client_secret(_hash)")
        return ClientCredentialsAuth(client_id=str(raw["client_id"]), client_secret=raw.get("client_secret"),
                                     client_secret_hash=raw.get("client_secret_hash"))
    raise GatewayConfigError(f"{where}: unknown auth type {kind!r} (known: {', '.join(AUTH_TYPES)})")


def consumer_from_spec(raw: Mapping[str, Any]) -> Consumer:
    where = f"consumer {raw.get('name')!r}"
    if not raw.get("name") or not isinstance(raw.get("auth"), Mapping):
        raise GatewayConfigError(f"{where}: a consumer needs a name and an auth block")
    return Consumer(name=str(raw["name"]), owner=str(raw.get("owner", "")), auth=_auth(raw["auth"], where),
                    scopes=frozenset(raw.get("scopes") or ()), rate_limit=_rate_limit(raw.get("rate_limit"), where),
                    labels={str(k): str(v) for k, v in (raw.get("labels") or {}).items()})


def gateway_config_from_specs(
    integrations_raw: list[Mapping[str, Any]],
    consumers_raw: list[Mapping[str, Any]],
    systems: Mapping[str, Any],
    settings: Mapping[str, Any] | None = None,
) -> GatewayConfig:
    """Build the gateway for the integrations planned as api-gateway.

    `systems` maps a system name to its base URL (or to the system's raw mapping). `settings` may hold
    `redis_url`, `key_cache_ttl`, `title`, `expose_metrics` and `token: {secret, issuer, audience, ttl}`;
    a `gateway.token` block in an integration is used when `settings` has none.
    """
    settings = dict(settings or {})
    routes: list[Route] = []
    seen: dict[tuple[str, str], str] = {}
    token_raw = settings.get("token")
    for integration in integrations_raw:
        name = str(integration.get("name", "?"))
        block = integration.get("gateway") or {}
        token_raw = token_raw or block.get("token")
        allowed = tuple(block.get("consumers") or ())
        for i, raw in enumerate(block.get("routes") or ()):
            route = _route(name, i, raw, systems, allowed)
            key = (route.method, "/".join("{}" if s.startswith("{") else s for s in route.path.split("/")))
            if key in seen:
                raise GatewayConfigError(f"integration {name!r}, gateway.routes[{i}]: {route.id} is already "
                                         f"exposed by integration {seen[key]!r}")
            seen[key] = name
            routes.append(route)
    consumers = [consumer_from_spec(c) for c in consumers_raw]
    names = [c.name for c in consumers]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise GatewayConfigError(f"consumer {duplicates[0]!r} is declared twice")
    for route in routes:
        for name in route.consumers:
            if name not in names:
                raise GatewayConfigError(f"integration {route.integration!r}: gateway.consumers names unknown consumer {name!r}")
    token = TokenSettings()
    if token_raw:
        token = TokenSettings(secret=token_raw.get("secret"), issuer=str(token_raw.get("issuer", token.issuer)),
                              audience=str(token_raw.get("audience", token.audience)),
                              ttl=_duration(token_raw.get("ttl"), token.ttl, "gateway.token"))
    return GatewayConfig(
        routes=tuple(routes), consumers=tuple(consumers), token=token, redis_url=settings.get("redis_url"),
        key_cache_ttl=float(settings.get("key_cache_ttl", 5.0)), title=str(settings.get("title", "weave gateway")),
        expose_metrics=bool(settings.get("expose_metrics", False)),
    )
