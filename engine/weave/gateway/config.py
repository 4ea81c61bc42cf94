"""The gateway's plain configuration: frozen dataclasses, independent of the spec loader.

Secrets stay references here (`${env:NAME}`); they are resolved once when the app is built
(`weave.gateway.credentials`) and never stored on these values, so a config can be printed,
planned or logged safely.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

AUTH_TYPES = ("api-key", "jwt", "basic", "oauth2-client-credentials")
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
PERIODS = {"second": 1.0, "minute": 60.0, "hour": 3600.0, "day": 86400.0}


@dataclass(frozen=True)
class RateLimit:
    """`requests` per `per_seconds`, enforced as a token bucket of that capacity."""

    requests: int
    per_seconds: float

    @property
    def rate(self) -> float:
        return self.requests / self.per_seconds


@dataclass(frozen=True)
class UpstreamCall:
    """One call to a system's API. `path`, `query` and `headers` values may hold `{param}` templates
    filled from path parameters (and, in compositions, `{call.field}` from earlier calls)."""

    system: str
    base_url: str
    path: str
    method: str = "GET"
    name: str = ""
    query: tuple[tuple[str, str], ...] = ()
    headers: tuple[tuple[str, str], ...] = ()
    timeout: float = 10.0


@dataclass(frozen=True)
class Cors:
    origins: tuple[str, ...]
    methods: tuple[str, ...] = ()
    headers: tuple[str, ...] = ("authorization", "content-type", "x-api-key")
    max_age: int = 600
    allow_credentials: bool = False


@dataclass(frozen=True)
class Route:
    """An exposed route: a proxy to one upstream call, or a composition of several."""

    integration: str
    method: str
    path: str
    upstream: UpstreamCall | None = None
    compose: tuple[UpstreamCall, ...] = ()
    scopes: tuple[str, ...] = ()
    auth: tuple[str, ...] = AUTH_TYPES
    rate_limit: RateLimit | None = None
    request_schema: Mapping[str, Any] | None = None
    response_schema: Mapping[str, Any] | None = None
    response_steps: tuple[Mapping[str, Any], ...] = ()
    max_body_bytes: int = 1_048_576
    cors: Cors | None = None
    query_params: tuple[str, ...] = ()
    consumers: tuple[str, ...] = ()  # when set, only these consumers may call the route
    public: bool = False  # explicit opt-out of auth (no consumer, no scopes, no per-consumer limits)
    summary: str = ""

    @property
    def id(self) -> str:
        return f"{self.method} {self.path}"


@dataclass(frozen=True)
class ApiKeyAuth:
    header: str = "X-API-Key"
    type: str = "api-key"


@dataclass(frozen=True)
class JwtAuth:
    """Bearer JWTs from an external issuer: keys from a JWKS file/URL (RS256) or an HS256 secret reference."""

    issuer: str
    audience: str
    algorithms: tuple[str, ...] = ("RS256",)
    secret: str | None = None
    jwks_file: str | None = None
    jwks_url: str | None = None
    subject: str | None = None
    leeway: float = 30.0
    jwks_cache_seconds: float = 300.0
    type: str = "jwt"


@dataclass(frozen=True)
class BasicAuth:
    username: str
    password: str | None = None  # a secret reference
    password_hash: str | None = None  # pbkdf2_sha256$iterations$salt$hash (weave.gateway.passwords)
    type: str = "basic"


@dataclass(frozen=True)
class ClientCredentialsAuth:
    client_id: str
    client_secret: str | None = None  # a secret reference
    client_secret_hash: str | None = None
    type: str = "oauth2-client-credentials"


AuthSpec = ApiKeyAuth | JwtAuth | BasicAuth | ClientCredentialsAuth


@dataclass(frozen=True)
class Consumer:
    name: str
    auth: AuthSpec
    owner: str = ""
    scopes: frozenset[str] = frozenset()
    rate_limit: RateLimit | None = None
    labels: Mapping[str, str] = field(default_factory=dict)  # `{claims.x}` in templates for non-JWT consumers


@dataclass(frozen=True)
class TokenSettings:
    """The OAuth2 token endpoint weave serves (`POST /oauth/token`) signs HS256 JWTs with `secret`."""

    secret: str | None = None  # a secret reference; without it the endpoint is disabled
    issuer: str = "weave-gateway"
    audience: str = "weave-gateway"
    ttl: float = 300.0


@dataclass(frozen=True)
class BreakerSettings:
    failures: int = 5
    reset: float = 30.0


@dataclass(frozen=True)
class GatewayConfig:
    routes: tuple[Route, ...]
    consumers: tuple[Consumer, ...] = ()
    token: TokenSettings = field(default_factory=TokenSettings)
    breaker: BreakerSettings = field(default_factory=BreakerSettings)
    redis_url: str | None = None
    key_cache_ttl: float = 5.0
    connect_timeout: float = 3.0
    pool_size: int = 64
    title: str = "weave gateway"
    version: str = "1"
    expose_metrics: bool = False

    def consumer(self, name: str) -> Consumer | None:
        for consumer in self.consumers:
            if consumer.name == name:
                return consumer
        return None
