"""Rate limits as token buckets: in-process for one worker, Redis (one atomic Lua script) across workers.

A request may be subject to several buckets at once (the consumer's own limit and the route's
limit for that consumer). They are checked and charged all-or-nothing: a request refused by one
bucket takes no token from the others. The Redis script reads the clock with `TIME` inside the
script, so workers with skewed clocks cannot over-admit, and never does read-then-write across
round trips (the race behind Kong/kong#11846).
"""

from __future__ import annotations

import logging
import math
import time
from typing import Any, NamedTuple, Protocol

from weave.gateway.config import RateLimit

log = logging.getLogger("weave.gateway")

Bucket = tuple[str, RateLimit]


class Decision(NamedTuple):
    """An immutable verdict (a NamedTuple: built on every request, so cheap to construct)."""

    allowed: bool
    limit: int
    remaining: int
    reset: int  # seconds until the tightest bucket is full again
    retry_after: int  # seconds until a refused request could pass (0 when allowed)

    def headers(self) -> list[tuple[bytes, bytes]]:
        out = [
            (b"ratelimit-limit", b"%d" % self.limit),
            (b"ratelimit-remaining", b"%d" % self.remaining),
            (b"ratelimit-reset", b"%d" % self.reset),
        ]
        if not self.allowed:
            out.append((b"retry-after", b"%d" % self.retry_after))
        return out


def _decide(buckets: list[Bucket], tokens: list[float], allowed: bool) -> Decision:
    """The headers come from the bucket with the fewest tokens left."""
    index = 0
    for i in range(1, len(tokens)):
        if tokens[i] < tokens[index]:
            index = i
    limit = buckets[index][1]
    left = tokens[index]
    reset = math.ceil(max(0.0, limit.requests - left) / limit.rate)
    retry = 0
    if not allowed:
        worst = max(max(0.0, 1.0 - tokens[i]) / buckets[i][1].rate for i in range(len(buckets)))
        retry = max(1, math.ceil(worst))
    return Decision(allowed, limit.requests, max(0, math.floor(left)), reset, retry)


_SMALL = tuple(b"%d" % n for n in range(256))  # header bytes of small counts (resets are mostly 0 or 1)


class Limiter(Protocol):
    async def hit(self, buckets: list[Bucket]) -> Decision: ...
    async def close(self) -> None: ...


class MemoryLimiter:
    """Token buckets in this process (one uvicorn worker)."""

    def __init__(self, clock: Any = time.monotonic) -> None:
        self.clock = clock
        self._state: dict[str, list[Any]] = {}

    async def hit(self, buckets: list[Bucket]) -> Decision:
        return self.check(buckets)

    def check(self, buckets: list[Bucket]) -> Decision:
        """`hit` without the coroutine: the app calls this directly on its hot path."""
        now = self.clock()
        table = self._state
        states = []
        allowed = True
        for key, limit in buckets:
            state = table.get(key)
            if state is None:  # [tokens, last refill, capacity, tokens per second, capacity as header bytes]
                state = table[key] = [float(limit.requests), now, float(limit.requests), limit.rate,
                                      b"%d" % limit.requests]
            elif now > state[1]:
                tokens = state[0] + (now - state[1]) * state[3]
                state[0] = tokens if tokens < state[2] else state[2]
                state[1] = now
            if state[0] < 1.0:
                allowed = False
            states.append(state)
        if not allowed:
            return _decide(buckets, [s[0] for s in states], False)
        tightest = states[0]
        for state in states:  # the common case: charge every bucket, report the tightest
            state[0] -= 1.0
            if state[0] < tightest[0]:
                tightest = state
        left = tightest[0]
        return Decision(True, int(tightest[2]), int(left), math.ceil((tightest[2] - left) / tightest[3]), 0)

    def admit(self, buckets: list[Bucket], out: list[tuple[bytes, bytes]]) -> bool:
        """`check` for the app's hot path: the same verdict and state change, with the RateLimit
        headers appended to `out` directly (no Decision built when the request is allowed)."""
        now = self.clock()
        table = self._state
        tightest: list[Any] | None = None
        for key, limit in buckets:  # refill each bucket; any empty one refuses (nothing is charged then)
            state = table.get(key)
            if state is None:  # [tokens, last refill, capacity, tokens per second, capacity as header bytes]
                state = table[key] = [float(limit.requests), now, float(limit.requests), limit.rate,
                                      b"%d" % limit.requests]
            elif now > state[1]:
                tokens = state[0] + (now - state[1]) * state[3]
                state[0] = tokens if tokens < state[2] else state[2]
                state[1] = now
            if state[0] < 1.0:  # refused: the general path (which charges nothing) builds the answer
                decision = self.check(buckets)
                out += decision.headers()
                return decision.allowed
            if tightest is None or state[0] < tightest[0]:
                tightest = state
        if tightest is None:
            return True
        for key, _ in buckets:  # all admit: charge every bucket (their states are in the table now)
            table[key][0] -= 1.0
        cap, left = tightest[2], tightest[0]
        reset = math.ceil((cap - left) / tightest[3])
        out += ((b"ratelimit-limit", tightest[4]), (b"ratelimit-remaining", b"%d" % left),
                (b"ratelimit-reset", _SMALL[reset] if reset < 256 else b"%d" % reset))
        return True

    async def close(self) -> None:
        self._state.clear()


