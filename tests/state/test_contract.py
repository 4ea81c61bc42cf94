"""The state store contract: every method, run on SQLite and on a real PostgreSQL (see conftest)."""

from __future__ import annotations

import time

import pytest

from tests.state._helpers import poll
from weave.state import (
    IdemStatus,
    LockHeldError,
    RevisionMeta,
    StaleRevisionError,
    StateError,
    StateStore,
    open_state,
)

# -- lifecycle and migrations -------------------------------------------------------------------


async def test_backend_and_schema(store: StateStore, state_url: str) -> None:
    assert store.backend == state_url.split(":")[0]
    assert await store.schema_version() >= 1
    assert isinstance(store, StateStore)


async def test_reopen_is_idempotent_and_keeps_data(store: StateStore, state_url: str) -> None:
    rev = await store.put_revision({"a": 1}, {"p": 1})
    version = await store.schema_version()
    async with await open_state(state_url) as again:
        assert await again.schema_version() == version
        revision = await again.get_revision(rev)
        assert revision is not None and revision.specs == {"a": 1}


# -- revisions ------------------------------------------------------------------------------------


async def test_revisions_roundtrip(store: StateStore) -> None:
    assert await store.latest_revision_id() == 0
    assert await store.current_revision() is None
    assert await store.get_revision("latest") is None
    specs = {"integrations": {"order-sync": {"pattern": "point-to-point", "n": [1, 2.5, None, True]}}}
    meta = RevisionMeta(git_commit="abc123", author="ann", message="first", created_at=1_700_000_000.5)
    r1 = await store.put_revision(specs, {"actions": ["+order-sync"]}, meta)
    r2 = await store.put_revision({"integrations": {}}, {"actions": []}, RevisionMeta(author="bob"))
    assert (r1, r2) == (1, 2)
    assert await store.latest_revision_id() == 2
    first = await store.get_revision(1)
    assert first is not None
    assert first.specs == specs and first.plan == {"actions": ["+order-sync"]}
    assert (first.git_commit, first.author, first.message, first.created_at) == ("abc123", "ann", "first", 1_700_000_000.5)
    current = await store.current_revision()
    assert current is not None and current.id == 2 and current.author == "bob"
    assert abs(current.created_at - time.time()) < 60
    assert await store.get_revision(99) is None
    listed = await store.list_revisions()
    assert [r.id for r in listed] == [2, 1]
    assert listed[1].message == "first"
    assert [r.id for r in await store.list_revisions(limit=1)] == [2]


async def test_put_revision_refuses_a_stale_base(store: StateStore) -> None:
    assert await store.put_revision({}, {}, expected_base=0) == 1
    assert await store.put_revision({"v": 2}, {}, expected_base=1) == 2
    with pytest.raises(StaleRevisionError) as err:
        await store.put_revision({"v": 3}, {}, expected_base=1)
    assert (err.value.expected, err.value.actual) == (1, 2)
    assert await store.latest_revision_id() == 2


async def test_bad_revision_ref_and_unserialisable_specs(store: StateStore) -> None:
    with pytest.raises(StateError):
        await store.get_revision("newest")  # type: ignore[arg-type]
    with pytest.raises(StateError, match="JSON"):
        await store.put_revision({"x": object()}, {})
    assert await store.latest_revision_id() == 0


# -- the apply lock -------------------------------------------------------------------------------


async def test_lock_acquire_release_and_info(store: StateStore) -> None:
    assert await store.lock_info("apply") is None
    held = await store.acquire_lock("apply", "ann@host", ttl=60, info={"operation": "apply", "revision": 3})
    assert held.holder == "ann@host" and held.info == {"operation": "apply", "revision": 3}
    assert held.expires_at - held.acquired_at == pytest.approx(60, abs=1)
    with pytest.raises(LockHeldError) as err:
        await store.acquire_lock("apply", "bob@host", ttl=60)
    assert err.value.info.holder == "ann@host"
    assert "ann@host" in str(err.value)
    again = await store.acquire_lock("apply", "ann@host", ttl=120)  # re-entrant: extends
    assert again.acquired_at == pytest.approx(held.acquired_at) and again.expires_at > held.expires_at
    assert not await store.release_lock("apply", "bob@host")
    assert await store.release_lock("apply", "ann@host")
    assert await store.lock_info("apply") is None
    assert (await store.acquire_lock("apply", "bob@host")).holder == "bob@host"


