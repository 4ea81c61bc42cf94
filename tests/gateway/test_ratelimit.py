"""Token buckets: in-process semantics, the Redis script's atomicity, and accuracy with 2 worker processes."""

from __future__ import annotations

import asyncio
import json
import math
import os
import random
import subprocess
import sys
import time
from pathlib import Path

import httpx

from weave.gateway import MemoryLimiter, RateLimit, RedisLimiter, SqliteKeyStore, create_key
from weave.sandbox.services import free_port, wait_for_port

from . import specs
from .conftest import ServerThread

HOUR = 3600.0


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_memory_bucket_refills_and_reports() -> None:
    clock = FakeClock()
    limiter = MemoryLimiter(clock)
    limit = RateLimit(2, 10.0)  # 0.2 tokens/s
    first = await limiter.hit([("a", limit)])
    assert (first.allowed, first.limit, first.remaining, first.reset) == (True, 2, 1, 5)
    await limiter.hit([("a", limit)])
    refused = await limiter.hit([("a", limit)])
    assert not refused.allowed and refused.retry_after == 5
    assert dict(refused.headers())[b"retry-after"] == b"5"
    clock.now += 5
    assert (await limiter.hit([("a", limit)])).allowed


async def test_buckets_are_charged_all_or_nothing() -> None:
    limiter = MemoryLimiter(FakeClock())
    consumer, route = RateLimit(10, HOUR), RateLimit(1, HOUR)
    assert (await limiter.hit([("c", consumer), ("r", route)])).allowed
    refused = await limiter.hit([("c", consumer), ("r", route)])
    assert not refused.allowed and refused.limit == 1
    # the refused request took nothing from the consumer bucket: 9 left, not 8
    assert (await limiter.hit([("c", consumer)])).remaining == 8


class ReferenceBuckets:
    """The plain refill arithmetic of a token bucket, as a model for the in-process limiter."""

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.state: dict[str, tuple[float, float]] = {}  # key -> (tokens, last refill)

    def hit(self, buckets: list[tuple[str, RateLimit]]) -> tuple[bool, set[tuple[int, int, int]]]:
        now = self.clock()
        tokens = []
        for key, limit in buckets:
            held, last = self.state.get(key, (float(limit.requests), now))
            tokens.append(min(float(limit.requests), held + (now - last) * limit.rate))
        allowed = all(t >= 1.0 - 1e-6 for t in tokens)  # a millionth of a token absorbs float rounding
        if allowed:
            tokens = [t - 1.0 for t in tokens]
        for (key, _), held in zip(buckets, tokens, strict=True):
            self.state[key] = (held, now)
        answers = set()  # the headers describe the bucket with the fewest tokens (any of them on a tie)
        for (_, limit), held in zip(buckets, tokens, strict=True):
            if held <= min(tokens) + 1e-6:
                reset = math.ceil(max(0.0, limit.requests - held) / limit.rate - 1e-9)
                answers.add((limit.requests, max(0, math.floor(held + 1e-6)), reset))
        return allowed, answers


def test_memory_limiter_matches_the_token_bucket_model_on_random_traffic() -> None:
    outcomes = {True: 0, False: 0}
    for seed in range(40):
        rnd = random.Random(seed)
        clock = FakeClock()
        limiter, model = MemoryLimiter(clock), ReferenceBuckets(clock)
        consumer = ("c", RateLimit(rnd.randint(1, 20), rnd.choice([1.0, 10.0, 60.0, HOUR])))
        route = ("r", RateLimit(rnd.randint(1, 20), rnd.choice([1.0, 10.0, 60.0])))
        for _ in range(300):
            clock.now += rnd.choice([0.0, 0.0, 0.0, 0.01, 0.1, 0.5, 1.0, 3.0])
            buckets = [consumer, route] if rnd.random() < 0.7 else [consumer]
            allowed, answers = model.hit(buckets)
            if rnd.random() < 0.5:  # the app's hot path: verdict + headers appended in place
                headers: list[tuple[bytes, bytes]] = []
                assert limiter.admit(limiter.states(buckets), headers) is allowed
                got = dict(headers)
                assert (int(got[b"ratelimit-limit"]), int(got[b"ratelimit-remaining"]),
                        int(got[b"ratelimit-reset"])) in answers
            else:
                decision = limiter.check(buckets)
                assert decision.allowed is allowed
                assert (decision.limit, decision.remaining, decision.reset) in answers
            outcomes[allowed] += 1
    assert min(outcomes.values()) > 1000  # both verdicts were exercised many times