LUA_TOKEN_BUCKETS = """
local n = #KEYS
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local tokens = {}
local ok = 1
for i = 1, n do
  local cap = tonumber(ARGV[2 * i - 1])
  local rate = tonumber(ARGV[2 * i])
  local v = redis.call('HMGET', KEYS[i], 't', 'ts')
  local tk = tonumber(v[1])
  local ts = tonumber(v[2])
  if tk == nil or ts == nil then
    tk = cap
  elseif now > ts then
    tk = math.min(cap, tk + (now - ts) * rate)
  end
  tokens[i] = tk
  if tk < 1 then ok = 0 end
end
local out = {ok}
for i = 1, n do
  local cap = tonumber(ARGV[2 * i - 1])
  local rate = tonumber(ARGV[2 * i])
  local tk = tokens[i]
  if ok == 1 then tk = tk - 1 end
  redis.call('HSET', KEYS[i], 't', tostring(tk), 'ts', tostring(now))
  redis.call('PEXPIRE', KEYS[i], math.ceil(cap / rate * 1000) + 1000)
  out[#out + 1] = tostring(tk)
end
return out
"""


class RedisLimiter:
    """Token buckets shared by every worker through Redis: one EVALSHA per request."""

    def __init__(self, url: str, prefix: str = "weave:gw:rl:", fail_open: bool = True,
                 max_connections: int = 32) -> None:
        import redis.asyncio as redis_asyncio  # the redis extra; only needed when configured

        # a blocking pool: under a burst, requests queue for a connection instead of failing
        pool = redis_asyncio.BlockingConnectionPool.from_url(url, max_connections=max_connections, timeout=5)
        self._redis = redis_asyncio.Redis(connection_pool=pool)
        self.prefix = prefix
        self.fail_open = fail_open
        self._sha: str | None = None
        self._warned = False

    async def _evalsha(self, keys: list[str], args: list[str]) -> Any:
        from redis.exceptions import NoScriptError

        if self._sha is None:
            self._sha = await self._redis.script_load(LUA_TOKEN_BUCKETS)
        try:
            return await self._redis.evalsha(self._sha, len(keys), *keys, *args)
        except NoScriptError:  # Redis restarted or SCRIPT FLUSH: load again once
            self._sha = await self._redis.script_load(LUA_TOKEN_BUCKETS)
            return await self._redis.evalsha(self._sha, len(keys), *keys, *args)

    async def hit(self, buckets: list[Bucket]) -> Decision:
        keys = [self.prefix + key for key, _ in buckets]
        args: list[str] = []
        for _, limit in buckets:
            args += (str(limit.requests), repr(limit.rate))
        try:
            result = await self._evalsha(keys, args)
        except Exception as exc:  # noqa: BLE001 - any Redis failure: degrade as configured
            from redis.exceptions import RedisError

            if not isinstance(exc, RedisError | OSError):
                raise
            if not self._warned:
                log.warning("rate limiter: Redis unavailable (%s); %s", type(exc).__name__,
                            "admitting requests" if self.fail_open else "refusing requests")
                self._warned = True
            tokens = [float(limit.requests) for _, limit in buckets]
            return _decide(buckets, tokens, self.fail_open)
        self._warned = False
        allowed = int(result[0]) == 1
        tokens = [float(v) for v in result[1:]]
        return _decide(buckets, tokens, allowed)

    async def close(self) -> None:
        await self._redis.aclose(close_connection_pool=True)
