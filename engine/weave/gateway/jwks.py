"""JWKS key sets for JWT consumers, from a file (reloaded when it changes) or a URL (cached).

The URL is fetched with httpx: it is off the hot path (once per `cache_seconds`, or when a token
names an unknown `kid`, at most every `min_refetch` seconds).
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import httpx
import jwt


class JwksError(Exception):
    """The key set cannot be loaded or has no matching key."""


class JwksSource:
    def __init__(self, *, file: str | None = None, url: str | None = None, cache_seconds: float = 300.0,
                 min_refetch: float = 30.0) -> None:
        if not (file or url):
            raise ValueError("a JWKS source needs a file or a url")
        self.file = Path(file) if file else None
        self.url = url
        self.cache_seconds = cache_seconds
        self.min_refetch = min_refetch
        self._keys: dict[str | None, Any] = {}
        self._loaded_at = 0.0
        self._mtime = 0.0

    @staticmethod
    def _parse(data: Any) -> dict[str | None, Any]:
        try:
            keyset = jwt.PyJWKSet.from_dict(data)
        except (jwt.PyJWKSetError, jwt.InvalidKeyError, TypeError, KeyError) as exc:
            raise JwksError("the JWKS document is not a valid key set") from exc
        keys: dict[str | None, Any] = {}
        for jwk in keyset.keys:
            keys[jwk.key_id] = jwk.key
        if len(keyset.keys) == 1:
            keys.setdefault(None, keyset.keys[0].key)
        return keys

    async def _refresh(self, force: bool) -> None:
        now = time.monotonic()
        if self.file is not None:
            try:
                mtime = self.file.stat().st_mtime
                if force or mtime != self._mtime or not self._keys:
                    self._keys = self._parse(json.loads(self.file.read_text()))
                    self._mtime = mtime
            except (OSError, ValueError) as exc:
                raise JwksError("the JWKS file cannot be read") from exc
            return
        stale = now - self._loaded_at > self.cache_seconds
        if not self._keys or stale or (force and now - self._loaded_at > self.min_refetch):
            assert self.url is not None
            try:
                async with httpx.AsyncClient(timeout=5.0) as client:
                    response = await client.get(self.url)
                    response.raise_for_status()
                    self._keys = self._parse(response.json())
            except (httpx.HTTPError, ValueError) as exc:
                if not self._keys:
                    raise JwksError("the JWKS URL cannot be fetched") from exc
            self._loaded_at = now

    async def key(self, kid: str | None) -> Any:
        await self._refresh(force=False)
        if kid in self._keys:
            return self._keys[kid]
        await self._refresh(force=True)
        if kid in self._keys:
            return self._keys[kid]
        raise JwksError("no key in the JWKS matches the token's kid")