async def test_lock_force_unlock(store: StateStore) -> None:
    await store.acquire_lock("apply", "crashed-ci", ttl=3600)
    removed = await store.force_unlock("apply")
    assert removed is not None and removed.holder == "crashed-ci"
    assert await store.force_unlock("apply") is None
    assert (await store.acquire_lock("apply", "me")).holder == "me"


async def test_lock_expires_and_waiting_acquire(store: StateStore) -> None:
    await store.acquire_lock("apply", "a", ttl=1.0)
    started = time.monotonic()
    with pytest.raises(LockHeldError):
        await store.acquire_lock("apply", "b", timeout=0.05)
    got = await store.acquire_lock("apply", "b", timeout=10)  # waits for the expiry
    assert got.holder == "b"
    assert time.monotonic() - started < 5
    info = await store.lock_info("apply")
    assert info is not None and info.holder == "b"


async def test_lock_rejects_bad_ttl(store: StateStore) -> None:
    with pytest.raises(StateError, match="ttl"):
        await store.acquire_lock("apply", "a", ttl=0)


# -- leases ---------------------------------------------------------------------------------------


async def test_leases(store: StateStore) -> None:
    assert await store.acquire_lease("job:nightly", "w1", ttl=30)
    assert not await store.acquire_lease("job:nightly", "w2", ttl=30)
    assert await store.acquire_lease("job:nightly", "w1", ttl=30)  # re-acquire by the holder
    lease = await store.lease_info("job:nightly")
    assert lease is not None and lease.holder == "w1"
    assert await store.renew_lease("job:nightly", "w1", ttl=60)
    assert not await store.renew_lease("job:nightly", "w2", ttl=60)
    assert not await store.release_lease("job:nightly", "w2")
    assert await store.release_lease("job:nightly", "w1")
    assert await store.lease_info("job:nightly") is None
    assert await store.acquire_lease("job:nightly", "w2", ttl=30)
    assert await store.acquire_lease("job:other", "w1", ttl=30)


async def test_lease_expiry_hands_over(store: StateStore) -> None:
    assert await store.acquire_lease("job", "w1", ttl=1.0)
    assert not await store.acquire_lease("job", "w2", ttl=30)
    await poll(lambda: store.acquire_lease("job", "w2", ttl=30), until=bool)
    assert not await store.renew_lease("job", "w1", ttl=30)  # the old holder learns it lost the lease
    lease = await store.lease_info("job")
    assert lease is not None and lease.holder == "w2"


# -- the hub queue --------------------------------------------------------------------------------


async def test_enqueue_claim_ack(store: StateStore) -> None:
    i1 = await store.enqueue("hub", {"order": 1}, headers={"webhook-id": "msg_1"})
    i2 = await store.enqueue("hub", b"\x00raw body\xff")
    await store.enqueue("other", {"x": 1})
    assert await store.queue_depth("hub") == 2
    items = await store.claim("hub", "w1", limit=10, visibility_timeout=30)
    assert [it.id for it in items] == [i1, i2]
    assert items[0].payload == {"order": 1} and items[0].headers == {"webhook-id": "msg_1"}
    assert items[1].payload == b"\x00raw body\xff"
    assert all(it.attempts == 1 and it.claimed_by == "w1" and it.queue == "hub" for it in items)
    assert await store.claim("hub", "w2") == []  # invisible while claimed
    stats = await store.queue_stats("hub")
    assert (stats.depth, stats.in_flight) == (2, 2) and stats.oldest_enqueued_at is not None
    assert await store.ack([i1]) == 1
    assert await store.ack(i2, worker="someone-else") == 0
    assert await store.ack(i2, worker="w1") == 1
    assert await store.ack([]) == 0
    assert await store.queue_depth("hub") == 0
    assert await store.queue_depth("other") == 1
    empty = await store.queue_stats("hub")
    assert (empty.depth, empty.in_flight, empty.oldest_enqueued_at) == (0, 0, None)


async def test_claim_limit_and_order(store: StateStore) -> None:
    ids = await store.enqueue_many("hub", [{"n": n} for n in range(7)])
    assert ids == sorted(ids) and len(set(ids)) == 7
    first = await store.claim("hub", "w", limit=3)
    second = await store.claim("hub", "w", limit=10)
    assert [it.payload["n"] for it in first] == [0, 1, 2]  # type: ignore[index]
    assert [it.payload["n"] for it in second] == [3, 4, 5, 6]  # type: ignore[index]
    assert await store.claim("hub", "w", limit=0) == []


