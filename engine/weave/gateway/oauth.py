"""The OAuth2 client-credentials token endpoint weave serves: `POST /oauth/token`.

Clients authenticate with HTTP Basic (client_id:client_secret) or form fields, ask for
`grant_type=client_credentials` and optionally a `scope`; they get a short-lived HS256 JWT
(`sub` = consumer, `scope` = granted scopes). Error bodies follow RFC 6749 §5.2
(`{"error": "...", "error_description": "..."}`), because OAuth client libraries parse them.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Mapping
from urllib.parse import parse_qsl

import jwt
import orjson

from weave.gateway.auth import Authenticator
from weave.gateway.errors import GatewayError


def _oauth_error(status: int, error: str, description: str) -> tuple[int, bytes, list[tuple[bytes, bytes]]]:
    headers = [(b"cache-control", b"no-store")]
    if status == 401:
        headers.append((b"www-authenticate", b'Basic realm="weave"'))
    return status, orjson.dumps({"error": error, "error_description": description}), headers


async def issue_token(auth: Authenticator, headers: Mapping[bytes, bytes], body: bytes,
                now: float | None = None) -> tuple[int, bytes, list[tuple[bytes, bytes]]]:
    """(status, JSON body, extra headers) for one token request."""
    settings = auth.config.token
    if auth.token_secret is None:
        return _oauth_error(404, "not_found", "the token endpoint is not enabled")
    content_type = headers.get(b"content-type", b"").split(b";")[0].strip().lower()
    if content_type != b"application/x-www-form-urlencoded":
        return _oauth_error(400, "invalid_request", "use application/x-www-form-urlencoded")
    try:
        form = dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True, strict_parsing=False, max_num_fields=20))
    except (UnicodeDecodeError, ValueError):
        return _oauth_error(400, "invalid_request", "malformed form body")
    if form.get("grant_type") != "client_credentials":
        return _oauth_error(400, "unsupported_grant_type", "only client_credentials is supported")
    client_id, client_secret = form.get("client_id"), form.get("client_secret")
    authorization = headers.get(b"authorization")
    if authorization is not None:
        scheme, _, credential = authorization.partition(b" ")
        if scheme.lower() != b"basic":
            return _oauth_error(401, "invalid_client", "client authentication failed")
        try:
            client_id, client_secret = Authenticator.parse_basic(credential.strip())
        except GatewayError:
            return _oauth_error(401, "invalid_client", "client authentication failed")
    if not client_id or client_secret is None:
        return _oauth_error(401, "invalid_client", "client authentication failed")
    consumer = await auth.client(client_id, client_secret)
    if consumer is None:
        return _oauth_error(401, "invalid_client", "client authentication failed")
    granted = consumer.scopes
    if form.get("scope"):
        requested = frozenset(form["scope"].split())
        if not requested <= consumer.scopes:
            return _oauth_error(400, "invalid_scope", "a requested scope is not allowed for this client")
        granted = requested
    issued = int(now if now is not None else time.time())
    claims = {
        "iss": settings.issuer, "aud": settings.audience, "sub": consumer.name, "iat": issued,
        "exp": issued + int(settings.ttl), "jti": uuid.uuid4().hex, "scope": " ".join(sorted(granted)),
    }
    token = jwt.encode(claims, auth.token_secret, algorithm="HS256")
    payload = {"access_token": token, "token_type": "Bearer", "expires_in": int(settings.ttl),
               "scope": claims["scope"]}
    return 200, orjson.dumps(payload), [(b"cache-control", b"no-store"), (b"pragma", b"no-cache")]
