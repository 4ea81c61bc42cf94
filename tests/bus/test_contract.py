"""The contract every EventBus backend keeps. Each test runs on the embedded SQLite file and on real Redis."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime

import pytest

from weave.bus import (
    BusError,
    Claim,
    Event,
    EventBus,
    EventRejected,
    Retention,
    UnknownGroup,
    open_bus,
    schema_validator,
)

from ._util import until

TOPIC = "crm.order.created"


async def test_publish_then_fetch_in_order_with_all_fields(bus: EventBus) -> None:
    sub = await bus.subscribe(TOPIC, "g", "c1")
    before = time.time()
    first = await bus.publish(TOPIC, {"order_id": "o1", "n": 1}, key="acct-1", headers={"trace": "t1"})
    rest = await bus.publish_many(TOPIC, [{"order_id": f"o{i}"} for i in range(2, 6)])
    got = await sub.fetch(10, block_ms=1000)
    assert [m.id for m in got] == [first, *rest]
    head = got[0]
    assert head.payload == {"order_id": "o1", "n": 1}
    assert (head.key, dict(head.headers), head.topic, head.delivery_count, head.attempts) == (
        "acct-1", {"trace": "t1"}, TOPIC, 1, 1
    )
    assert before - 1 <= head.published_at <= time.time() + 1
    assert [m.payload["order_id"] for m in got[1:]] == ["o2", "o3", "o4", "o5"]
    assert all(m.key is None and dict(m.headers) == {} for m in got[1:])
    assert await sub.fetch(10) == []


async def test_concurrent_publishes_are_coalesced_and_keep_their_order(bus: EventBus) -> None:
    sub = await bus.subscribe(TOPIC, "g", "c1")
    ids = await asyncio.gather(*(bus.publish(TOPIC, {"i": i}) for i in range(300)))
    assert len(set(ids)) == 300
    got = []
    while len(got) < 300:
        got += await sub.fetch(500, block_ms=1000)
    assert [m.payload["i"] for m in got] == list(range(300))
    assert [m.id for m in got] == list(ids)
    assert bus.published[TOPIC] == 300


async def test_rejected_payload_is_counted_raised_and_nothing_of_the_batch_is_published(bus: EventBus) -> None:
    sub = await bus.subscribe(TOPIC, "g", "c1")
    check = schema_validator({"type": "object", "required": ["order_id"], "properties": {"order_id": {"type": "string"}}})
    with pytest.raises(EventRejected) as info:
        await bus.publish_many(TOPIC, [{"order_id": "ok"}, {"order_id": 7}], validator=check)
    assert info.value.index == 1 and "order_id: 7 is not of type 'string'" in str(info.value)
    bus.set_validator(TOPIC, check)
    with pytest.raises(EventRejected, match="'order_id' is a required property"):
        await bus.publish(TOPIC, {"other": 1})
    with pytest.raises(EventRejected, match="not JSON-serializable"):
        await bus.publish(TOPIC, {"order_id": "x", "when": object()})
    with pytest.raises(EventRejected, match="must be a JSON object"):
        await bus.publish(TOPIC, ["not", "a", "dict"])  # type: ignore[arg-type]
    assert bus.rejected[TOPIC] == 4
    assert await sub.fetch(10) == []
    assert await bus.lag(TOPIC, "g") == 0
    await bus.publish(TOPIC, {"order_id": "fine"})
    assert [m.payload for m in await sub.fetch(10, 1000)] == [{"order_id": "fine"}]


async def test_group_start_latest_or_earliest(bus: EventBus) -> None:
    await bus.publish(TOPIC, {"i": "old"})
    latest = await bus.subscribe(TOPIC, "late", "c")
    earliest = await bus.subscribe(TOPIC, "all", "c", start="earliest")
    await bus.publish(TOPIC, {"i": "new"})
    assert [m.payload["i"] for m in await latest.fetch(10, 1000)] == ["new"]
    assert [m.payload["i"] for m in await earliest.fetch(10, 1000)] == ["old", "new"]
    assert await bus.groups(TOPIC) == ["all", "late"]
    assert await bus.ensure_group(TOPIC, "all") is False


async def test_groups_fan_out_and_consumers_of_one_group_share(bus: EventBus) -> None:
    a1 = await bus.subscribe(TOPIC, "ga", "a1")
    a2 = await bus.subscribe(TOPIC, "ga", "a2")
    b1 = await bus.subscribe(TOPIC, "gb", "b1")
    await bus.publish_many(TOPIC, [Event({"i": i}, key=f"k{i}") for i in range(10)])
    first = await a1.fetch(4, 1000)
    second = await a2.fetch(100, 1000)
    assert len(first) == 4 and len(second) == 6
    assert {m.payload["i"] for m in first} | {m.payload["i"] for m in second} == set(range(10))
    assert [m.payload["i"] for m in await b1.fetch(100, 1000)] == list(range(10))
    pending = await bus.pending(TOPIC, "ga")
    assert pending.count == 10 and dict(pending.consumers) == {"a1": 4, "a2": 6}


async def test_snapshot_lists_every_group_of_every_topic(bus: EventBus) -> None:
    await bus.subscribe(TOPIC, "ga", "c")
    await bus.subscribe("crm.case.resolved", "gb", "c")
    await bus.publish("no.groups.here", {"x": 1})
    await bus.publish_many(TOPIC, [{"i": 1}, {"i": 2}])
    assert await bus.topics() == ["crm.case.resolved", TOPIC]
    snap = {(g.topic, g.group): (g.lag, g.pending.count) for g in await bus.snapshot()}
    assert snap == {(TOPIC, "ga"): (2, 0), ("crm.case.resolved", "gb"): (0, 0)}


async def test_ack_lag_and_pending_health(bus: EventBus) -> None:
    sub = await bus.subscribe(TOPIC, "g", "c1")
    ids = await bus.publish_many(TOPIC, [{"i": i} for i in range(5)])
    assert await bus.lag(TOPIC, "g") == 5
    assert (await bus.pending(TOPIC, "g")).count == 0
    got = await sub.fetch(3, 1000)
    assert await bus.lag(TOPIC, "g") == 2
    pending = await bus.pending(TOPIC, "g")
    assert pending.count == 3 and pending.oldest_id == ids[0]
    assert pending.oldest_age_s is not None and 0 <= pending.oldest_age_s < 60
    assert await sub.ack([got[0].id, got[1].id]) == 2
    assert await sub.ack([got[0].id]) == 0  # acking twice is harmless
    info = await bus.info(TOPIC, "g")
    assert (info.lag, info.pending.count, info.pending.oldest_id) == (2, 1, ids[2])
    with pytest.raises(UnknownGroup, match=r"no consumer group 'nope' \(known groups: g\)"):
        await bus.lag(TOPIC, "nope")
    with pytest.raises(UnknownGroup):
        await bus.pending(TOPIC, "nope")


async def test_nack_redelivers_with_attempt_count_after_the_delay(bus: EventBus) -> None:
    sub = await bus.subscribe(TOPIC, "g", "c1", visibility_timeout=30)
    await bus.publish_many(TOPIC, [{"i": 1}, {"i": 2}])
    one, two = await sub.fetch(10, 1000)
    await sub.nack([one.id], error="sink said 503")
    again = await sub.fetch(10, 1000)
    assert [(m.id, m.delivery_count) for m in again] == [(one.id, 2)]
    await sub.nack([one.id], delay_ms=800)
    assert await sub.fetch(10, block_ms=200) == []
    third = await sub.fetch(10, block_ms=3000)
    assert [(m.id, m.delivery_count) for m in third] == [(one.id, 3)]
    await sub.ack([one.id, two.id])
    assert (await bus.pending(TOPIC, "g")).count == 0


async def test_stuck_messages_of_a_dead_consumer_are_reclaimed_by_another(bus: EventBus) -> None:
    dead = await bus.subscribe(TOPIC, "g", "dead", visibility_timeout=0.3)
    alive = await bus.subscribe(TOPIC, "g", "alive", visibility_timeout=0.3)
    await bus.publish_many(TOPIC, [{"i": i} for i in range(3)])
    taken = await dead.fetch(10, 1000)
    assert len(taken) == 3
    assert await alive.reclaim(min_idle_ms=60_000) == []  # not idle long enough yet
    got = await alive.fetch(10, block_ms=3000)  # fetch reclaims once the visibility timeout ran out
    assert sorted(m.id for m in got) == sorted(m.id for m in taken)
    assert {m.delivery_count for m in got} == {2}
    assert dict((await bus.pending(TOPIC, "g")).consumers) == {"alive": 3}
    assert await alive.ack([m.id for m in got]) == 3


async def test_extend_keeps_a_slow_message_from_being_reclaimed(bus: EventBus) -> None:
    slow = await bus.subscribe(TOPIC, "g", "slow", visibility_timeout=1.0)
    other = await bus.subscribe(TOPIC, "g", "other", visibility_timeout=1.0)
    await bus.publish(TOPIC, {"i": 1})
    (msg,) = await slow.fetch(1, 1000)
    for _ in range(5):  # 1.5 s in all, longer than the visibility timeout
        await asyncio.sleep(0.3)
        await slow.extend([msg.id])
        assert await other.reclaim(min_idle_ms=1000) == []
    assert await slow.ack([msg.id]) == 1


async def test_replay_to_one_group_leaves_the_other_untouched(bus: EventBus) -> None:
    a = await bus.subscribe(TOPIC, "ga", "a")
    b = await bus.subscribe(TOPIC, "gb", "b")
    ids = await bus.publish_many(TOPIC, [{"i": i} for i in range(6)])
    for sub in (a, b):
        got = await sub.fetch(100, 1000)
        await sub.ack([m.id for m in got])
    assert await bus.replay(TOPIC, "ga", ids[2]) == 4
    assert [m.payload["i"] for m in await a.fetch(100, 1000)] == [2, 3, 4, 5]
    assert await b.fetch(100, 200) == []
    assert await bus.lag(TOPIC, "gb") == 0 and (await bus.pending(TOPIC, "gb")).count == 0
    # by time: everything since a moment before the first publish; the cursor never moves forward
    assert await bus.replay(TOPIC, "gb", datetime.fromtimestamp(time.time() - 60, UTC)) == 6
    assert await bus.replay(TOPIC, "gb", time.time() + 3600) == 6
    assert [m.payload["i"] for m in await b.fetch(100, 1000)] == list(range(6))
    with pytest.raises(UnknownGroup, match="known groups: ga, gb"):
        await bus.replay(TOPIC, "typo", ids[0])
    with pytest.raises(BusError, match="no timezone"):
        await bus.replay(TOPIC, "ga", datetime(2024, 1, 1))
    with pytest.raises(BusError, match="invalid message id"):
        await bus.replay(TOPIC, "ga", "not-an-id")


async def test_replay_counts_from_the_new_position_while_consumers_run(bus: EventBus) -> None:
    from weave.bus import Message, Subscriber

    sub = await bus.subscribe(TOPIC, "g", "c")
    seen: list[int] = []

    async def handler(m: Message) -> None:
        seen.append(m.payload["i"])

    async def dead_letter(m: Message, e: BaseException) -> None:
        raise AssertionError(e)

    worker = Subscriber(sub, handler, dead_letter=dead_letter, block_ms=50)
    task = asyncio.create_task(worker.run())
    ids = await bus.publish_many(TOPIC, [{"i": i} for i in range(6)])
    await until(lambda: len(seen) == 6)
    assert await bus.replay(TOPIC, "g", ids[2]) == 4  # even if the worker is already re-reading them
    await until(lambda: len(seen) == 10)
    worker.stop()
    await task
    assert seen == [0, 1, 2, 3, 4, 5, 2, 3, 4, 5]


async def test_retention_trims_old_history(bus_url: str) -> None:
    bus = await open_bus(bus_url, topic_retention={"short": Retention(max_len=5, max_age_s=None, approximate=False)})
    try:
        sub = await bus.subscribe("short", "g", "c", start="earliest")
        await bus.publish_many("short", [{"i": i} for i in range(20)])
        await bus.trim("short")
        got = await sub.fetch(100, 1000)
        assert [m.payload["i"] for m in got] == [15, 16, 17, 18, 19]
        assert bus.retention_for("other").max_age_s == 7 * 86400.0
    finally:
        await bus.close()


async def test_retention_by_age(bus_url: str) -> None:
    bus = await open_bus(bus_url, retention=Retention(max_age_s=0.3, approximate=False))
    try:
        sub = await bus.subscribe(TOPIC, "g", "c", start="earliest")
        await bus.publish_many(TOPIC, [{"i": i} for i in range(3)])
        await asyncio.sleep(0.5)  # the messages must age: waiting is the point here
        await bus.publish(TOPIC, {"i": "fresh"})
        await bus.trim(TOPIC)
        assert [m.payload["i"] for m in await sub.fetch(100, 1000)] == ["fresh"]
    finally:
        await bus.close()


async def test_blocking_fetch_wakes_up_on_publish(bus: EventBus) -> None:
    sub = await bus.subscribe(TOPIC, "g", "c")

    async def later() -> None:
        await asyncio.sleep(0.1)
        await bus.publish(TOPIC, {"i": 1})

    task = asyncio.create_task(later())
    started = time.monotonic()
    got = await sub.fetch(10, block_ms=5000)
    await task
    assert [m.payload for m in got] == [{"i": 1}]
    assert time.monotonic() - started < 2.0


async def test_state_survives_reopening(bus_url: str) -> None:
    first = await open_bus(bus_url)
    sub = await first.subscribe(TOPIC, "g", "c", visibility_timeout=0.2)
    await first.publish_many(TOPIC, [{"i": i} for i in range(4)])
    got = await sub.fetch(2, 1000)
    await sub.ack([got[0].id])
    await first.close()
    second = await open_bus(bus_url)
    try:
        assert await second.lag(TOPIC, "g") == 2
        assert (await second.pending(TOPIC, "g")).count == 1
        again = await second.subscribe(TOPIC, "g", "c2", visibility_timeout=0.2)
        rest = await again.fetch(10, 3000)
        assert {m.payload["i"] for m in rest} >= {2, 3}
    finally:
        await second.close()


async def test_idempotency_store_claims_once(bus: EventBus) -> None:
    store = bus.idempotency("sink-a")
    assert await store.claim("order-1", "w1", ttl_s=30) is Claim.ACQUIRED
    assert await store.claim("order-1", "w2", ttl_s=30) is Claim.BUSY
    assert await store.claim("order-1", "w1", ttl_s=30) is Claim.ACQUIRED  # the holder again: extends
    await store.release("order-1", "w2")  # not the holder: no effect
    assert await store.claim("order-1", "w2", ttl_s=30) is Claim.BUSY
    assert await store.seen("order-1") is False
    await store.complete("order-1", "w1")
    assert await store.claim("order-1", "w2", ttl_s=30) is Claim.DONE
    assert await store.seen("order-1") is True
    assert await bus.idempotency("sink-b").seen("order-1") is False  # namespaces are separate
    assert await store.claim("order-2", "w1", ttl_s=0.2) is Claim.ACQUIRED
    await store.release("order-2", "w1")
    assert await store.claim("order-2", "w2", ttl_s=0.2) is Claim.ACQUIRED
    await asyncio.sleep(0.4)  # a dead holder's claim expires: waiting is the point here
    assert await store.claim("order-2", "w3", ttl_s=30) is Claim.ACQUIRED


async def test_bad_names_and_ids_are_refused_clearly(bus: EventBus) -> None:
    with pytest.raises(BusError, match="invalid topic name"):
        await bus.publish("has space", {})
    with pytest.raises(BusError, match="invalid group name"):
        await bus.subscribe(TOPIC, "", "c")
    sub = await bus.subscribe(TOPIC, "g", "c")
    with pytest.raises(BusError, match="invalid message id"):
        await bus.replay(TOPIC, "g", "x-y")
    assert await sub.fetch(0) == []