async def test_nack_with_delay_counts_attempts(store: StateStore) -> None:
    item_id = await store.enqueue("hub", {"n": 1})
    [item] = await store.claim("hub", "w1", visibility_timeout=30)
    assert await store.nack(item.id, delay=1.0, error="503 from erp", worker="w1")
    assert await store.claim("hub", "w2") == []  # the delay holds it back
    items = await poll(lambda: store.claim("hub", "w2", visibility_timeout=30), until=bool)
    assert items[0].id == item_id and items[0].attempts == 2 and items[0].last_error == "503 from erp"
    assert not await store.nack(item_id, worker="w1")  # w1 no longer holds it
    assert await store.nack(item_id, error="again")
    [third] = await store.claim("hub", "w3")
    assert third.attempts == 3 and third.last_error == "again"


async def test_visibility_timeout_returns_item_and_extend(store: StateStore) -> None:
    a = await store.enqueue("hub", {"n": "a"})
    b = await store.enqueue("hub", {"n": "b"})
    claimed = await store.claim("hub", "dead-worker", visibility_timeout=0.3)
    assert {it.id for it in claimed} == {a, b}
    assert await store.extend_visibility([b], "dead-worker", 60) == 1
    assert await store.extend_visibility([b], "not-the-holder", 60) == 0
    assert await store.extend_visibility([], "dead-worker", 60) == 0
    back = await poll(lambda: store.claim("hub", "w2", visibility_timeout=30), until=bool)
    assert [it.id for it in back] == [a] and back[0].attempts == 2 and back[0].claimed_by == "w2"
    assert await store.ack(a, worker="dead-worker") == 0  # a stale worker cannot ack it away


async def test_ordering_key_serialises_items_of_one_key(store: StateStore) -> None:
    k1 = await store.enqueue("hub", {"n": 1}, key="acct-1")
    k2 = await store.enqueue("hub", {"n": 2}, key="acct-1")
    other = await store.enqueue("hub", {"n": 3}, key="acct-2")
    free = await store.enqueue("hub", {"n": 4})
    first = await store.claim("hub", "w1", limit=10)
    assert [it.id for it in first] == [k1, other, free]
    assert await store.claim("hub", "w2", limit=10) == []  # k2 waits for k1
    assert await store.ack(k1) == 1
    [nxt] = await store.claim("hub", "w2", limit=10)
    assert nxt.id == k2 and nxt.key == "acct-1"


async def test_enqueue_delay_and_bad_input(store: StateStore) -> None:
    await store.enqueue("hub", {"n": 1}, delay=30)
    assert await store.claim("hub", "w") == []
    assert await store.queue_depth("hub") == 1
    with pytest.raises(StateError):
        await store.enqueue("hub", {1, 2})  # a set is neither bytes nor JSON
    with pytest.raises(StateError):
        await store.claim("hub", "w", visibility_timeout=0)
    with pytest.raises(StateError):
        await store.enqueue_many("hub", [{"a": 1}], keys=["k", "k2"])
    assert await store.enqueue_many("hub", []) == []
    assert await store.queue_depth("hub") == 1


async def test_enqueue_many_keys_and_headers(store: StateStore) -> None:
    ids = await store.enqueue_many("hub", [{"n": 1}, b"two"], keys=["k", None], headers={"h": "v"})
    items = await store.claim("hub", "w")
    assert [it.id for it in items] == ids
    assert items[0].key == "k" and items[1].key is None and items[1].payload == b"two"
    assert all(it.headers == {"h": "v"} for it in items)


# -- the dead-letter store ------------------------------------------------------------------------


async def test_dlq_roundtrip(store: StateStore) -> None:
    d1 = await store.dlq_put("order-sync", {"order_id": "o-1"}, "422 from operations: bad total", attempts=5,
                             revision=3, source="crm", target="operations", key="o-1", headers={"x": "y"})
    d2 = await store.dlq_put("order-sync", b"<xml/>", "transform failed")
    d3 = await store.dlq_put("invoices", {"n": 1}, "timeout")
    entry = await store.dlq_get(d1)
    assert entry is not None
    assert (entry.integration, entry.payload, entry.error, entry.attempts, entry.revision) == (
        "order-sync", {"order_id": "o-1"}, "422 from operations: bad total", 5, 3)
    assert (entry.source, entry.target, entry.key, entry.headers, entry.replayed_at) == (
        "crm", "operations", "o-1", {"x": "y"}, None)
    assert await store.dlq_get(9999) is None
    assert [e.id for e in await store.dlq_list()] == [d1, d2, d3]
    assert [e.id for e in await store.dlq_list("order-sync")] == [d1, d2]
    assert [e.id for e in await store.dlq_list(limit=1)] == [d1]
    assert [e.id for e in await store.dlq_list(limit=1, after_id=d1)] == [d2]  # paging
    assert [e.id for e in await store.dlq_list("order-sync", after_id=d2)] == []
    other = await store.dlq_get(d2)
    assert other is not None and other.payload == b"<xml/>" and other.revision is None


