"""Subscriber and KeyedDispatcher on both backends: ack after success, per-key order, retries, DLQ, isolation."""

from __future__ import annotations

import asyncio
import random
from collections import defaultdict

from weave.bus import Event, EventBus, KeyedDispatcher, Message, RetryPolicy, Subscriber
from weave.errors import TerminalError

from ._util import until

TOPIC = "crm.case.resolved"
FAST = RetryPolicy(max_attempts=3, initial_backoff_s=0.01, max_backoff_s=0.05)


class DeadLetters:
    def __init__(self) -> None:
        self.items: list[tuple[Message, BaseException]] = []

    async def __call__(self, message: Message, error: BaseException) -> None:
        self.items.append((message, error))


async def _run(subscriber: Subscriber) -> asyncio.Task[None]:
    return asyncio.create_task(subscriber.run())


async def _stop(subscriber: Subscriber, task: asyncio.Task[None]) -> None:
    subscriber.stop()
    await asyncio.wait_for(task, 10)


async def test_handles_everything_and_acks_only_after_success(bus: EventBus) -> None:
    sub = await bus.subscribe(TOPIC, "g", "w1")
    seen: list[int] = []

    async def handler(m: Message) -> None:
        pending = await bus.pending(TOPIC, "g")
        assert pending.count >= 1  # still pending while the handler runs
        seen.append(m.payload["i"])

    worker = Subscriber(sub, handler, dead_letter=DeadLetters(), retry=FAST, block_ms=100)
    task = await _run(worker)
    await bus.publish_many(TOPIC, [{"i": i} for i in range(50)])
    await until(lambda: worker.stats.handled == 50, what="50 handled")
    await until(lambda: _no_pending(bus, "g"), what="all acked")
    await _stop(worker, task)
    assert sorted(seen) == list(range(50))


async def _no_pending(bus: EventBus, group: str) -> bool:
    return (await bus.pending(TOPIC, group)).count == 0


async def test_same_key_in_order_different_keys_concurrently(bus: EventBus) -> None:
    sub = await bus.subscribe(TOPIC, "g", "w1")
    order: dict[str, list[int]] = defaultdict(list)
    running: set[str] = set()
    overlap = 0

    async def handler(m: Message) -> None:
        nonlocal overlap
        assert m.key not in running, "two messages of one key ran at once"
        running.add(m.key or "")
        overlap = max(overlap, len(running))
        await asyncio.sleep(random.uniform(0, 0.004))
        order[m.key or ""].append(m.payload["seq"])
        running.discard(m.key or "")

    worker = Subscriber(sub, handler, dead_letter=DeadLetters(), retry=FAST, lanes=8, block_ms=100)
    task = await _run(worker)
    events = [Event({"seq": seq}, key=f"acct-{k}") for seq in range(25) for k in range(8)]
    await bus.publish_many(TOPIC, events)
    await until(lambda: worker.stats.handled == 200, what="200 handled")
    await _stop(worker, task)
    assert all(v == list(range(25)) for v in order.values()) and len(order) == 8
    assert overlap > 1  # different keys did run concurrently


async def test_keyed_dispatcher_alone() -> None:
    done: list[tuple[str | None, int]] = []

    async def handle(m: Message) -> None:
        await asyncio.sleep(0.001 if m.key == "slow" else 0)
        done.append((m.key, m.payload["n"]))

    dispatcher = KeyedDispatcher(handle, lanes=4)
    for n in range(10):
        for key in ("slow", "fast", None):
            dispatcher.submit(Message(f"{n}-{key}", "t", {"n": n}, key, {}, 0.0, 1))
    assert await dispatcher.join(timeout=5)
    assert [n for k, n in done if k == "slow"] == list(range(10))
    assert [n for k, n in done if k == "fast"] == list(range(10))
    assert len(done) == 30 and dispatcher.queued == 0


