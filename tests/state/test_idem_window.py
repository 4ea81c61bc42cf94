"""`idem_forget(scope, since=...)`: forget only the idempotency records written at or after a time (the replay
window of `weave events replay --ignore-idempotency`). Both backends, like the rest of the contract: SQLite in
tmp_path and a real PostgreSQL (see conftest). Record times are the store's clock; on PostgreSQL that is the
server's, on this host the same clock as `time.time()`."""

from __future__ import annotations

import time

from tests.state._helpers import tick
from weave.state import IdemStatus, StateStore


async def test_forget_since_keeps_older_records(store: StateStore) -> None:
    for key in ("a", "b"):
        assert await store.idem_check_and_set("s", key)
    assert await store.idem_check_and_set("other", "x")
    mark = await tick()
    assert await store.idem_reserve("s", "c", "w1", ttl=30) is IdemStatus.RESERVED
    assert await store.idem_commit("s", "c", owner="w1")
    assert await store.idem_check_and_set("s", "d")
    assert await store.idem_reserve("s", "e", "w1", ttl=30) is IdemStatus.RESERVED  # in flight: forgotten too
    assert await store.idem_check_and_set("other", "y")

    assert await store.idem_forget("s", since=time.time() + 60) == 0
    assert await store.idem_forget("s", since=mark) == 3
    assert [await store.idem_seen("s", k) for k in "abcd"] == [True, True, False, False]
    assert await store.idem_reserve("s", "c", "w2", ttl=30) is IdemStatus.RESERVED  # deliverable again
    assert await store.idem_reserve("s", "e", "w2", ttl=30) is IdemStatus.RESERVED  # w1's reservation is gone
    assert await store.idem_reserve("s", "a", "w2", ttl=30) is IdemStatus.DUPLICATE  # older: still deduplicated
    assert await store.idem_seen("other", "x") and await store.idem_seen("other", "y")  # other scopes untouched


async def test_forget_since_counts_the_commit_not_the_reservation(store: StateStore) -> None:
    assert await store.idem_reserve("s", "slow", "w1", ttl=30) is IdemStatus.RESERVED
    mark = await tick()
    assert await store.idem_commit("s", "slow", owner="w1")  # delivered (committed) inside the window
    assert await store.idem_forget("s", since=mark) == 1
    assert not await store.idem_seen("s", "slow")


async def test_forget_a_key_and_a_time_range(store: StateStore) -> None:
    assert await store.idem_check_and_set("s", "old")
    start = await tick()
    for key in ("mid-1", "mid-2"):
        assert await store.idem_check_and_set("s", key)
    end = await tick()
    assert await store.idem_check_and_set("s", "new")

    assert await store.idem_forget("s", "old", since=start) == 0  # that key is older than the window
    assert await store.idem_forget("s", "mid-1", since=start) == 1
    assert await store.idem_forget("s", since=start, older_than=end) == 1  # [start, end): mid-2 only
    assert [await store.idem_seen("s", k) for k in ("old", "mid-1", "mid-2", "new")] == [True, False, False, True]
    assert await store.idem_forget("s", since=start, older_than=start) == 0  # an empty range
    assert await store.idem_forget("s", since=0.0) == 2