async def test_dlq_replay_marking_and_stats(store: StateStore) -> None:
    d1 = await store.dlq_put("order-sync", {"n": 1}, "e")
    await store.dlq_put("order-sync", {"n": 2}, "e")
    await store.dlq_put("invoices", {"n": 3}, "e")
    stats = {s.integration: s for s in await store.dlq_stats()}
    assert stats["order-sync"].depth == 2 and stats["invoices"].depth == 1
    assert stats["order-sync"].oldest_age_s is not None and 0 <= stats["order-sync"].oldest_age_s < 60
    assert await store.dlq_mark_replayed(d1)
    assert not await store.dlq_mark_replayed(d1)  # idempotent: only the first replay counts
    assert not await store.dlq_mark_replayed(12345)
    assert [e.id for e in await store.dlq_list("order-sync")] == [d1 + 1]
    replayed = await store.dlq_list("order-sync", include_replayed=True)
    assert replayed[0].replayed_at is not None
    stats = {s.integration: s for s in await store.dlq_stats()}
    assert stats["order-sync"].depth == 1


async def test_dlq_purge(store: StateStore) -> None:
    a = await store.dlq_put("order-sync", {"n": 1}, "e")
    b = await store.dlq_put("order-sync", {"n": 2}, "e")
    c = await store.dlq_put("invoices", {"n": 3}, "e")
    assert await store.dlq_purge(ids=[a]) == 1
    assert await store.dlq_purge("invoices", ids=[b]) == 0  # both filters must match
    assert await store.dlq_purge(ids=[]) == 0
    assert await store.dlq_purge("order-sync") == 1
    assert [e.id for e in await store.dlq_list()] == [c]
    assert await store.dlq_purge() == 1
    assert await store.dlq_stats() == []


# -- idempotency -----------------------------------------------------------------------------------


async def test_idem_check_and_set(store: StateStore) -> None:
    assert not await store.idem_seen("order-sync", "o-1")
    assert await store.idem_check_and_set("order-sync", "o-1")
    assert not await store.idem_check_and_set("order-sync", "o-1")
    assert await store.idem_check_and_set("other-scope", "o-1")
    assert await store.idem_seen("order-sync", "o-1")
    assert await store.idem_forget("order-sync", "o-1") == 1
    assert not await store.idem_seen("order-sync", "o-1")
    assert await store.idem_check_and_set("order-sync", "o-1")


async def test_idem_forget_scope_and_age(store: StateStore) -> None:
    for k in ("a", "b", "c"):
        await store.idem_check_and_set("s", k)
    assert await store.idem_forget("s", older_than=time.time() - 3600) == 0
    assert await store.idem_forget("s", older_than=time.time() + 60) == 3
    await store.idem_check_and_set("s", "d")
    assert await store.idem_forget("s") == 1


async def test_idem_two_phase(store: StateStore) -> None:
    assert await store.idem_reserve("sink", "o-1", "w1", ttl=30) is IdemStatus.RESERVED
    assert await store.idem_reserve("sink", "o-1", "w2", ttl=30) is IdemStatus.BUSY
    assert await store.idem_reserve("sink", "o-1", "w1", ttl=30) is IdemStatus.RESERVED  # same owner
    assert not await store.idem_seen("sink", "o-1")  # a reservation is not a delivery
    assert not await store.idem_check_and_set("sink", "o-1")  # nor can check-and-set jump a live one
    assert not await store.idem_commit("sink", "o-1", owner="w2")
    assert await store.idem_commit("sink", "o-1", owner="w1")
    assert await store.idem_seen("sink", "o-1")
    assert await store.idem_reserve("sink", "o-1", "w2", ttl=30) is IdemStatus.DUPLICATE
    assert not await store.idem_commit("sink", "o-1")  # committed once only
    assert not await store.idem_release("sink", "o-1", "w1")  # a commit cannot be released


