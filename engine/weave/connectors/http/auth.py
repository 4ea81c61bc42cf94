"""HTTP authentication: none, api_key, basic, bearer, OAuth2 client credentials.

Every secret is a reference resolved at request time (`weave.secrets.resolve`); resolved values
live only in request headers and, for OAuth2, in the in-memory token cache. The table `AUTH_MAP`
maps the spec's `auth.type` to a class; unknown types are answered with the known ones.
"""

from __future__ import annotations

import asyncio
import base64
import time
import urllib.parse
from collections.abc import Callable, Mapping
from typing import Any

import orjson

from weave.connectors.http.backend import HttpBackend
from weave.connectors.http.errors import body_snippet, parse_retry_after
from weave.errors import TerminalError, TransientError
from weave.secrets import resolve

_SECRET_KEYS = ("key", "value", "password", "token", "client_secret")


class Auth:
    """Adds credentials to one request. `refreshable` auths get one retry after a 401."""

    refreshable = False

    def __init__(self, config: Mapping[str, Any]) -> None:
        self.config = config

    async def apply(self, headers: dict[str, str], params: dict[str, Any]) -> None:
        return None

    def invalidate(self) -> None:
        return None

    def query_params(self) -> frozenset[str]:
        """Query parameters this auth adds (kept out of stored next-page URLs)."""
        return frozenset()

    def secret_values(self) -> list[str]:
        """The resolved credentials (to redact from error texts); unresolvable ones are skipped."""
        values: list[str] = []
        for key in _SECRET_KEYS:
            if self.config.get(key):
                try:
                    values.append(str(resolve(self.config[key])))
                except TerminalError:
                    continue
        return values

    def _required(self, key: str) -> Any:
        if key not in self.config or self.config[key] in (None, ""):
            kind = self.config.get("type")
            raise TerminalError(f"auth type {kind!r} needs `{key}:`")
        return resolve(self.config[key])


class NoAuth(Auth):
    pass


class ApiKeyAuth(Auth):
    """`{type: api_key, key: ${env:K}, header: X-API-Key}` or `{…, in: query, param: api_key}`."""

    async def apply(self, headers: dict[str, str], params: dict[str, Any]) -> None:
        key = self._required("key") if "key" in self.config else self._required("value")
        if self.config.get("in", "header") == "query":
            params[str(self.config.get("param", "api_key"))] = key
        else:
            headers[str(self.config.get("header", "X-API-Key"))] = str(key)


    def query_params(self) -> frozenset[str]:
        if self.config.get("in", "header") == "query":
            return frozenset({str(self.config.get("param", "api_key"))})
        return frozenset()


class BasicAuth(Auth):
    async def apply(self, headers: dict[str, str], params: dict[str, Any]) -> None:
        user = self._required("username")
        password = resolve(self.config.get("password", ""))
        token = base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
        headers["Authorization"] = f"Basic {token}"


class BearerAuth(Auth):
    async def apply(self, headers: dict[str, str], params: dict[str, Any]) -> None:
        headers["Authorization"] = f"Bearer {self._required('token')}"


class OAuth2ClientCredentials(Auth):
    """Client-credentials grant with a cached token, refreshed `refresh_before` seconds before it
    expires (default 30 s, at most half the token's lifetime). Concurrent requests share one
    token fetch. `client_auth: basic` (default) sends the client id/secret as HTTP Basic,
    `client_auth: body` sends them as form fields."""

    refreshable = True

    def __init__(
        self,
        config: Mapping[str, Any],
        *,
        backend: HttpBackend,
        base_url: str = "",
        timeout: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(config)
        self._backend = backend
        self._base_url = base_url
        self._timeout = timeout
        self._clock = clock
        self._token: str | None = None
        self._expires_at = 0.0
        self._lock = asyncio.Lock()
        self.fetches = 0

    def _fresh(self) -> bool:
        return self._token is not None and self._clock() < self._expires_at

    async def token(self) -> str:
        if self._fresh():
            assert self._token is not None
            return self._token
        async with self._lock:
            if not self._fresh():
                await self._fetch()
            assert self._token is not None
            return self._token

    def invalidate(self) -> None:
        self._token = None
        self._expires_at = 0.0

    def secret_values(self) -> list[str]:
        return super().secret_values() + ([self._token] if self._token else [])

    async def apply(self, headers: dict[str, str], params: dict[str, Any]) -> None:
        headers["Authorization"] = f"Bearer {await self.token()}"

    async def _fetch(self) -> None:
        url = str(self._required("token_url"))
        if not url.startswith(("http://", "https://")):
            url = urllib.parse.urljoin(resolve(self._base_url).rstrip("/") + "/", url.lstrip("/"))
        client_id = str(self._required("client_id"))
        client_secret = str(self._required("client_secret"))
        form: dict[str, str] = {"grant_type": "client_credentials"}
        scopes = self.config.get("scopes", self.config.get("scope"))
        if scopes:
            form["scope"] = " ".join(str(s) for s in scopes) if isinstance(scopes, list) else str(resolve(scopes))
        if self.config.get("audience"):
            form["audience"] = str(resolve(self.config["audience"]))
        headers = {"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"}
        if self.config.get("client_auth", "basic") == "body":
            form.update(client_id=client_id, client_secret=client_secret)
        else:
            pair = f"{urllib.parse.quote(client_id)}:{urllib.parse.quote(client_secret)}"
            headers["Authorization"] = "Basic " + base64.b64encode(pair.encode()).decode("ascii")
        self.fetches += 1
        resp = await self._backend.request(
            "POST", url, headers=headers, content=urllib.parse.urlencode(form).encode(), timeout=self._timeout
        )
        if resp.status >= 500 or resp.status in (408, 429):
            raise TransientError(
                f"OAuth2 token endpoint answered {resp.status}",
                retry_after=parse_retry_after(resp.header("retry-after")),
                status=resp.status,
            )
        if resp.status >= 400:
            # the body of a token error is standard (error, error_description) and carries no secret
            raise TerminalError(
                f"OAuth2 token endpoint refused the client credentials ({resp.status}): {body_snippet(resp)}",
                status=resp.status,
            )
        try:
            payload = orjson.loads(resp.body)
            token = str(payload["access_token"])
        except (orjson.JSONDecodeError, KeyError, TypeError):
            raise TerminalError("OAuth2 token endpoint answered without an access_token") from None
        lifetime = float(payload.get("expires_in") or 3600)
        skew = min(float(self.config.get("refresh_before", 30)), lifetime / 2)
        self._token = token
        self._expires_at = self._clock() + lifetime - skew


AUTH_MAP: dict[str, type[Auth]] = {
    "none": NoAuth,
    "api_key": ApiKeyAuth,
    "api-key": ApiKeyAuth,
    "basic": BasicAuth,
    "bearer": BearerAuth,
    "oauth2_client_credentials": OAuth2ClientCredentials,
    "oauth2-client-credentials": OAuth2ClientCredentials,
    "oauth2": OAuth2ClientCredentials,
}


def build_auth(config: Mapping[str, Any] | None, *, backend: HttpBackend, base_url: str, timeout: float) -> Auth:
    config = config or {"type": "none"}
    kind = str(config.get("type", "none"))
    cls = AUTH_MAP.get(kind)
    if cls is None:
        raise TerminalError(f"unknown auth type {kind!r}; known types: {', '.join(sorted(AUTH_MAP))}")
    if cls is OAuth2ClientCredentials:
        return OAuth2ClientCredentials(config, backend=backend, base_url=base_url, timeout=timeout)
    return cls(config)
