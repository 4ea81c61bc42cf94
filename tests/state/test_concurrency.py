"""Concurrent asyncio tasks on two store instances (two connections / pools) sharing one database."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from weave.state import IdemStatus, LockHeldError, StaleRevisionError, StateError, StateStore, open_state
from weave.state.migrations import for_dialect


@pytest.fixture
async def pair(state_url: str) -> AsyncIterator[tuple[StateStore, StateStore]]:
    a = await open_state(state_url)
    b = await open_state(state_url)
    try:
        yield a, b
    finally:
        await a.close()
        await b.close()


async def test_concurrent_claimers_never_share_an_item(pair: tuple[StateStore, StateStore]) -> None:
    a, b = pair
    ids = await a.enqueue_many("hub", [{"n": n} for n in range(300)])
    seen: list[int] = []

    async def claimer(store: StateStore, name: str) -> None:
        while items := await store.claim("hub", name, limit=4, visibility_timeout=120):
            seen.extend(item.id for item in items)
            await store.ack([item.id for item in items], worker=name)

    await asyncio.gather(*(claimer(store, f"w{n}") for n in range(8) for store in (a, b)))
    assert len(seen) == len(set(seen)) == len(ids)
    assert sorted(seen) == ids
    assert await a.queue_depth("hub") == 0


async def test_check_and_set_has_one_winner(pair: tuple[StateStore, StateStore]) -> None:
    results = await asyncio.gather(
        *(store.idem_check_and_set("order-sync", f"o-{k}") for k in range(5) for store in pair for _ in range(6))
    )
    assert sum(results) == 5  # one winner per key


async def test_reserve_has_one_owner(pair: tuple[StateStore, StateStore]) -> None:
    results = await asyncio.gather(
        *(store.idem_reserve("sink", "o-1", f"w{n}-{i}", ttl=30) for n in range(10) for i, store in enumerate(pair))
    )
    assert results.count(IdemStatus.RESERVED) == 1
    assert results.count(IdemStatus.BUSY) == len(results) - 1


async def test_lock_and_lease_have_one_holder(pair: tuple[StateStore, StateStore]) -> None:
    async def try_lock(store: StateStore, holder: str) -> bool:
        try:
            await store.acquire_lock("apply", holder, ttl=60)
        except LockHeldError:
            return False
        return True

    locks = await asyncio.gather(*(try_lock(store, f"h{n}-{i}") for n in range(8) for i, store in enumerate(pair)))
    leases = await asyncio.gather(
        *(store.acquire_lease("job", f"h{n}-{i}", ttl=60) for n in range(8) for i, store in enumerate(pair))
    )
    assert sum(locks) == 1 and sum(leases) == 1


async def test_concurrent_applies_of_one_base_land_once(pair: tuple[StateStore, StateStore]) -> None:
    base = await pair[0].put_revision({"v": 0}, {})

    async def apply(store: StateStore, n: int) -> int | None:
        try:
            return await store.put_revision({"v": n}, {}, expected_base=base)
        except StaleRevisionError:
            return None

    results = await asyncio.gather(*(apply(store, n) for n in range(5) for store in pair))
    assert [r for r in results if r is not None] == [base + 1]
    unconditional = await asyncio.gather(*(store.put_revision({"n": n}, {}) for n in range(4) for store in pair))
    assert sorted(unconditional) == list(range(base + 2, base + 10))  # contiguous, no gaps or repeats


async def test_delivery_counters_do_not_lose_updates(pair: tuple[StateStore, StateStore]) -> None:
    await asyncio.gather(
        *(store.record_delivery("hub", n % 5 != 0, 3.0, at=1_800_000_000.0) for n in range(40) for store in pair)
    )
    stats = await pair[0].delivery_stats("hub", since=1_799_999_000.0)
    assert (stats.delivered, stats.failed) == (64, 16)


async def test_concurrent_first_opens_migrate_once(fresh_state_url: str) -> None:
    stores = await asyncio.gather(*(open_state(fresh_state_url) for _ in range(3)))
    try:
        newest = max(m.version for m in for_dialect(stores[0].backend))
        assert {await s.schema_version() for s in stores} == {newest}
    finally:
        for s in stores:
            await s.close()


async def test_a_newer_schema_is_refused(fresh_state_url: str) -> None:
    async with await open_state(fresh_state_url) as store:
        await store._db.execute(  # type: ignore[attr-defined]
            "INSERT INTO weave_schema_migrations (version, name, applied_at) VALUES (%s, %s, %s)",
            (999, "future", 0.0),
        )
    with pytest.raises(StateError, match="newer than this weave"):
        await open_state(fresh_state_url)


async def test_one_failing_write_does_not_undo_concurrent_ones(store: StateStore) -> None:
    await store.key_put("partner", "k1", "sha256:same", ["read"])
    results = await asyncio.gather(
        *(store.enqueue("hub", {"n": n}) for n in range(20)),
        store.key_put("partner", "k2", "sha256:same", ["read"]),  # conflicts: the hash belongs to k1
        *(store.idem_check_and_set("s", str(n)) for n in range(20)),
        return_exceptions=True,
    )
    assert isinstance(results[20], StateError)
    assert all(isinstance(r, int) for r in results[:20]) and results[21:] == [True] * 20
    assert await store.queue_depth("hub") == 20
    assert [k.key_id for k in await store.key_list()] == ["k1"]
    assert all([await store.idem_seen("s", str(n)) for n in range(20)])


async def test_a_cancelled_writer_does_not_strand_the_others(store: StateStore) -> None:
    tasks = [asyncio.create_task(store.enqueue("hub", {"n": n})) for n in range(40)]
    await asyncio.sleep(0)  # let every task start and queue its write
    tasks[0].cancel()
    ids = await asyncio.wait_for(asyncio.gather(*tasks[1:]), timeout=30)
    assert len(set(ids)) == 39
    assert await store.queue_depth("hub") in (39, 40)  # the cancelled write may already have committed


async def test_per_key_order_under_concurrent_producers_and_consumers(pair: tuple[StateStore, StateStore]) -> None:
    """Producers enqueue while consumers claim and ack: one item per key in flight, per-producer
    order kept per key, and no key is ever stranded (every item is consumed)."""
    keys = [f"acct-{k}" for k in range(4)]
    per_producer = 30
    in_flight: set[str] = set()
    consumed: dict[tuple[int, str], list[int]] = {}
    total = 0
    done_producing = asyncio.Event()

    async def producer(store: StateStore, p: int) -> None:
        for seq in range(per_producer):
            key = keys[seq % len(keys)]
            await store.enqueue("hub", {"p": p, "seq": seq}, key=key)
        if p == 3:
            done_producing.set()

    async def consumer(store: StateStore, name: str) -> None:
        nonlocal total
        while True:
            items = await store.claim("hub", name, limit=3, visibility_timeout=120)
            if not items:
                if done_producing.is_set() and total == 4 * per_producer:
                    return
                await asyncio.sleep(0.005)
                continue
            for item in items:
                assert item.key is not None and item.key not in in_flight, f"two items of {item.key} in flight"
                in_flight.add(item.key)
            await asyncio.sleep(0)  # let other consumers try to claim while these are in flight
            for item in items:
                payload = item.payload
                assert isinstance(payload, dict)
                consumed.setdefault((payload["p"], item.key), []).append(payload["seq"])
                in_flight.discard(item.key)
            await store.ack([item.id for item in items], worker=name)
            total += len(items)

    producers = [producer(pair[p % 2], p) for p in range(4)]
    consumers = [consumer(pair[c % 2], f"c{c}") for c in range(4)]
    await asyncio.wait_for(asyncio.gather(*producers, *consumers), timeout=60)
    assert total == 4 * per_producer
    for seqs in consumed.values():
        assert seqs == sorted(seqs)
    assert await pair[0].queue_depth("hub") == 0
