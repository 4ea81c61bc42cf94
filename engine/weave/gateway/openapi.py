"""The OpenAPI 3.1 document of a gateway: every route, its security alternatives, scopes,
parameters, request schema and responses (errors share one `Error` schema)."""

from __future__ import annotations

from typing import Any

from weave.gateway.config import ApiKeyAuth, ClientCredentialsAuth, GatewayConfig, Route
from weave.gateway.router import MAX_PARAM_LENGTH, PARAM_PATTERN, path_params

MAX_QUERY_VALUE = 200  # the app refuses longer values (400)

ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {
                "code": {"type": "string"},
                "message": {"type": "string"},
                "details": {"type": "array", "items": {
                    "type": "object", "properties": {"path": {"type": "string"}, "message": {"type": "string"}},
                }},
            },
        }
    },
}

_ERRORS = {
    "400": "Invalid request (body, path parameter or header).",
    "401": "Missing, invalid, expired or revoked credentials.",
    "403": "The consumer lacks a scope this route requires.",
    "404": "Not found.",
    "413": "The request body is too large.",
    "415": "The request body must be application/json.",
    "429": "Rate limit exceeded; see Retry-After.",
    "4XX": "The upstream refused the request.",
    "502": "The upstream failed.",
    "503": "The upstream is temporarily unavailable (circuit open).",
    "504": "The upstream timed out.",
}

_RATE_HEADERS = {
    name: {"description": desc, "schema": {"type": "integer"}}
    for name, desc in (("RateLimit-Limit", "Requests allowed in the window."),
                       ("RateLimit-Remaining", "Requests left now."),
                       ("RateLimit-Reset", "Seconds until the quota is full again."))
}


def _api_key_schemes(config: GatewayConfig) -> dict[str, str]:
    headers = sorted({c.auth.header for c in config.consumers if isinstance(c.auth, ApiKeyAuth)}) or ["X-API-Key"]
    return {("ApiKeyAuth" if i == 0 else f"ApiKeyAuth{i + 1}"): h for i, h in enumerate(headers)}


def _security(route: Route, config: GatewayConfig, key_schemes: dict[str, str], oauth: bool) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    if "api-key" in route.auth:
        out += [{name: []} for name in key_schemes]
    if "jwt" in route.auth:
        out.append({"BearerJWT": list(route.scopes)})
    if "basic" in route.auth:
        out.append({"BasicAuth": []})
    if "oauth2-client-credentials" in route.auth and oauth:
        out.append({"OAuth2": list(route.scopes)})
    return out


def _operation(route: Route, config: GatewayConfig, key_schemes: dict[str, str], oauth: bool) -> dict[str, Any]:
    params: list[dict[str, Any]] = [
        {"name": name, "in": "path", "required": True,
         "schema": {"type": "string", "minLength": 1, "maxLength": MAX_PARAM_LENGTH, "pattern": PARAM_PATTERN}}
        for name in path_params(route.path)
    ]
    params += [{"name": name, "in": "query", "required": False, "schema": {"type": "string", "maxLength": MAX_QUERY_VALUE}}
               for name in route.query_params]
    success: dict[str, Any] = {
        "description": "Success.", "headers": _RATE_HEADERS,
        "content": {"application/json": {"schema": dict(route.response_schema or {})}},
    }
    responses: dict[str, Any] = {"200": success, "2XX": success}
    for status, desc in _ERRORS.items():
        if route.public and status in ("401", "403"):
            continue
        if status == "413" and route.method not in ("POST", "PUT", "PATCH"):
            continue
        responses[status] = {"description": desc,
                             "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
    op: dict[str, Any] = {
        "operationId": f"{route.method.lower()}_{route.path.strip('/').replace('/', '_').replace('{', '').replace('}', '')}",
        "summary": route.summary or f"{route.integration}: {route.method} {route.path}",
        "tags": [route.integration],
        "security": [] if route.public else _security(route, config, key_schemes, oauth),
        "responses": responses,
    }
    if route.scopes:
        op["x-weave-scopes"] = list(route.scopes)
    if params:
        op["parameters"] = params
    if route.request_schema is not None:
        op["requestBody"] = {"required": True,
                             "content": {"application/json": {"schema": dict(route.request_schema)}}}
    return op


def _token_path(config: GatewayConfig) -> dict[str, Any]:
    oauth_error = {"type": "object", "required": ["error"],
                   "properties": {"error": {"type": "string"}, "error_description": {"type": "string"}}}
    return {"post": {
        "operationId": "oauth_token",
        "summary": "OAuth2 client-credentials token endpoint.",
        "tags": ["oauth"],
        "security": [{"ClientBasic": []}, {}],
        "requestBody": {"required": True, "content": {"application/x-www-form-urlencoded": {"schema": {
            "type": "object", "required": ["grant_type"],
            "properties": {"grant_type": {"type": "string", "enum": ["client_credentials"]},
                           "scope": {"type": "string"}, "client_id": {"type": "string"},
                           "client_secret": {"type": "string"}},
        }}}},
        "responses": {
            "200": {"description": "A bearer token.", "content": {"application/json": {"schema": {
                "type": "object", "required": ["access_token", "token_type", "expires_in"],
                "properties": {"access_token": {"type": "string"}, "token_type": {"type": "string"},
                               "expires_in": {"type": "integer"}, "scope": {"type": "string"}}}}}},
            "400": {"description": "Invalid request.", "content": {"application/json": {"schema": oauth_error}}},
            "401": {"description": "Invalid client.", "content": {"application/json": {"schema": oauth_error}}},
            "413": {"description": "Body too large.",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
        },
    }}


def build_openapi(config: GatewayConfig, server_url: str | None = None) -> dict[str, Any]:
    key_schemes = _api_key_schemes(config)
    oauth = config.token.secret is not None and any(
        isinstance(c.auth, ClientCredentialsAuth) for c in config.consumers)
    paths: dict[str, Any] = {}
    for route in config.routes:
        paths.setdefault(route.path, {})[route.method.lower()] = _operation(route, config, key_schemes, oauth)
    schemes: dict[str, Any] = {
        name: {"type": "apiKey", "in": "header", "name": header} for name, header in key_schemes.items()
    }
    schemes["BearerJWT"] = {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
    schemes["BasicAuth"] = {"type": "http", "scheme": "basic"}
    if oauth:
        all_scopes = sorted({s for r in config.routes for s in r.scopes} | {s for c in config.consumers for s in c.scopes})
        schemes["OAuth2"] = {"type": "oauth2", "flows": {"clientCredentials": {
            "tokenUrl": "/oauth/token", "scopes": {s: f"the {s} scope" for s in all_scopes}}}}
        schemes["ClientBasic"] = {"type": "http", "scheme": "basic", "description": "client_id:client_secret"}
        paths["/oauth/token"] = _token_path(config)
    doc: dict[str, Any] = {
        "openapi": "3.1.0",
        "info": {"title": config.title, "version": config.version},
        "paths": paths,
        "components": {"schemas": {"Error": ERROR_SCHEMA}, "securitySchemes": schemes},
    }
    if server_url:
        doc["servers"] = [{"url": server_url}]
    return doc