async def test_redis_limiter_is_exact_under_concurrency(redis_url: str) -> None:
    limiter = RedisLimiter(redis_url)
    limit = RateLimit(100, HOUR)
    try:
        decisions = await asyncio.gather(*(limiter.hit([("acc", limit)]) for _ in range(300)))
        assert sum(d.allowed for d in decisions) == 100
        assert min(d.remaining for d in decisions) == 0
    finally:
        await limiter.close()


async def test_redis_limiter_reloads_a_flushed_script(redis_url: str) -> None:
    import redis.asyncio as redis_asyncio

    limiter = RedisLimiter(redis_url)
    admin = redis_asyncio.Redis.from_url(redis_url)
    try:
        assert (await limiter.hit([("k", RateLimit(5, HOUR))])).allowed
        await admin.script_flush()
        assert (await limiter.hit([("k", RateLimit(5, HOUR))])).remaining == 3
    finally:
        await admin.aclose()
        await limiter.close()


async def test_redis_down_fails_open_by_default_or_closed_when_asked() -> None:
    url = f"redis://127.0.0.1:{free_port()}/0"
    open_limiter, closed_limiter = RedisLimiter(url), RedisLimiter(url, fail_open=False)
    try:
        assert (await open_limiter.hit([("k", RateLimit(1, HOUR))])).allowed
        assert not (await closed_limiter.hit([("k", RateLimit(1, HOUR))])).allowed
    finally:
        await open_limiter.close()
        await closed_limiter.close()


def test_two_worker_processes_share_one_redis_limit(upstream: ServerThread, redis_url: str, tmp_path: Path) -> None:
    """Kong/kong#11846: the allowed count must stay within ±5% of the limit across workers."""
    limit = 200
    keys = tmp_path / "keys.sqlite"
    store = SqliteKeyStore(keys)
    key, _ = asyncio.run(create_key(store, "burst"))
    store.close()
    consumer = {"kind": "consumer", "name": "burst", "auth": {"type": "api-key"}, "scopes": ["quotes:read"],
                "rate_limit": {"requests": limit, "per": "hour"}}
    config = {"integrations": [specs.integration()], "consumers": [consumer],
              "systems": {"crm": upstream.url, "flaky": upstream.url, "sluggish": upstream.url},
              "settings": {"redis_url": redis_url, "token": {}}, "keys": str(keys), "access_log": True}
    config_file = tmp_path / "gateway.json"
    config_file.write_text(json.dumps(config))
    port = free_port()
    env = {**os.environ, **specs.ENV, "WEAVE_GATEWAY_CONFIG": str(config_file)}
    log_file = (tmp_path / "access.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "weave.gateway.server:app_from_env", "--factory", "--workers", "2",
         "--host", "127.0.0.1", "--port", str(port), "--http", "httptools", "--no-access-log",
         "--log-level", "warning"],
        env=env, stdout=log_file, stderr=subprocess.STDOUT, text=True)
    try:
        wait_for_port(port, timeout=30)

        async def burst() -> list[int]:
            limits = httpx.Limits(max_connections=64, max_keepalive_connections=0)  # new connection each time:
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", limits=limits, timeout=20) as c:
                async def one() -> int:  # ...so the kernel spreads them over both workers
                    r = await c.get("/partner/v1/quotes/Q-00001", headers={"x-api-key": key})
                    return r.status_code
                return await asyncio.gather(*(one() for _ in range(3 * limit)))

        started = time.monotonic()
        statuses = asyncio.run(burst())
        elapsed = time.monotonic() - started
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        log_file.close()
    out = (tmp_path / "access.log").read_text()
    allowed = statuses.count(200)
    assert statuses.count(429) + allowed == len(statuses)
    refill = limit / HOUR * elapsed  # tokens that legitimately trickled in during the burst
    assert abs(allowed - (limit + refill)) <= 0.05 * limit, (allowed, refill)
    pids = {json.loads(line)["pid"] for line in out.splitlines() if line.startswith("{")}
    assert len(pids) == 2, "both worker processes must have served requests"
