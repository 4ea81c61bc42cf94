"""The alert and silence contract (weave.ownership), on SQLite and a real PostgreSQL."""

from __future__ import annotations

import asyncio
import time

import pytest

from weave.state import StateError, StateStore


async def test_open_is_deduplicated_until_resolved(store: StateStore) -> None:
    alert, opened = await store.alerts_open("ship", "freshness", "stale for 2h", owner="ops", detail={"age_s": 7200})
    assert opened and alert.status == "open" and alert.owner == "ops" and alert.detail == {"age_s": 7200}
    assert abs(alert.opened_at - time.time()) < 60
    again, opened_again = await store.alerts_open("ship", "freshness", "still stale")
    assert not opened_again and again.id == alert.id and again.message == "stale for 2h"
    other, opened_other = await store.alerts_open("ship", "error_rate", "50% errors")
    assert opened_other and other.id != alert.id
    assert await store.alerts_resolve(alert.id) is True
    assert await store.alerts_resolve(alert.id) is False
    resolved = await store.alerts_get(alert.id)
    assert resolved is not None and resolved.status == "resolved" and resolved.resolved_at is not None
    fresh, reopened = await store.alerts_open("ship", "freshness", "stale again")
    assert reopened and fresh.id not in (alert.id, other.id)
    assert await store.alerts_get(999) is None


async def test_concurrent_opens_make_one_alert(store: StateStore) -> None:
    results = await asyncio.gather(*(store.alerts_open("hub", "dlq_depth", f"try {i}") for i in range(20)))
    assert sum(opened for _, opened in results) == 1
    assert len({alert.id for alert, _ in results}) == 1
    assert len(await store.alerts_list(status="open")) == 1


async def test_ack_and_escalate_happen_once(store: StateStore) -> None:
    a, _ = await store.alerts_open("a", "freshness", "m")
    b, _ = await store.alerts_open("b", "freshness", "m")
    assert await store.alerts_escalate(a.id, at=123.0) is True
    assert await store.alerts_escalate(a.id) is False
    assert (await store.alerts_get(a.id)).escalated_at == 123.0  # type: ignore[union-attr]
    assert await store.alerts_ack(b.id, by="ann") is True
    assert await store.alerts_ack(b.id, by="bob") is False
    acked = await store.alerts_get(b.id)
    assert acked is not None and acked.acked and acked.acked_by == "ann"
    assert await store.alerts_escalate(b.id) is False  # acknowledged: no escalation
    await store.alerts_resolve(a.id)
    assert await store.alerts_ack(a.id) is False
    assert await store.alerts_ack(12345) is False


async def test_list_filters_newest_first(store: StateStore) -> None:
    ids = [(await store.alerts_open(f"i{n}", "freshness", "m"))[0].id for n in range(3)]
    await store.alerts_resolve(ids[0])
    assert [a.id for a in await store.alerts_list()] == ids[::-1]
    assert [a.id for a in await store.alerts_list(status="open")] == ids[:0:-1]
    assert [a.id for a in await store.alerts_list(status="resolved")] == [ids[0]]
    assert [a.integration for a in await store.alerts_list(integration="i1")] == ["i1"]
    assert len(await store.alerts_list(limit=1)) == 1
    with pytest.raises(StateError, match="known: open, resolved"):
        await store.alerts_list(status="closed")


async def test_silences_expire_and_replace(store: StateStore) -> None:
    now = time.time()
    s = await store.alerts_silence("ship", now + 7200, by="ann", reason="maintenance")
    assert (s.integration, s.until, s.created_by, s.reason) == ("ship", now + 7200, "ann", "maintenance")
    await store.alerts_silence("old", now - 1)
    assert [x.integration for x in await store.alerts_silences()] == ["ship"]
    assert await store.alerts_silences(active_at=now + 7201) == []
    await store.alerts_silence("ship", now + 60)
    [only] = await store.alerts_silences()
    assert only.until == now + 60 and only.created_by is None
