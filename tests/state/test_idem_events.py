"""Idempotency records remember their bus event (migration 5), so `weave events replay --ignore-idempotency`
forgets the records of exactly the replayed events (`idem_forget_events`), whenever they were committed, found
through an index on (scope, event, position) (migration 6).
Both backends: SQLite in tmp_path and a real PostgreSQL (see conftest)."""

from __future__ import annotations

import pytest

from tests.state._helpers import tick
from weave.state import IdemEvent, IdemForgotten, IdemStatus, StateStore, open_state

TOPIC = "crm.case.resolved"


def ev(n: int, topic: str = TOPIC) -> IdemEvent:
    """Event n of a topic; positions are zero-padded like the embedded bus's (`event_position`)."""
    return IdemEvent(topic, str(n), f"{n:020d}")


async def test_a_late_commit_of_an_older_event_is_kept(store: StateStore) -> None:
    assert await store.idem_check_and_set("s", "k1", event=ev(1))  # delivered before the window
    assert await store.idem_reserve("s", "k2", "slow", ttl=30, event=ev(2)) is IdemStatus.RESERVED
    window_start = await tick()
    assert await store.idem_check_and_set("s", "k10", event=ev(10))  # the window: events 10 and 11
    assert await store.idem_reserve("s", "k11", "w1", ttl=30, event=ev(11)) is IdemStatus.RESERVED
    assert await store.idem_commit("s", "k11", owner="w1")  # the reservation's event is kept
    assert await store.idem_commit("s", "k2", owner="slow")  # event 2, committed inside the window: a late retry
    assert await store.idem_check_and_set("s", "k12-other", event=ev(12, "crm.order.created"))  # another topic
    assert await store.idem_check_and_set("s", "no-event")  # a delivery that came from no bus event
    assert await store.idem_reserve("s", "k13", "w1", ttl=30, event=ev(13)) is IdemStatus.RESERVED  # in flight
    assert await store.idem_check_and_set("other", "k10", event=ev(10))  # another scope
    assert (await store.idem_event("s", "k2"), await store.idem_event("s", "k11")) == (ev(2), ev(11))
    assert await store.idem_event("s", "no-event") is None and await store.idem_event("s", "nothing") is None

    forgot = await store.idem_forget_events("s", TOPIC, ev(10).position, legacy_since=window_start)
    assert forgot == IdemForgotten(events=3, legacy=0) and forgot.total == 3  # k10, k11 and k13's reservation
    seen = {k: await store.idem_seen("s", k) for k in ("k1", "k2", "k10", "k11", "k12-other", "no-event")}
    assert seen == {"k1": True, "k2": True, "k10": False, "k11": False, "k12-other": True, "no-event": True}
    # the window's events are delivered again; the late one stays a duplicate
    assert await store.idem_reserve("s", "k10", "w2", ttl=30, event=ev(10)) is IdemStatus.RESERVED
    assert await store.idem_reserve("s", "k13", "w2", ttl=30, event=ev(13)) is IdemStatus.RESERVED
    assert await store.idem_reserve("s", "k2", "w2", ttl=30, event=ev(2)) is IdemStatus.DUPLICATE
    assert await store.idem_seen("other", "k10")
    assert await store.idem_forget_events("s", TOPIC, ev(99).position) == IdemForgotten(0, 0)  # past the newest


async def test_positions_compare_bytewise(store: StateStore) -> None:
    """Redis-shaped positions (`ms-seq`, 20 digits each): the order holds across the hyphen on both backends."""
    def redis(ms: int, seq: int) -> IdemEvent:
        return IdemEvent(TOPIC, f"{ms}-{seq}", f"{ms:020d}-{seq:020d}")

    for i, (ms, seq) in enumerate([(1000, 9), (1000, 10), (1001, 0), (999, 99)]):
        assert await store.idem_check_and_set("s", f"k{i}", event=redis(ms, seq))
    forgot = await store.idem_forget_events("s", TOPIC, redis(1000, 10).position)
    assert forgot.events == 2
    assert [await store.idem_seen("s", f"k{i}") for i in range(4)] == [True, False, False, True]