async def test_idem_release_and_expired_reservation(store: StateStore) -> None:
    assert await store.idem_reserve("sink", "k", "w1", ttl=30) is IdemStatus.RESERVED
    assert not await store.idem_release("sink", "k", "w2")
    assert await store.idem_release("sink", "k", "w1")
    assert await store.idem_reserve("sink", "k", "w2", ttl=0.3) is IdemStatus.RESERVED  # w2 then "crashes"
    status = await poll(lambda: store.idem_reserve("sink", "k", "w3", ttl=30), until=lambda s: s is not IdemStatus.BUSY)
    assert status is IdemStatus.RESERVED
    assert not await store.idem_commit("sink", "k", owner="w2")  # the crashed owner lost it
    assert await store.idem_commit("sink", "k", owner="w3")
    assert await store.idem_commit("sink", "direct")  # commit without a reservation records the key
    assert await store.idem_reserve("sink", "direct", "w1", ttl=5) is IdemStatus.DUPLICATE
    with pytest.raises(StateError):
        await store.idem_reserve("sink", "x", "w1", ttl=0)


# -- cursors ----------------------------------------------------------------------------------------


async def test_cursors(store: StateStore) -> None:
    assert await store.get_cursor("master-data") is None
    await store.set_cursor("master-data", {"updated_at": "2026-01-01T00:00:00Z", "id": 41})
    await store.set_cursor("master-data", {"updated_at": "2026-01-02T00:00:00Z", "id": 7})
    assert await store.get_cursor("master-data") == {"updated_at": "2026-01-02T00:00:00Z", "id": 7}
    assert await store.delete_cursor("master-data")
    assert not await store.delete_cursor("master-data")
    assert await store.get_cursor("master-data") is None


# -- run history ------------------------------------------------------------------------------------


async def test_runs(store: StateStore) -> None:
    r1 = await store.run_start("master-data", "batch", revision=4, worker="w1")
    r2 = await store.run_start("warehouse", "batch")
    r3 = await store.run_start("master-data", "replay")
    running = await store.run_get(r1)
    assert running is not None and running.status == "running" and running.finished_at is None
    assert running.duration_s is None and (running.revision, running.worker) == (4, "w1")
    counts = {"extracted": 10, "loaded": 9, "rejected": 1}
    await store.run_finish(r1, "ok", counts)
    await store.run_finish(r2, "failed", error="count mismatch: 10 extracted, 8 loaded")
    done = await store.run_get(r1)
    assert done is not None and done.status == "ok" and done.counts == counts
    assert done.duration_s is not None and done.duration_s >= 0
    failed = await store.run_get(r2)
    assert failed is not None and failed.error == "count mismatch: 10 extracted, 8 loaded" and failed.counts == {}
    assert [r.id for r in await store.runs()] == [r3, r2, r1]
    assert [r.id for r in await store.runs("master-data")] == [r3, r1]
    assert [r.id for r in await store.runs("master-data", kind="batch")] == [r1]
    assert [r.id for r in await store.runs(limit=1)] == [r3]
    assert await store.run_get(9999) is None
    with pytest.raises(StateError, match="unknown run"):
        await store.run_finish(9999, "ok")
    with pytest.raises(StateError):
        await store.run_finish(r3, "running")


# -- delivery stats ---------------------------------------------------------------------------------


async def test_delivery_stats(store: StateStore) -> None:
    now = time.time()
    await store.record_delivery("order-sync", True, 10.0, at=now - 7200)  # old: outside the window
    await store.record_delivery("order-sync", True, 20.0, at=now)
    await store.record_delivery("order-sync", True, 40.0, count=2, at=now)
    await store.record_delivery("order-sync", False, 100.0, at=now - 5)
    await store.record_delivery("invoices", True, 5.0)
    stats = await store.delivery_stats("order-sync", since=now - 600)
    assert (stats.delivered, stats.failed) == (3, 1)
    assert stats.last_success_at == pytest.approx(now) and stats.last_failure_at == pytest.approx(now - 5)
    assert stats.avg_latency_ms == pytest.approx((20 + 80 + 100) / 4)
    assert stats.max_latency_ms == pytest.approx(100.0)
    assert stats.error_rate == pytest.approx(0.25)
    old = await store.delivery_stats("order-sync", since=now - 86400)
    assert old.delivered == 4
    none = await store.delivery_stats("never-ran", since=0)
    assert (none.delivered, none.failed, none.last_success_at, none.avg_latency_ms) == (0, 0, None, None)
    assert none.error_rate == 0.0
    quiet = await store.delivery_stats("order-sync", since=now + 3600)
    assert (quiet.delivered, quiet.last_success_at) == (0, pytest.approx(now))  # last success is all-time
    everyone = {s.integration: s for s in await store.delivery_stats_all(since=now - 600)}
    assert set(everyone) == {"order-sync", "invoices"} and everyone["invoices"].delivered == 1


