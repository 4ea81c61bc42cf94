"""Token buckets: in-process semantics, the Redis script's atomicity, and accuracy with 2 worker processes."""

from __future__ import annotations

import asyncio
import json
import os
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