async def test_a_record_at_migration_4_is_kept_and_forgotten_by_time(fresh_state_url: str,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    import weave.state._migrate as migrate
    from weave.state.migrations import for_dialect

    insert = ("INSERT INTO weave_idem (scope, key, state, owner, expires_at, created_at) "
              "VALUES (%s, %s, 'committed', NULL, NULL, weave_now())")
    with monkeypatch.context() as patch:  # a state database made by the weave before migration 5
        patch.setattr(migrate, "for_dialect", lambda name: tuple(m for m in for_dialect(name) if m.version < 5))
        old = await open_state(fresh_state_url)
        try:
            assert await old.schema_version() == 4
            await old._db.execute(insert, ("s", "old"))  # type: ignore[attr-defined]
            mark = await tick()
            await old._db.execute(insert, ("s", "recent"))  # type: ignore[attr-defined]
            await old._db.execute(  # type: ignore[attr-defined]
                "INSERT INTO weave_idem (scope, key, state, owner, expires_at, created_at) "
                "VALUES ('s', 'recommitted', 'reserved', 'w', weave_now() + 30, weave_now())")
        finally:
            await old.close()
    store = await open_state(fresh_state_url)
    try:
        assert await store.schema_version() == max(m.version for m in for_dialect(store.backend))
        assert [await store.idem_seen("s", k) for k in ("old", "recent")] == [True] * 2  # kept
        assert await store.idem_event("s", "old") is None  # no event known
        assert await store.idem_reserve("s", "old", "w", ttl=30) is IdemStatus.DUPLICATE  # still deduplicated
        # a reservation made before the migration, committed after it with its event: no longer legacy
        assert await store.idem_commit("s", "recommitted", owner="w", event=ev(1))
        assert await store.idem_event("s", "recommitted") == ev(1)
        assert await store.idem_check_and_set("s", "new", event=ev(20))

        # a replay from event 20: its record, and the legacy records committed since the window's start
        forgot = await store.idem_forget_events("s", TOPIC, ev(20).position, legacy_since=mark)
        assert forgot == IdemForgotten(events=1, legacy=1)
        seen = [await store.idem_seen("s", k) for k in ("old", "recent", "recommitted", "new")]
        assert seen == [True, False, True, False]
        # without legacy_since, records without an event are never touched
        assert await store.idem_forget_events("s", TOPIC, ev(0).position) == IdemForgotten(events=1, legacy=0)
        assert await store.idem_seen("s", "old")
    finally:
        await store.close()


async def test_forgetting_by_event_reads_the_event_index(store: StateStore) -> None:
    """The replay's delete finds its records through `weave_idem_event` (migration 6), not by reading every record
    of the scope: SQLite's query plan names the index; PostgreSQL's does once a sequential scan is ruled out (the
    planner prefers one on a table this small)."""
    for i in range(50):
        assert await store.idem_check_and_set("s", f"k{i}", event=ev(i))
    delete = "DELETE FROM weave_idem WHERE scope = %s AND event = %s AND event_pos >= %s"
    params = ("s", TOPIC, ev(40).position)
    async with store._db.transaction() as tx:  # type: ignore[attr-defined]
        if store.backend == "sqlite":
            plan = " ".join(str(row[-1]) for row in await tx.fetchall("EXPLAIN QUERY PLAN " + delete, params))
        else:
            await tx.execute("SET LOCAL enable_seqscan = off")
            plan = " ".join(str(row[0]) for row in await tx.fetchall("EXPLAIN " + delete, params))
    assert "weave_idem_event" in plan, plan
    assert await store.idem_forget_events("s", TOPIC, ev(40).position) == IdemForgotten(10, 0)
