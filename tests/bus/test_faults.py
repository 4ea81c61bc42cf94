"""Faults against the real embedded store and real Redis: kill -9, Redis restart, poison, double delivery."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

from weave.bus import Event, EventBus, ExhaustedDeliveries, Message, RetryPolicy, Subscriber, open_bus
from weave.sandbox.services import redis_server

from ._util import until

TOPIC = "crm.order.created"
HERE = Path(__file__).resolve().parent


class Recorder:
    def __init__(self) -> None:
        self.dead: list[tuple[Message, BaseException]] = []

    async def __call__(self, message: Message, error: BaseException) -> None:
        self.dead.append((message, error))


async def _settled(bus: EventBus, group: str) -> bool:
    return (await bus.pending(TOPIC, group)).count == 0 and await bus.lag(TOPIC, group) == 0


def _start_victim(bus_url: str, out: Path, stall_after: int, *extra: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
    return subprocess.Popen(
        [sys.executable, str(HERE / "_victim.py"), bus_url, TOPIC, str(out), str(stall_after), *extra],
        stdout=subprocess.PIPE, env=env,
    )


async def _wait_stalled(proc: subprocess.Popen[bytes], bus: EventBus) -> None:
    try:
        assert proc.stdout is not None
        line = await asyncio.wait_for(asyncio.to_thread(proc.stdout.readline), 30)
        assert line.strip() == b"stalled"
        held = (await bus.pending(TOPIC, "fulfillment")).consumers.get("victim", 0)
        assert held > 0  # the victim dies holding unacked messages of its batch
    except BaseException:
        _kill(proc)
        raise


def _kill(proc: subprocess.Popen[bytes]) -> None:
    proc.send_signal(signal.SIGKILL)
    proc.wait(10)


async def _kill_when_stalled(proc: subprocess.Popen[bytes], bus: EventBus) -> None:
    await _wait_stalled(proc, bus)
    _kill(proc)


async def test_kill_9_mid_batch_pending_messages_are_reclaimed(bus: EventBus, bus_url: str, tmp_path: Path) -> None:
    await bus.ensure_group(TOPIC, "fulfillment", start="earliest")
    await bus.publish_many(TOPIC, [{"i": i} for i in range(200)])
    victim_file = tmp_path / "victim.txt"
    await _kill_when_stalled(_start_victim(bus_url, victim_file, 20), bus)
    victim_done = {int(x) for x in victim_file.read_text().split()}
    assert len(victim_done) == 20

    rescued: list[Message] = []

    async def handler(message: Message) -> None:
        rescued.append(message)

    sub = await bus.subscribe(TOPIC, "fulfillment", "rescuer", visibility_timeout=1.0)
    worker = Subscriber(sub, handler, dead_letter=Recorder(), block_ms=100)
    task = asyncio.create_task(worker.run())
    await until(lambda: _settled(bus, "fulfillment"), timeout=30, what="everything acked after the kill")
    worker.stop()
    await task
    everything = victim_done | {m.payload["i"] for m in rescued}
    assert everything == set(range(200))  # nothing lost
    assert any(m.delivery_count >= 2 for m in rescued)  # the victim's pending ones were reclaimed


async def test_kill_9_of_an_exclusive_holder_hands_over_in_key_order(
    bus: EventBus, bus_url: str, tmp_path: Path
) -> None:
    await bus.ensure_group(TOPIC, "fulfillment", start="earliest")
    await bus.publish_many(TOPIC, [Event({"i": i}, key=f"acct-{i % 4}") for i in range(120)])
    victim_file = tmp_path / "victim.txt"
    proc = _start_victim(bus_url, victim_file, 10, "exclusive")

    order: list[int] = []

    async def handler(message: Message) -> None:
        order.append(message.payload["i"])

    await _wait_stalled(proc, bus)
    # the standby starts while the victim holds the lease: it must not consume anything yet
    sub = await bus.subscribe(TOPIC, "fulfillment", "standby", visibility_timeout=1.0)
    standby = Subscriber(sub, handler, dead_letter=Recorder(), block_ms=100, exclusive=bus.idempotency("leases"),
                         lease_ttl_s=2.0)
    task = asyncio.create_task(standby.run())
    await asyncio.sleep(0.5)  # proving a negative: half a lease lifetime of standing by
    assert order == [] and standby.lease is not None and not standby.lease.held
    _kill(proc)
    await until(lambda: _settled(bus, "fulfillment"), timeout=30, what="standby took over")
    standby.stop()
    await task
    victim_done = [int(x) for x in victim_file.read_text().split()]
    assert set(victim_done) | set(order) == set(range(120))
    for key in range(4):  # per key, the standby went strictly forward
        seq = [i for i in order if i % 4 == key]
        assert seq == sorted(seq)
    assert standby.lease is not None and standby.lease.gained == 1


async def test_kill_9_of_a_publisher_loses_nothing_it_was_told_was_published(bus: EventBus, bus_url: str) -> None:
    sub = await bus.subscribe(TOPIC, "audit", "c", start="earliest")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
    proc = subprocess.Popen([sys.executable, str(HERE / "_publisher.py"), bus_url, TOPIC],
                            stdout=subprocess.PIPE, env=env)
    confirmed: dict[int, str] = {}
    try:
        assert proc.stdout is not None
        while len(confirmed) < 300:
            line = await asyncio.wait_for(asyncio.to_thread(proc.stdout.readline), 30)
            i, message_id = line.split()
            confirmed[int(i)] = message_id.decode()
    finally:
        _kill(proc)
    stored: dict[int, str] = {}
    while True:
        got = await sub.fetch(500, block_ms=200)
        if not got:
            break
        stored.update((m.payload["i"], m.id) for m in got)
    assert {i: stored.get(i) for i in confirmed} == confirmed  # every acknowledged publish is on the bus


async def test_redis_killed_and_restarted_mid_stream_publishers_retry_consumers_resume() -> None:
    with redis_server(appendonly=True) as server:
        publisher = await open_bus(server.url)
        consumer = await open_bus(server.url)
        try:
            sub = await consumer.subscribe(TOPIC, "g", "c", start="earliest", visibility_timeout=2.0)
            got: set[int] = set()

            async def handler(message: Message) -> None:
                got.add(message.payload["i"])

            worker = Subscriber(sub, handler, dead_letter=Recorder(), block_ms=100)
            task = asyncio.create_task(worker.run())
            published: list[int] = []
            enough = asyncio.Event()

            async def publish_until_enough() -> None:
                i = 0
                while not enough.is_set():
                    await publisher.publish(TOPIC, {"i": i})  # retries through the restart
                    published.append(i)
                    i += 1
                    await asyncio.sleep(0.002)

            pub_task = asyncio.create_task(publish_until_enough())
            await until(lambda: len(got) > 100, what="consumption before the restart")
            # the harsh variant: SIGKILL, then start again on the same AOF (appendfsync always)
            await asyncio.to_thread(lambda: (server.stop(kill=True), server.start(appendonly=True)))
            mark = len(published)
            await until(lambda: len(published) > mark + 100, timeout=30, what="publishing after the restart")
            enough.set()
            await asyncio.wait_for(pub_task, 30)
            await until(lambda: got == set(published), timeout=30, what="consumers resumed after the restart")
            await until(lambda: _settled(consumer, "g"), timeout=30, what="acks after the restart")
            worker.stop()
            await task
            assert publisher.reconnects > 0 and consumer.reconnects > 0
        finally:
            await publisher.close()
            await consumer.close()


async def test_poison_message_goes_to_dead_letter_after_n_attempts_others_flow(bus: EventBus) -> None:
    sub = await bus.subscribe(TOPIC, "g", "w")
    calls: dict[int, int] = {}

    async def handler(message: Message) -> None:
        i = message.payload["i"]
        calls[i] = calls.get(i, 0) + 1
        if message.payload.get("poison"):
            raise ValueError("cannot map field 'total'")

    dlq = Recorder()
    worker = Subscriber(sub, handler, dead_letter=dlq, retry=RetryPolicy(3, 0.01, 0.05), block_ms=100)
    task = asyncio.create_task(worker.run())
    await bus.publish_many(TOPIC, [Event({"i": i, "poison": i == 5}, key=f"k{i % 3}") for i in range(30)])
    await until(lambda: _settled(bus, "g"), what="all settled")
    worker.stop()
    await task
    assert [(m.payload["i"], str(e)) for m, e in dlq.dead] == [(5, "cannot map field 'total'")]
    assert calls[5] == 3 and all(calls[i] == 1 for i in range(30) if i != 5)
    assert worker.stats.handled == 29 and worker.stats.dead_lettered == 1


async def test_message_that_keeps_killing_its_consumer_is_dead_lettered_unhandled(bus: EventBus) -> None:
    dying = await bus.subscribe(TOPIC, "g", "dying", visibility_timeout=30)
    await bus.publish(TOPIC, {"i": "crash"})
    (msg,) = await dying.fetch(1, 1000)
    for _ in range(2):  # two more deliveries that never got acked
        await dying.nack([msg.id])
        assert (await dying.fetch(1, 1000))[0].id == msg.id
    await dying.nack([msg.id])
    handled: list[Message] = []

    async def handler(message: Message) -> None:
        handled.append(message)

    dlq = Recorder()
    sub = await bus.subscribe(TOPIC, "g", "next", visibility_timeout=30)
    worker = Subscriber(sub, handler, dead_letter=dlq, retry=RetryPolicy(max_attempts=3), block_ms=100)
    task = asyncio.create_task(worker.run())
    await until(lambda: len(dlq.dead) == 1)
    await until(lambda: _settled(bus, "g"))
    worker.stop()
    await task
    assert handled == [] and isinstance(dlq.dead[0][1], ExhaustedDeliveries)
    assert dlq.dead[0][0].delivery_count == 4


async def test_two_workers_with_idempotency_never_both_deliver(bus: EventBus, bus_url: str) -> None:
    other = await open_bus(bus_url)
    delivered: list[str] = []
    try:
        workers = []
        for name, b in (("w1", bus), ("w2", other)):
            sub = await b.subscribe(TOPIC, "sink", name, start="earliest", visibility_timeout=5)

            async def handler(message: Message) -> None:
                await asyncio.sleep(0.005)
                delivered.append(message.headers["idempotency-key"])

            # at most 10 in flight each: neither worker can take the whole backlog alone
            worker = Subscriber(sub, handler, dead_letter=Recorder(), idempotency=b.idempotency("sink"),
                                batch_size=10, max_in_flight=10, block_ms=100)
            workers.append((worker, asyncio.create_task(worker.run())))
        # every order published twice (a retried publish), duplicates close together
        events = [Event({"order": n}, headers={"idempotency-key": f"order-{n}"}) for n in range(100) for _ in (1, 2)]
        await bus.publish_many(TOPIC, events)
        await until(lambda: _settled(bus, "sink"), timeout=30, what="all 200 messages acked")
        for worker, task in workers:
            worker.stop()
            await task
        assert sorted(delivered) == sorted(f"order-{n}" for n in range(100))  # each exactly once
        assert sum(w.stats.duplicates for w, _ in workers) == 100
        assert all(w.stats.handled > 0 for w, _ in workers)  # both really worked
    finally:
        await other.close()