# -- consumer API keys ------------------------------------------------------------------------------


async def test_api_keys(store: StateStore) -> None:
    await store.key_put("partner-a", "key-1", "sha256:aaa", ["orders:read"], created_at=1_700_000_000.0)
    await store.key_put("partner-a", "key-2", "sha256:bbb", ["orders:read", "orders:write"])
    await store.key_put("partner-b", "key-3", "sha256:ccc", [])
    found = await store.key_lookup("sha256:bbb")
    assert found is not None and found.key_id == "key-2" and found.scopes == ("orders:read", "orders:write")
    assert found.active and found.consumer == "partner-a"
    assert await store.key_lookup("sha256:zzz") is None
    assert [k.key_id for k in await store.key_list()] == ["key-1", "key-2", "key-3"]
    assert [k.key_id for k in await store.key_list("partner-b")] == ["key-3"]
    first = (await store.key_list("partner-a"))[0]
    assert first.created_at == 1_700_000_000.0
    assert await store.key_revoke("key-2")
    assert not await store.key_revoke("key-2")
    assert await store.key_lookup("sha256:bbb") is None
    revoked = [k for k in await store.key_list() if k.key_id == "key-2"][0]
    assert not revoked.active and revoked.revoked_at is not None
    await store.key_put("partner-a", "key-2", "sha256:bbb2", ["orders:read"])  # rotate: un-revokes
    rotated = await store.key_lookup("sha256:bbb2")
    assert rotated is not None and rotated.key_id == "key-2"
    with pytest.raises(StateError):
        await store.key_put("partner-a", "key-9", "sha256:aaa", ["x"])  # a hash belongs to one key
    with pytest.raises(StateError):
        await store.key_put("partner-a", "key-9", "sha256:x", "orders:read")  # type: ignore[arg-type]


# -- housekeeping -----------------------------------------------------------------------------------


async def test_prune(store: StateStore) -> None:
    run = await store.run_start("i", "batch")
    await store.run_finish(run, "ok")
    running = await store.run_start("i", "batch")
    cutoff = time.time() + 1
    await store.record_delivery("i", True, 1.0, at=time.time() - 86400)
    # recorded at the cutoff: its minute bucket is never older than the cutoff's (a plain `now` failed
    # when the test ran in the last second of a minute)
    await store.record_delivery("i", True, 1.0, at=cutoff)
    replayed = await store.dlq_put("i", {"n": 1}, "e")
    pending = await store.dlq_put("i", {"n": 2}, "e")
    await store.dlq_mark_replayed(replayed)
    removed = await store.prune(before=cutoff)
    assert removed == {"runs": 1, "delivery": 1, "dlq": 1}
    assert [r.id for r in await store.runs()] == [running]
    assert [e.id for e in await store.dlq_list(include_replayed=True)] == [pending]
    assert (await store.delivery_stats("i", since=0)).delivered == 1


async def test_ordering_key_blocks_behind_a_nacked_head(store: StateStore) -> None:
    first = await store.enqueue("hub", {"n": 1}, key="acct")
    second = await store.enqueue("hub", {"n": 2}, key="acct")
    [head] = await store.claim("hub", "w")
    assert head.id == first
    await store.nack(first, delay=30, error="target down")
    assert await store.claim("hub", "w") == []  # strict order: the second waits for the first's retry
    assert await store.ack(second) == 1  # acking a non-head (e.g. after a manual purge) keeps the head
    assert await store.nack(first, delay=0)
    [again] = await store.claim("hub", "w")
    assert again.id == first and again.attempts == 2
    assert await store.ack(first) == 1
    assert await store.queue_depth("hub") == 0
    third = await store.enqueue("hub", {"n": 3}, key="acct")  # the key starts afresh
    assert [it.id for it in await store.claim("hub", "w")] == [third]
