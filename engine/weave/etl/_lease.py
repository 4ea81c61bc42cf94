"""Leases: only one worker runs a job at a time.

`RedisLease` uses `SET key token NX PX ttl` to acquire and Lua scripts to renew and release only while the
stored token is still ours, so a worker whose lease expired can never extend or delete another's.
`MemoryLease` is the single-process equivalent (tests, `weave run` without a shared store).
"""

from __future__ import annotations

import secrets
import time
from typing import Any

_RENEW = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
"""

_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""


class RedisLease:
    """A lease in Redis. One instance = one holder identity (its random token)."""

    def __init__(self, client: Any, prefix: str = "weave:lease:", token: str | None = None) -> None:
        self._client = client  # a redis.asyncio.Redis
        self._prefix = prefix
        self.token = token or secrets.token_hex(16)
        self._renew = client.register_script(_RENEW)
        self._release = client.register_script(_RELEASE)

    @classmethod
    def from_url(cls, url: str, **kwargs: Any) -> RedisLease:
        import redis.asyncio as aioredis

        return cls(aioredis.Redis.from_url(url), **kwargs)

    def _key(self, key: str) -> str:
        return self._prefix + key

    async def acquire(self, key: str, ttl_s: float) -> bool:
        ok = await self._client.set(self._key(key), self.token, nx=True, px=max(1, int(ttl_s * 1000)))
        return bool(ok)

    async def renew(self, key: str, ttl_s: float) -> bool:
        result = await self._renew(keys=[self._key(key)], args=[self.token, max(1, int(ttl_s * 1000))])
        return bool(result)

    async def release(self, key: str) -> None:
        await self._release(keys=[self._key(key)], args=[self.token])

    async def holder(self, key: str) -> str | None:
        value = await self._client.get(self._key(key))
        return value.decode() if isinstance(value, bytes) else value

    async def aclose(self) -> None:
        await self._client.aclose()


class MemoryLease:
    """In-process leases; share one `table` between holders to model several workers."""

    def __init__(self, table: dict[str, tuple[str, float]] | None = None, token: str | None = None) -> None:
        self._table = {} if table is None else table
        self.token = token or secrets.token_hex(8)

    async def acquire(self, key: str, ttl_s: float) -> bool:
        now = time.monotonic()
        held = self._table.get(key)
        if held and held[1] > now:
            return False
        self._table[key] = (self.token, now + ttl_s)
        return True

    async def renew(self, key: str, ttl_s: float) -> bool:
        held = self._table.get(key)
        if not held or held[0] != self.token or held[1] <= time.monotonic():
            return False
        self._table[key] = (self.token, time.monotonic() + ttl_s)
        return True

    async def release(self, key: str) -> None:
        held = self._table.get(key)
        if held and held[0] == self.token:
            del self._table[key]
