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
    reset = math.ceil(max(0.0, limit.requests - left) / limit.rate - 1e-9)  # float noise never adds a second
    retry = 0
    if not allowed:
        worst = max(max(0.0, 1.0 - tokens[i]) / buckets[i][1].rate for i in range(len(buckets)))
        retry = max(1, math.ceil(worst - 1e-9))
    return Decision(allowed, limit.requests, max(0, math.floor(left)), reset, retry)


_SMALL = tuple(b"%d" % n for n in range(256))  # header bytes of small counts (resets are mostly 0 or 1)


class Limiter(Protocol):
    async def hit(self, buckets: list[Bucket]) -> Decision: ...
    async def close(self) -> None: ...


class MemoryLimiter:
    """Token buckets in this process (one uvicorn worker), kept as GCRA state: per bucket only the
    "theoretical arrival time" `tat` — when the bucket would be full again — is stored. A bucket of
    capacity C refilling one token every T seconds holds `C - (tat - now) / T` tokens (C when
    `tat <= now`), so a request is admitted when `max(tat, now) + T - now <= C * T` and charged by
    moving `tat` to `max(tat, now) + T`: the same verdicts and headers as the refill arithmetic, with
    one compare and one add per bucket on the hot path."""

    def __init__(self, clock: Any = time.monotonic) -> None:
        self.clock = clock
        # key -> [tat, T (seconds per token), C * T plus a millionth of a token (float slack), rate (tokens
        # per second), capacity as header bytes, capacity, key, limit]
        self._state: dict[str, list[Any]] = {}

    def _bucket(self, key: str, limit: RateLimit, now: float) -> list[Any]:
        state = self._state.get(key)
        if state is None:
            per_token = 1.0 / limit.rate
            state = self._state[key] = [now, per_token, limit.requests * per_token + per_token * 1e-6, limit.rate,
                                        b"%d" % limit.requests, limit.requests, key, limit]
        return state

    def states(self, buckets: list[Bucket]) -> list[list[Any]]:
        """The buckets' state cells, for `admit`: the app resolves them once per route and consumer, so the
        hot path does no key lookups. A cell lives as long as the limiter (a consumer's bucket is one
        cell shared by all its routes)."""
        now = self.clock()
        return [self._bucket(key, limit, now) for key, limit in buckets]

    async def hit(self, buckets: list[Bucket]) -> Decision:
        return self.check(buckets)

    def check(self, buckets: list[Bucket]) -> Decision:
        """`hit` without the coroutine (the general path; the app's hot path is `admit`)."""
        now = self.clock()
        states = [self._bucket(key, limit, now) for key, limit in buckets]
        # tokens each bucket holds now (before this request), as the refill arithmetic would count them
        tokens = [s[5] - (s[0] - now) * s[3] if s[0] > now else float(s[5]) for s in states]
        if any(s[0] + s[1] - now > s[2] if s[0] > now else s[1] > s[2] for s in states):
            return _decide(buckets, tokens, False)
        for state in states:  # all admit: charge every bucket
            state[0] = (state[0] if state[0] > now else now) + state[1]
        index = min(range(len(states)), key=lambda i: tokens[i])
        state, left = states[index], tokens[index] - 1.0
        return Decision(True, state[5], max(0, int(left + 1e-6)), math.ceil(state[0] - now - 1e-9), 0)

    def admit(self, states: list[list[Any]], out: list[tuple[bytes, bytes]]) -> bool:
        """`check` for the app's hot path, on cells from `states`: the same verdict and state change, with
        the RateLimit headers appended to `out` directly (no Decision built when the request is allowed)."""
        now = self.clock()
        fewest = math.inf
        tightest: list[Any] = []
        gap = 0.0
        for state in states:  # charge as we go; a refusal by a later bucket gives the tokens back
            tat = state[0]
            charged = (tat if tat > now else now) + state[1]
            wait = charged - now
            if wait > state[2]:
                for earlier in states:
                    if earlier is state:
                        break
                    earlier[0] -= earlier[1]  # back to max(tat, now): the same token count
                decision = self.check([(s[6], s[7]) for s in states])
                out += decision.headers()
                return decision.allowed
            state[0] = charged
            left = (state[2] - wait) * state[3]  # tokens left in this bucket: (C*T - (charged - now)) / T
            if left < fewest:  # the headers describe the bucket with the fewest tokens left
                fewest, tightest, gap = left, state, wait
        if not tightest:  # no buckets
            return True
        reset = math.ceil(gap - 1e-9)
        out += ((b"ratelimit-limit", tightest[4]), (b"ratelimit-remaining", b"%d" % fewest),
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
