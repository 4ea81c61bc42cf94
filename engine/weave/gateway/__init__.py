"""weave.gateway: the API gateway pattern — external parties reach the CRM's APIs through one
controlled entry point with auth, scopes, rate limits, validation, transforms and OpenAPI.

Build a `GatewayConfig` (plain frozen dataclasses) directly or with `gateway_config_from_specs`,
then `GatewayApp(config, keys=..., limiter=...)` is a raw ASGI app; serve it with uvicorn
(`weave.gateway.server`). See docs/design/gateway.md.
"""

from weave.gateway.adapter import GatewayConfigError, consumer_from_spec, gateway_config_from_specs
from weave.gateway.app import GatewayApp
from weave.gateway.config import (
    ApiKeyAuth,
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
from weave.gateway.keys import (
    KeyRecord,
    KeyStore,
    MemoryKeyStore,
    SqliteKeyStore,
    StateKeyStore,
    create_key,
    hash_key,
)
from weave.gateway.openapi import build_openapi
from weave.gateway.passwords import hash_password
from weave.gateway.ratelimit import Decision, MemoryLimiter, RedisLimiter
from weave.gateway.upstream import (
    UpstreamClient,
    UpstreamError,
    UpstreamPool,
    UpstreamResponse,
    UpstreamTimeout,
)

__all__ = [
    "ApiKeyAuth",
    "BasicAuth",
    "ClientCredentialsAuth",
    "Consumer",
    "Cors",
    "Decision",
    "GatewayApp",
    "GatewayConfig",
    "GatewayConfigError",
    "JwtAuth",
    "KeyRecord",
    "KeyStore",
    "MemoryKeyStore",
    "MemoryLimiter",
    "RateLimit",
    "RedisLimiter",
    "Route",
    "SqliteKeyStore",
    "StateKeyStore",
    "TokenSettings",
    "UpstreamCall",
    "UpstreamClient",
    "UpstreamError",
    "UpstreamPool",
    "UpstreamResponse",
    "UpstreamTimeout",
    "build_openapi",
    "consumer_from_spec",
    "create_key",
    "gateway_config_from_specs",
    "hash_key",
    "hash_password",
]
