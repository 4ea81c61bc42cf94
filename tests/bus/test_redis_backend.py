"""Redis-only behaviour: the layout in the stream, recovery when the stream vanished, foreign entries."""

from __future__ import annotations

import pytest
import redis.asyncio as aioredis

from weave.bus import BusError, Event, Retention, open_bus
from weave.bus._redis import RedisBus

TOPIC = "crm.account.created"


async def test_entries_are_plain_stream_entries_with_retention(redis_url: str) -> None:
    bus = await open_bus(redis_url, retention=Retention(max_len=1000, max_age_s=None))
    raw = aioredis.Redis.from_url(redis_url)
    try:
        assert isinstance(bus, RedisBus)
        ids = await bus.publish_many(TOPIC, [Event({"a": 1}, key="k\n1", headers={"x": "y"}), Event({"b": "line\nbreak"})])
        entries = await raw.xrange(f"weave:bus:{TOPIC}")
        assert [e[0].decode() for e in entries] == ids
        assert entries[0][1] == {b"p": b'{"a":1}', b"k": b'"k\\n1"', b"h": b'{"x":"y"}'}
        assert entries[1][1] == {b"p": b'{"b":"line\\nbreak"}'}
        sub = await bus.subscribe(TOPIC, "g", "c", start="earliest")
        got = await sub.fetch(10)
        assert [(m.key, m.payload) for m in got] == [("k\n1", {"a": 1}), (None, {"b": "line\nbreak"})]
    finally:
        await raw.aclose()
        await bus.close()


async def test_group_recreated_when_the_stream_vanished(redis_url: str) -> None:
    bus = await open_bus(redis_url)
    raw = aioredis.Redis.from_url(redis_url)
    try:
        sub = await bus.subscribe(TOPIC, "g", "c")
        await raw.delete(f"weave:bus:{TOPIC}")  # e.g. a Redis without persistence restarted
        await bus.publish(TOPIC, {"after": True})
        got = await sub.fetch(10, block_ms=1000)
        assert [m.payload for m in got] == [{"after": True}]
        await raw.delete(f"weave:bus:{TOPIC}")
        assert await sub.fetch(10, block_ms=300) == []  # blocking path, group recreated again
        await bus.publish(TOPIC, {"again": True})
        assert [m.payload for m in await sub.fetch(10, block_ms=1000)] == [{"again": True}]
    finally:
        await raw.aclose()
        await bus.close()


async def test_foreign_entries_are_refused_clearly(redis_url: str) -> None:
    bus = await open_bus(redis_url)
    raw = aioredis.Redis.from_url(redis_url)
    try:
        sub = await bus.subscribe(TOPIC, "g", "c")
        await raw.xadd(f"weave:bus:{TOPIC}", {"p": "not json"})
        with pytest.raises(BusError, match="not written by weave"):
            await sub.fetch(10)
    finally:
        await raw.aclose()
        await bus.close()


async def test_scripts_are_reloaded_after_a_script_flush(redis_url: str) -> None:
    bus = await open_bus(redis_url)
    raw = aioredis.Redis.from_url(redis_url)
    try:
        sub = await bus.subscribe(TOPIC, "g", "c")
        await bus.publish(TOPIC, {"i": 1})
        await raw.script_flush()
        await bus.publish(TOPIC, {"i": 2})
        await raw.script_flush()
        assert [m.payload["i"] for m in await sub.fetch(10)] == [1, 2]
    finally:
        await raw.aclose()
        await bus.close()
