"""Who is calling: API keys, JWT bearer tokens (external issuers and weave's own token endpoint),
and basic auth. Every failure is a 401 with a fixed message; the credential never reaches a log,
an error body or the upstream.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from hashlib import blake2s, sha256
from time import monotonic
from typing import Any
from urllib.parse import unquote_plus

import jwt

from weave import secrets
from weave.gateway.config import (
    ApiKeyAuth,
    BasicAuth,
    ClientCredentialsAuth,
    Consumer,
    GatewayConfig,
    JwtAuth,
    RateLimit,
)
from weave.gateway.errors import unauthenticated
from weave.gateway.jwks import JwksError, JwksSource
from weave.gateway.keys import KeyStore
from weave.gateway.passwords import equal_secrets, verify_password

QUERY_CREDENTIALS = frozenset({"api_key", "apikey", "api-key", "key", "access_token", "token", "x-api-key"})


@dataclass(frozen=True, slots=True)
class Identity:
    """The authenticated caller. `claims` are a verified token's claims, or the consumer's labels;
    upstream templates may use them (`{claims.account_id}`) to scope what a caller can reach."""

    consumer: str
    auth_type: str
    scopes: frozenset[str]
    rate_limit: RateLimit | None
    claims: Mapping[str, Any] = field(default_factory=dict)


def _identity(consumer: Consumer, auth_type: str, token_scopes: frozenset[str] | None = None,
              claims: Mapping[str, Any] | None = None) -> Identity:
    scopes = consumer.scopes if token_scopes is None else consumer.scopes & token_scopes
    return Identity(consumer.name, auth_type, scopes, consumer.rate_limit,
                    dict(consumer.labels) if claims is None else claims)


def _token_scopes(claims: Mapping[str, Any]) -> frozenset[str] | None:
    scope = claims.get("scope", claims.get("scp"))
    if scope is None:
        return None
    if isinstance(scope, str):
        return frozenset(scope.split())
    if isinstance(scope, list):
        return frozenset(str(s) for s in scope)
    return frozenset()


class _TtlCache:
    """A bounded map with per-entry expiry (cleared wholesale when full)."""

    def __init__(self, ttl: float, max_size: int = 10_000) -> None:
        self.ttl = ttl
        self.max_size = max_size
        self._data: dict[Any, tuple[float, Any]] = {}

    def get(self, key: Any) -> tuple[bool, Any]:
        hit = self._data.get(key)
        if hit is None or hit[0] < time.monotonic():
            return False, None
        return True, hit[1]

    def put(self, key: Any, value: Any) -> None:
        if self.ttl <= 0:
            return
        if len(self._data) >= self.max_size:
            self._data.clear()
        self._data[key] = (time.monotonic() + self.ttl, value)


class Authenticator:
    """Built once per app: secret references are resolved here and held only in memory."""

    def __init__(self, config: GatewayConfig, keys: KeyStore, env: dict[str, str] | None = None) -> None:
        self.config = config
        self.keys = keys
        self.consumers = {c.name: c for c in config.consumers}
        # fixed identities (API keys, basic auth): built once, not per request
        self._fixed = {c.name: _identity(c, c.auth.type) for c in config.consumers}
        self._key_header = {c.name: c.auth.header.lower().encode() for c in config.consumers
                            if isinstance(c.auth, ApiKeyAuth)}
        self._key_cache = _TtlCache(config.key_cache_ttl)
        self._key_hits = self._key_cache._data  # read directly on the hot path
        self._basic_cache = _TtlCache(60.0)
        self._hash_slots = asyncio.Semaphore(2)
        self.key_headers: tuple[bytes, ...] = tuple(sorted({
            c.auth.header.lower().encode() for c in config.consumers if isinstance(c.auth, ApiKeyAuth)
        } or {b"x-api-key"}))
        self._basic: dict[str, tuple[Consumer, str | None]] = {}
        self._clients: dict[str, tuple[Consumer, str | None]] = {}
        self._jwt: list[tuple[Consumer, JwtAuth, str | None, JwksSource | None]] = []
        for consumer in config.consumers:
            auth = consumer.auth
            if isinstance(auth, BasicAuth):
                self._basic[auth.username] = (consumer, secrets.resolve(auth.password, env) if auth.password else None)
            elif isinstance(auth, ClientCredentialsAuth):
                secret = secrets.resolve(auth.client_secret, env) if auth.client_secret else None
                self._clients[auth.client_id] = (consumer, secret)
            elif isinstance(auth, JwtAuth):
                source = None
                if auth.jwks_file or auth.jwks_url:
                    source = JwksSource(file=secrets.resolve(auth.jwks_file, env) if auth.jwks_file else None,
                                        url=secrets.resolve(auth.jwks_url, env) if auth.jwks_url else None,
                                        cache_seconds=auth.jwks_cache_seconds)
                hs_secret = secrets.resolve(auth.secret, env) if auth.secret else None
                self._jwt.append((consumer, auth, hs_secret, source))
        token = config.token
        self.token_secret: str | None = secrets.resolve(token.secret, env) if token.secret else None

    # -- entry point --------------------------------------------------------------------------
    async def authenticate(self, headers: Mapping[bytes, bytes], allowed: tuple[str, ...]) -> Identity:
        for name in self.key_headers:
            value = headers.get(name)
            if value is not None:
                if "api-key" not in allowed:
                    raise unauthenticated("this route does not accept API keys")
                return await self._api_key(name, value)
        authorization = headers.get(b"authorization")
        if authorization is None:
            raise unauthenticated("missing credentials")
        scheme, _, credential = authorization.partition(b" ")
        scheme = scheme.lower()
        if scheme == b"bearer":
            if "jwt" not in allowed and "oauth2-client-credentials" not in allowed:
                raise unauthenticated("this route does not accept bearer tokens")
            return await self._bearer(credential.strip().decode("latin-1"), allowed)
        if scheme == b"basic":
            if "basic" not in allowed:
                raise unauthenticated("this route does not accept basic auth", scheme="Basic")
            return await self._basic_auth(credential.strip())
        raise unauthenticated("unsupported authorization scheme")

    def cached_key(self, headers: Mapping[bytes, bytes]) -> Identity | None:
        """The hot path's synchronous shortcut, for routes that accept API keys: the identity of a key
        already verified within the cache TTL, else None (then `authenticate` decides, with the same rules)."""
        for name in self.key_headers:
            value = headers.get(name)
            if value is not None:
                hit = self._key_hits.get(blake2s(value.strip()).digest())
                return hit[1] if hit is not None and hit[0] >= monotonic() else None  # type: ignore[no-any-return]
        return None

    # -- API keys -----------------------------------------------------------------------------
    async def _api_key(self, header: bytes, value: bytes) -> Identity:
        # the cache is keyed by BLAKE2s (CPython's own, ~3x cheaper per call than OpenSSL's SHA-256 on a
        # 40-byte key); the store by SHA-256 hex (keys.hash_key), computed only when the cache misses
        cache_key = blake2s(value.strip()).digest()
        hit, identity = self._key_cache.get(cache_key)
        if not hit:
            identity = None
            key_hash = sha256(value.strip()).hexdigest()  # == keys.hash_key(the key as text)
            record = await self.keys.lookup(key_hash)
            # unknown consumer, not an api-key consumer, or the key came in another consumer's header
            if record is not None and record.active and self._key_header.get(record.consumer) == header:
                identity = self._fixed[record.consumer]
            self._key_cache.put(cache_key, identity)
        if identity is None:
            raise unauthenticated("invalid API key", scheme="ApiKey")
        return identity  # type: ignore[no-any-return]

    # -- bearer JWTs --------------------------------------------------------------------------
    async def _bearer(self, token: str, allowed: tuple[str, ...]) -> Identity:
        try:
            header = jwt.get_unverified_header(token)
            unverified = jwt.decode(token, options={"verify_signature": False})
        except jwt.PyJWTError:
            raise unauthenticated("invalid token") from None
        alg = header.get("alg")
        issuer = unverified.get("iss")
        if (self.token_secret and issuer == self.config.token.issuer
                and "oauth2-client-credentials" in allowed):
            claims = self._decode(token, self.token_secret, ("HS256",), self.config.token.audience,
                                  self.config.token.issuer, 5.0)
            consumer = self.consumers.get(str(claims.get("sub")))
            if consumer is None or not isinstance(consumer.auth, ClientCredentialsAuth):
                raise unauthenticated("invalid token")
            return _identity(consumer, "oauth2-client-credentials", _token_scopes(claims), claims)
        if "jwt" not in allowed:
            raise unauthenticated("invalid token")
        for consumer, spec, hs_secret, source in self._jwt:
            if spec.issuer != issuer or (spec.subject is not None and unverified.get("sub") != spec.subject):
                continue
            if alg not in spec.algorithms:
                raise unauthenticated("token algorithm not accepted")
            key: Any
            if alg.startswith("HS"):
                if hs_secret is None:
                    raise unauthenticated("token algorithm not accepted")
                key = hs_secret
            else:
                if source is None:
                    raise unauthenticated("token algorithm not accepted")
                try:
                    key = await source.key(header.get("kid"))
                except JwksError:
                    raise unauthenticated("invalid token") from None
            claims = self._decode(token, key, spec.algorithms, spec.audience, spec.issuer, spec.leeway)
            return _identity(consumer, "jwt", _token_scopes(claims), claims)
        raise unauthenticated("invalid token")

    @staticmethod
    def _decode(token: str, key: Any, algorithms: tuple[str, ...], audience: str, issuer: str,
                leeway: float) -> dict[str, Any]:
        try:
            return jwt.decode(
                token, key, algorithms=[a for a in algorithms if a.lower() != "none"], audience=audience,
                issuer=issuer, leeway=leeway, options={"require": ["exp", "iss", "aud"]},
            )
        except jwt.ExpiredSignatureError:
            raise unauthenticated("token expired") from None
        except jwt.InvalidAudienceError:
            raise unauthenticated("token not issued for this audience") from None
        except jwt.PyJWTError:
            raise unauthenticated("invalid token") from None

    # -- basic --------------------------------------------------------------------------------
    @staticmethod
    def parse_basic(credential: bytes) -> tuple[str, str]:
        try:
            decoded = base64.b64decode(credential, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            raise unauthenticated("malformed basic credentials", scheme="Basic") from None
        username, sep, password = decoded.partition(":")
        if not sep:
            raise unauthenticated("malformed basic credentials", scheme="Basic")
        return username, password

    async def _basic_auth(self, credential: bytes) -> Identity:
        username, password = self.parse_basic(credential)
        entry = self._basic.get(username)
        if entry is None or not await self._check_secret(entry[0], password, entry[1],
                                                         getattr(entry[0].auth, "password_hash", None)):
            raise unauthenticated("invalid credentials", scheme="Basic")
        return self._fixed[entry[0].name]

    async def _check_secret(self, consumer: Consumer, given: str, expected: str | None, encoded: str | None) -> bool:
        if expected is not None:
            return equal_secrets(given, expected)
        if not encoded:
            return False
        cache_key = hashlib.sha256(f"{consumer.name}\0{given}".encode()).hexdigest()
        hit, ok = self._basic_cache.get(cache_key)
        if hit:
            return bool(ok)
        # PBKDF2 takes ~0.1 s by design: run it off the event loop, at most two at a time, so a stream of
        # wrong passwords cannot stall every other request
        async with self._hash_slots:
            ok = await asyncio.to_thread(verify_password, given, encoded)
        if ok:  # cache successes only: a failed guess always pays the full hash
            self._basic_cache.put(cache_key, True)
        return ok

    # -- client credentials (used by the token endpoint) ---------------------------------------
    async def client(self, client_id: str, client_secret: str) -> Consumer | None:
        entry = self._clients.get(client_id)
        if entry is None:
            return None
        consumer, expected = entry
        auth = consumer.auth
        encoded = auth.client_secret_hash if isinstance(auth, ClientCredentialsAuth) else None
        return consumer if await self._check_secret(consumer, client_secret, expected, encoded) else None


def query_has_credential(query_string: bytes, declared: frozenset[str] = frozenset()) -> bool:
    """Does the query string carry something that looks like a credential? (Refused: headers only.)
    Parameters the route declares in `query:` are the route's own business and are not suspected."""
    if not query_string:
        return False
    for pair in query_string.split(b"&"):
        raw = unquote_plus(pair.split(b"=", 1)[0].decode("latin-1"))
        name = raw.strip().lower()
        if name in QUERY_CREDENTIALS and raw not in declared:
            return True
    return False
