"""Schema of the API-gateway pattern: the integration's `gateway:` block and `kind: consumer` specs.

Runtime semantics live in `weave.gateway` (docs/design/gateway.md); the adapter
`weave.gateway.gateway_config_from_specs` reads exactly these shapes.
"""

from __future__ import annotations

from typing import Any

from weave.spec.schema.common import ref

GATEWAY_AUTH_TYPES = ["api-key", "jwt", "basic", "oauth2-client-credentials"]
_HEADERS = {
    "type": "object",
    "additionalProperties": {"type": "string"},
    "description": "Headers sent upstream; values may hold {param} templates or secret references.",
}
_QUERY = {
    "type": "object",
    "additionalProperties": {"type": "string"},
    "description": "Query parameters sent upstream; values may hold {param} templates.",
}
_PATH = {"type": "string", "pattern": "^/", "description": "Path on the system, with {param} templates."}

DEFS: dict[str, Any] = {
    "gatewayUpstream": {
        "type": "object",
        "description": "Proxy target: the system's API path, with path, query and header rewriting.",
        "additionalProperties": False,
        "required": ["system", "path"],
        "properties": {
            "system": {**ref("name"), "description": "The system whose base_url the call goes to."},
            "path": _PATH,
            "method": {"enum": ["GET", "POST", "PUT", "PATCH", "DELETE"], "description": "Default: the route's."},
            "query": _QUERY,
            "headers": _HEADERS,
            "timeout": {**ref("duration"), "description": "Upstream timeout (default: the route's, 10s)."},
        },
    },
    "gatewayComposeCall": {
        "type": "object",
        "description": "One upstream call of a composed response; its JSON is available as {name.field} to later "
                       "calls and as `name` to the response steps.",
        "additionalProperties": False,
        "required": ["name", "system", "path"],
        "properties": {
            "name": {"type": "string", "pattern": "^[A-Za-z_][A-Za-z0-9_]*$", "description": "Result name."},
            "system": {**ref("name"), "description": "The system to call."},
            "method": {"enum": ["GET", "POST"], "description": "HTTP method (default GET)."},
            "path": _PATH,
            "query": _QUERY,
            "headers": _HEADERS,
            "timeout": {**ref("duration"), "description": "Upstream timeout."},
        },
    },
    "gatewayResponseStep": {
        "type": "object",
        "description": "A response transform step: drop fields, pick fields, rename fields, or map with JMESPath.",
        "minProperties": 1,
        "maxProperties": 1,
        "additionalProperties": False,
        "properties": {
            "drop": {"description": "Field paths to remove, e.g. cost_price or lines[].cost_price.",
                     "oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]},
            "pick": {"description": "Top-level fields to keep.",
                     "oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]},
            "rename": {"type": "object", "additionalProperties": {"type": "string"},
                       "description": "Top-level fields to rename, old: new."},
            "map": {**ref("jmespath"), "description": "Reshape the whole document with a JMESPath expression."},
        },
    },
    "gatewayCors": {
        "type": "object",
        "description": "Cross-origin access for browser clients.",
        "additionalProperties": False,
        "required": ["origins"],
        "properties": {
            "origins": {"type": "array", "items": {"type": "string"}, "description": "Allowed origins, or ['*']."},
            "methods": {"type": "array", "items": {"type": "string"}, "description": "Allowed methods."},
            "headers": {"type": "array", "items": {"type": "string"}, "description": "Allowed request headers."},
            "max_age": {**ref("duration"), "description": "How long browsers cache a preflight."},
            "allow_credentials": {"type": "boolean", "description": "Send Access-Control-Allow-Credentials."},
        },
    },
    "gatewayRoute": {
        "type": "object",
        "description": "A route exposed by `weave serve`: a proxy (`upstream`) or a composition (`compose`).",
        "additionalProperties": False,
        "required": ["path"],
        "oneOf": [{"required": ["upstream"]}, {"required": ["compose"]}],
        "properties": {
            "method": {"enum": ["GET", "POST", "PUT", "PATCH", "DELETE"], "description": "HTTP method (default GET)."},
            "path": {"type": "string", "pattern": "^/", "description": "Public path, e.g. /partner/v1/quotes/{id}."},
            "summary": {"type": "string", "description": "One line for the OpenAPI document."},
            "upstream": ref("gatewayUpstream"),
            "compose": {"type": "array", "minItems": 1, "items": ref("gatewayComposeCall"),
                        "description": "Calls whose results are combined (independent calls run concurrently)."},
            "scopes": {"type": "array", "items": {"type": "string"},
                       "description": "Scopes a consumer needs to call the route (403 otherwise)."},
            "auth": {"type": "array", "items": {"enum": GATEWAY_AUTH_TYPES},
                     "description": "Auth types accepted (default: all)."},
            "public": {"type": "boolean", "description": "Explicitly serve without authentication (default false); "
                                                          "cannot be combined with scopes or auth."},
            "rate_limit": {**ref("rateLimit"), "description": "Per-consumer limit on this route."},
            "request_schema": {"type": "object", "description": "JSON Schema of the request body (400 with the path)."},
            "response_schema": {"type": "object", "description": "JSON Schema of the success body (OpenAPI only)."},
            "response": {
                "type": "object", "additionalProperties": False, "description": "Response transforms.",
                "properties": {"steps": {"type": "array", "items": ref("gatewayResponseStep"),
                                         "description": "Applied in order to 2xx JSON bodies."}},
            },
            "max_body_bytes": {"type": "integer", "minimum": 1, "description": "Body size limit (default 1 MiB)."},
            "cors": ref("gatewayCors"),
            "query": {"type": "array", "items": {"type": "string"},
                      "description": "Client query parameters passed upstream (others are dropped)."},
            "timeout": {**ref("duration"), "description": "Upstream timeout (default 10s)."},
            "example": {"type": "object", "additionalProperties": False,
                        "description": "A sample call (documentation and `weave demo`): the concrete path, and a "
                                       "body for POST/PUT/PATCH.",
                        "properties": {"path": {"type": "string", "pattern": "^/",
                                                "description": "Concrete path, e.g. /partner/v1/products/PRD-001."},
                                       "body": {"description": "JSON request body."}}},
        },
    },
    "gatewayToken": {
        "type": "object",
        "description": "The OAuth2 client-credentials token endpoint weave serves at POST /oauth/token.",
        "additionalProperties": False,
        "required": ["secret"],
        "properties": {
            "secret": {**ref("secretRef"), "description": "HS256 signing key for issued tokens."},
            "issuer": {"type": "string", "description": "iss of issued tokens (default weave-gateway)."},
            "audience": {"type": "string", "description": "aud of issued tokens (default weave-gateway)."},
            "ttl": {**ref("duration"), "description": "Token lifetime (default 5m)."},
        },
    },
    "consumerAuth": {
        "type": "object",
        "description": "How a consumer authenticates to the gateway. Secrets are references only.",
        "additionalProperties": False,
        "required": ["type"],
        "properties": {
            "type": {"enum": GATEWAY_AUTH_TYPES, "description": "Authentication scheme."},
            "header": {"type": "string", "description": "api-key: header carrying the key (default X-API-Key). "
                                                        "Keys are created with `weave keys create`."},
            "issuer": {"type": "string", "description": "jwt: required iss."},
            "audience": {"type": "string", "description": "jwt: required aud."},
            "subject": {"type": "string", "description": "jwt: required sub (optional)."},
            "algorithms": {"type": "array", "items": {"enum": ["HS256", "HS384", "HS512", "RS256", "RS384",
                                                                "RS512", "ES256", "PS256"]},
                           "description": "jwt: accepted algorithms ('none' is never accepted)."},
            "secret": {**ref("secretRef"), "description": "jwt: HS256 key."},
            "jwks": {"type": "object", "additionalProperties": False, "description": "jwt: key set for RS256.",
                     "properties": {"file": {"type": "string", "description": "Path of a JWKS file."},
                                    "url": {"type": "string", "description": "URL of a JWKS document."},
                                    "cache": {**ref("duration"), "description": "URL cache time (default 5m)."}}},
            "leeway": {**ref("duration"), "description": "jwt: clock skew allowed on exp/nbf (default 30s)."},
            "username": {"type": "string", "description": "basic: user name."},
            "password": {**ref("secretRef"), "description": "basic: password, as a reference."},
            "password_hash": {"type": "string", "pattern": r"^pbkdf2_sha256\$",
                              "description": "basic: PBKDF2 hash of the password."},
            "client_id": {"type": "string", "description": "oauth2-client-credentials: client id."},
            "client_secret": {**ref("secretRef"), "description": "oauth2-client-credentials: secret reference."},
            "client_secret_hash": {"type": "string", "pattern": r"^pbkdf2_sha256\$",
                                   "description": "oauth2-client-credentials: PBKDF2 hash of the secret."},
        },
    },
}

INTEGRATION_PROPERTIES: dict[str, Any] = {
    "gateway": {
        "type": "object",
        "description": "API-gateway pattern: the routes `weave serve` exposes, who may call them, and the token endpoint.",
        "additionalProperties": False,
        "required": ["routes"],
        "properties": {
            "routes": {"type": "array", "minItems": 1, "items": ref("gatewayRoute"), "description": "Exposed routes."},
            "consumers": {"type": "array", "items": ref("name"),
                          "description": "If given, only these consumers may call this integration's routes."},
            "token": ref("gatewayToken"),
        },
    },
}

CONSUMER_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "An API consumer (partner, customer app, third party) of the gateway.",
    "additionalProperties": False,
    "required": ["kind", "name", "auth"],
    "properties": {
        "kind": {"const": "consumer", "description": "Spec kind."},
        "name": ref("name"),
        "owner": ref("owner"),
        "description": ref("description"),
        "labels": ref("labels"),
        "auth": ref("consumerAuth"),
        "scopes": {"type": "array", "items": {"type": "string"}, "description": "Scopes the consumer holds."},
        "rate_limit": {**ref("rateLimit"), "description": "The consumer's own limit across all routes."},
    },
}