async def test_terminal_error_dead_letters_at_once_and_idempotent_duplicates_are_skipped(bus: EventBus) -> None:
    sub = await bus.subscribe(TOPIC, "g", "w1")
    dlq = DeadLetters()
    calls: list[str] = []

    async def handler(m: Message) -> None:
        calls.append(m.payload["case"])
        if m.payload["case"] == "bad":
            raise TerminalError("422 from the sink: invalid case")

    worker = Subscriber(sub, handler, dead_letter=dlq, retry=FAST, idempotency=bus.idempotency("g"), block_ms=100)
    task = await _run(worker)
    await bus.publish(TOPIC, {"case": "bad"})
    await bus.publish_many(TOPIC, [Event({"case": "c1"}, headers={"idempotency-key": "c1"})] * 3)
    await until(lambda: worker.stats.handled == 1 and worker.stats.duplicates == 2 and len(dlq.items) == 1)
    await until(lambda: _no_pending(bus, "g"), what="all acked")
    await _stop(worker, task)
    assert calls.count("bad") == 1 and calls.count("c1") == 1
    assert "422" in str(dlq.items[0][1]) and dlq.items[0][0].payload == {"case": "bad"}


async def test_failing_dead_letter_keeps_the_message_pending(bus: EventBus) -> None:
    sub = await bus.subscribe(TOPIC, "g", "w1", visibility_timeout=30)

    async def handler(m: Message) -> None:
        raise TerminalError("no")

    async def broken_dlq(m: Message, e: BaseException) -> None:
        raise RuntimeError("DLQ store down")

    worker = Subscriber(sub, handler, dead_letter=broken_dlq, retry=FAST, block_ms=100)
    task = await _run(worker)
    await bus.publish(TOPIC, {"x": 1})
    await until(lambda: worker.stats.dead_letter_failures == 1)
    await _stop(worker, task)
    assert (await bus.pending(TOPIC, "g")).count == 1


async def test_a_stuck_group_never_blocks_another(bus: EventBus) -> None:
    stuck = await bus.subscribe(TOPIC, "stuck", "w")
    quick = await bus.subscribe(TOPIC, "quick", "w")
    gate = asyncio.Event()
    got: list[int] = []

    async def hang(m: Message) -> None:
        await gate.wait()

    async def record(m: Message) -> None:
        got.append(m.payload["i"])

    slow_worker = Subscriber(stuck, hang, dead_letter=DeadLetters(), max_in_flight=5, block_ms=100)
    fast_worker = Subscriber(quick, record, dead_letter=DeadLetters(), block_ms=100)
    tasks = [await _run(slow_worker), await _run(fast_worker)]
    await bus.publish_many(TOPIC, [{"i": i} for i in range(100)])
    await until(lambda: len(got) == 100, what="the quick group got everything")
    assert await bus.lag(TOPIC, "stuck") >= 95  # the stuck group took only its in-flight limit
    gate.set()
    await until(lambda: slow_worker.stats.handled == 100, what="the stuck group catches up")
    await _stop(slow_worker, tasks[0])
    await _stop(fast_worker, tasks[1])


async def test_exclusive_group_has_one_active_consumer_and_hands_over_on_stop(bus: EventBus) -> None:
    leases = bus.idempotency("leases")
    handled: dict[str, list[int]] = {"w1": [], "w2": []}
    workers = {}
    for name in ("w1", "w2"):
        sub = await bus.subscribe(TOPIC, "ordered", name)

        async def handler(m: Message, name: str = name) -> None:
            handled[name].append(m.payload["seq"])

        workers[name] = Subscriber(sub, handler, dead_letter=DeadLetters(), exclusive=leases, lease_ttl_s=1.0,
                                   block_ms=100)
    tasks = {name: asyncio.create_task(w.run()) for name, w in workers.items()}
    await until(lambda: any(w.lease is not None and w.lease.held for w in workers.values()), what="a holder")
    await bus.publish_many(TOPIC, [Event({"seq": i}, key="acct-1") for i in range(50)])
    await until(lambda: len(handled["w1"]) + len(handled["w2"]) == 50, what="first 50")
    holder = "w1" if handled["w1"] else "w2"
    other = "w2" if holder == "w1" else "w1"
    assert handled[other] == [] and handled[holder] == list(range(50))
    workers[holder].stop()
    await tasks[holder]  # a graceful stop releases the lease at once
    await bus.publish_many(TOPIC, [Event({"seq": i}, key="acct-1") for i in range(50, 80)])
    await until(lambda: len(handled[other]) == 30, what="the other worker took over")
    assert handled[other] == list(range(50, 80))
    await _stop(workers[other], tasks[other])
