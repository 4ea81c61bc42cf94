"""Small HTTP helpers shared by the simulated systems: JSON bodies, errors, auth checks, OAuth2 tokens."""

from __future__ import annotations

import base64
import binascii
import hmac
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl

import orjson
from starlette.requests import Request
from starlette.responses import Response

JSON_TYPE = "application/json"
MAX_BODY = 5 * 1024 * 1024


class HttpError(Exception):
    """Raised inside a handler; `SimService` turns it into a JSON error response."""

    def __init__(self, status: int, code: str, message: str, details: Any = None,
                 headers: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details
        self.headers = dict(headers or {})


def json_response(data: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> Response:
    return Response(orjson.dumps(data), status_code=status, headers=dict(headers or {}), media_type=JSON_TYPE)


def error_response(err: HttpError) -> Response:
    body: dict[str, Any] = {"error": {"code": err.code, "message": err.message}}
    if err.details is not None:
        body["error"]["details"] = err.details
    return json_response(body, err.status, err.headers)


async def read_json(request: Request) -> Any:
    """The request body as JSON; 415 for another content type, 400 for malformed JSON, 413 when too big."""
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype != JSON_TYPE and not ctype.endswith("+json"):
        raise HttpError(415, "unsupported_media_type", f"expected {JSON_TYPE}, got {ctype or 'nothing'}")
    raw = await request.body()
    if len(raw) > MAX_BODY:
        raise HttpError(413, "payload_too_large", f"body exceeds {MAX_BODY} bytes")
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise HttpError(400, "malformed_json", f"request body is not valid JSON: {exc}") from None


async def read_object(request: Request) -> dict[str, Any]:
    data = await read_json(request)
    if not isinstance(data, dict):
        raise HttpError(422, "validation_failed", "request body must be a JSON object")
    return data


def require_fields(data: Mapping[str, Any], *names: str) -> None:
    missing = [n for n in names if data.get(n) in (None, "", [])]
    if missing:
        raise HttpError(422, "validation_failed", "missing required fields",
                        [{"field": n, "error": "required"} for n in missing])


def int_param(request: Request, name: str, default: int, lo: int = 0, hi: int = 10**12) -> int:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise HttpError(400, "invalid_parameter", f"{name} must be an integer") from None
    if not lo <= value <= hi:
        raise HttpError(400, "invalid_parameter", f"{name} must be between {lo} and {hi}")
    return value


def int_field(data: Mapping[str, Any], name: str, default: int, lo: int = 0, hi: int = 10**12) -> int:
    """An integer field of a JSON body within [lo, hi]; 400 otherwise."""
    value = data.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise HttpError(400, "invalid_parameter", f"{name} must be an integer between {lo} and {hi}")
    return value


def _unauthorized(scheme: str) -> HttpError:
    return HttpError(401, "unauthorized", "missing or invalid credentials", headers={"WWW-Authenticate": scheme})


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def check_basic(request: Request, username: str, password: str, realm: str) -> str:
    """Validate HTTP basic auth and return the user name."""
    header = request.headers.get("authorization", "")
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic":
        raise _unauthorized(f'Basic realm="{realm}"')
    try:
        user, _, pwd = base64.b64decode(encoded.strip(), validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        raise _unauthorized(f'Basic realm="{realm}"') from None
    if not (hmac.compare_digest(user, username) & hmac.compare_digest(pwd, password)):
        raise _unauthorized(f'Basic realm="{realm}"')
    return user


def check_bearer(request: Request, valid: set[str] | frozenset[str], issuer: TokenIssuer | None = None) -> str:
    token = bearer_token(request)
    if token is not None and (any(hmac.compare_digest(token, t) for t in valid)
                              or (issuer is not None and issuer.valid(token))):
        return token
    raise _unauthorized("Bearer")


def check_api_key(request: Request, header: str, valid: set[str] | frozenset[str]) -> str:
    key = request.headers.get(header)
    if key and any(hmac.compare_digest(key, v) for v in valid):
        return key
    raise _unauthorized(f"ApiKey header={header}")


@dataclass
class TokenIssuer:
    """An OAuth2 client-credentials token endpoint (RFC 6749 §4.4) with expiring opaque tokens."""

    client_id: str
    client_secret: str
    ttl_seconds: float = 3600.0
    _tokens: dict[str, float] = field(default_factory=dict)
    issued: int = 0

    def valid(self, token: str) -> bool:
        expires = self._tokens.get(token)
        return expires is not None and expires > time.monotonic()

    def revoke_all(self) -> None:
        self._tokens.clear()

    async def token_endpoint(self, request: Request) -> Response:
        raw = await request.body()
        ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if ctype == JSON_TYPE:
            try:
                form = {str(k): str(v) for k, v in orjson.loads(raw).items()}
            except (orjson.JSONDecodeError, AttributeError):
                return _oauth_error(400, "invalid_request")
        else:
            form = dict(parse_qsl(raw.decode("utf-8", "replace")))
        client_id, client_secret = form.get("client_id", ""), form.get("client_secret", "")
        header = request.headers.get("authorization", "")
        if header.lower().startswith("basic "):
            try:
                client_id, _, client_secret = base64.b64decode(header[6:].strip()).decode().partition(":")
            except (binascii.Error, UnicodeDecodeError):
                return _oauth_error(401, "invalid_client")
        if form.get("grant_type") != "client_credentials":
            return _oauth_error(400, "unsupported_grant_type")
        if not (hmac.compare_digest(client_id, self.client_id)
                & hmac.compare_digest(client_secret, self.client_secret)):
            return _oauth_error(401, "invalid_client")
        token = "at_" + secrets.token_urlsafe(24)
        self._tokens[token] = time.monotonic() + self.ttl_seconds
        self.issued += 1
        body: dict[str, Any] = {"access_token": token, "token_type": "Bearer", "expires_in": self.ttl_seconds}
        if "scope" in form:
            body["scope"] = form["scope"]
        return json_response(body, headers={"Cache-Control": "no-store"})


def _oauth_error(status: int, code: str) -> Response:
    return json_response({"error": code}, status, {"Cache-Control": "no-store"})


_second_cache: list[Any] = [-1, ""]


def utc_now_iso() -> str:
    """The current UTC time as `YYYY-MM-DDTHH:MM:SS.ffffffZ` (fixed width, so strings sort by time)."""
    micros = time.time_ns() // 1000
    seconds, fraction = divmod(micros, 1_000_000)
    if seconds != _second_cache[0]:
        _second_cache[:] = [seconds, time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds))]
    return f"{_second_cache[1]}.{fraction:06d}Z"


ISO_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


def normalise_instant(value: str, name: str = "timestamp") -> str:
    """Any ISO 8601 instant with a zone, in the services' fixed-width UTC form; 400 otherwise."""
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00").replace(" ", "+"))
    except ValueError:
        raise HttpError(400, "invalid_parameter", f"{name} must be an ISO 8601 timestamp") from None
    if moment.tzinfo is None:
        raise HttpError(400, "invalid_parameter", f"{name} needs a time zone (e.g. Z)")
    return moment.astimezone(UTC).strftime(ISO_FORMAT)


class MonotonicClock:
    """Strictly increasing `updated_at` stamps, so cursors over (updated_at, id) never skip a change."""

    def __init__(self) -> None:
        self.last = ""

    def next(self) -> str:
        now = utc_now_iso()
        if now <= self.last:
            now = (datetime.strptime(self.last, ISO_FORMAT) + timedelta(microseconds=1)).strftime(ISO_FORMAT)
        self.last = now
        return now
