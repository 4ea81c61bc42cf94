"""`weave events replay --ignore-idempotency` forgets only the replay window's idempotency records.

End to end: a real `weave serve` (embedded bus and Redis Streams), a keyed sink (case-resolved-survey → email),
and the `weave` CLI as a subprocess. Events before the window keep their records, so they stay deduplicated
when they come round again; the window's events are delivered again."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from tests.runtime.support import RunningServe, received, wait_until
from weave.api.events import CLOCK_TOLERANCE_S, EventsError, replay_window_first, replay_window_start
from weave.bus import open_bus
from weave.patterns.event_driven import event_position
from weave.sandbox.cluster import SandboxCluster
from weave.state import IdemEvent, open_state

TOPIC = "crm.case.resolved"
SUB = "case-resolved-survey"
SCOPE = f"{SUB}:email"  # the sink's idempotency scope: <integration>:<target>
DUPLICATES = ('weave_deliveries_total{integration="case-resolved-survey",owner="support-eng",'
              'pattern="event-driven",result="duplicate",target="email"}')


def event(i: int) -> dict[str, Any]:
    return {"case_id": f"CASE-W{i:03d}", "account_id": f"ACC-{i % 2}", "contact_email": f"w{i}@example.com",
            "subject": f"Window {i}", "resolution": "Fixed", "resolved_at": "2025-03-04T10:00:00Z"}


def key(i: int) -> str:  # the survey's idempotency_key: join(':', ['survey', to, subject]) after its map
    return f"survey:w{i}@example.com:How did we do? Window {i}"


def weave(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "weave", *args], capture_output=True, text=True, timeout=120,
                          stdin=subprocess.DEVNULL)


def publish(bus_url: str, numbers: range) -> list[str]:
    async def go() -> list[str]:
        async with await open_bus(bus_url) as bus:
            return [await bus.publish(TOPIC, event(i), key=event(i)["account_id"]) for i in numbers]

    return asyncio.run(go())


def seen(state_url: str, numbers: range) -> list[bool]:
    async def go() -> list[bool]:
        async with await open_state(state_url) as state:
            return [await state.idem_seen(SCOPE, key(i)) for i in numbers]

    return asyncio.run(go())


def settled(bus_url: str) -> bool:
    async def go() -> bool:
        async with await open_bus(bus_url) as bus:
            info = await bus.info(TOPIC, SUB)
            return info.lag == 0 and info.pending.count == 0

    return asyncio.run(go())


def past_tolerance() -> float:
    """Now, once the clock is beyond every record written so far by more than the replay's clock tolerance:
    an event published after this is in a window whose cutoff is after all those records."""
    mark = time.time()
    wait_until(lambda: time.time() > mark + CLOCK_TOLERANCE_S + 0.05, timeout=5)
    return mark


def subjects(cluster: SandboxCluster) -> Counter[str]:
    return Counter(item["body"]["subject"] for item in received(cluster, "email"))


def test_ignore_idempotency_forgets_only_the_replay_window(cluster: SandboxCluster, deployed: str,
                                                           bus_url: str) -> None:
    opts = ("--state", deployed, "--bus", bus_url)
    old, new = range(0, 3), range(3, 6)
    with RunningServe(deployed, bus_url) as serve, httpx.Client() as client:
        old_ids = publish(bus_url, old)
        wait_until(lambda: all(seen(deployed, old)), timeout=30)
        mark = past_tolerance()
        new_ids = publish(bus_url, new)
        wait_until(lambda: all(seen(deployed, new)), timeout=30)
        wait_until(lambda: settled(bus_url), timeout=30)
        assert sum(subjects(cluster).values()) == 6

        done = weave("events", "replay", TOPIC, "-s", SUB, "--since", new_ids[0], "--ignore-idempotency",
                     "--format", "json", *opts)
        assert done.returncode == 0, done.stderr
        result = json.loads(done.stdout)
        assert result["format"] == "weave.events.replay/v1" and result["lag"] == 3
        assert result["idempotency_cleared"] == 3  # the window's three records, not all six
        assert result["idempotency_cleared_from"] == new_ids[0] and result["idempotency_cleared_legacy"] == 0
        assert mark < result["idempotency_cleared_since"] < time.time()
        assert seen(deployed, old) == [True] * 3  # records older than the window stay

        # the window's events are delivered again; the older ones are not
        wait_until(lambda: sum(subjects(cluster).values()) == 9, timeout=30)
        wait_until(lambda: settled(bus_url), timeout=30)
        counts = subjects(cluster)
        assert {s: counts[f"How did we do? Window {i}"] for i, s in enumerate("abcdef")} == {
            "a": 1, "b": 1, "c": 1, "d": 2, "e": 2, "f": 2}

        # older events coming round again (a replay from before the window, without the flag) are duplicates
        again = weave("events", "replay", TOPIC, "-s", SUB, "--since", old_ids[0], *opts)
        assert again.returncode == 0, again.stderr
        assert "6 event(s) to deliver" in again.stdout and "dropped as duplicates" in again.stdout

        def duplicates() -> float:
            lines = [ln for ln in client.get(f"{serve.url}/metrics").text.splitlines() if ln.startswith(DUPLICATES)]
            return float(lines[0].rsplit(" ", 1)[1]) if lines else 0.0

        wait_until(lambda: duplicates() == 6.0, timeout=30)
        wait_until(lambda: settled(bus_url), timeout=30)
        assert sum(subjects(cluster).values()) == 9


def test_text_output_and_an_empty_window(deployed: str) -> None:
    """Embedded bus (the state file): the counts in text, the window start in UTC; no event in the window
    forgets nothing."""
    opts = ("--state", deployed)

    def of(message_id: str) -> IdemEvent:
        position = event_position(message_id, "sqlite")
        assert position is not None
        return IdemEvent(TOPIC, message_id, position)

    async def prepare() -> list[str]:
        async with await open_bus(deployed) as bus, await open_state(deployed) as state:
            await bus.ensure_group(TOPIC, SUB)
            older = await bus.publish(TOPIC, event(9))
            ids = [await bus.publish(TOPIC, event(i)) for i in range(2)]
            for i in range(2):
                assert await state.idem_check_and_set(SCOPE, key(i), event=of(ids[i]))
            # the older event's record, committed after the window's events (a late retry): kept
            assert await state.idem_check_and_set(SCOPE, "before-the-window", event=of(older))
            return ids

    ids = asyncio.run(prepare())
    done = weave("events", "replay", TOPIC, "-s", SUB, "--since", ids[0], "--ignore-idempotency", *opts)
    assert done.returncode == 0, done.stderr
    assert f"forgot 2 idempotency record(s) of the replayed events (from message {ids[0]} on)" in done.stdout
    assert "records of older events are kept, even those committed during the window" in done.stdout
    assert "of those, 0 record(s) written before state migration 5" in done.stdout
    stamp = done.stdout.split("committed since ", 1)[1].split()[0]
    assert stamp.endswith("Z") and datetime.fromisoformat(stamp).tzinfo == UTC

    async def records() -> list[bool]:
        async with await open_state(deployed) as state:
            return [await state.idem_seen(SCOPE, k) for k in ("before-the-window", key(0), key(1))]

    assert asyncio.run(records()) == [True, False, False]

    beyond = weave("events", "replay", TOPIC, "-s", SUB, "--since", str(int(ids[-1]) + 1), "--ignore-idempotency",
                   "--format", "json", *opts)
    assert beyond.returncode == 0, beyond.stderr
    result = json.loads(beyond.stdout)
    assert (result["idempotency_cleared"], result["idempotency_cleared_since"]) == (0, None)
    assert (result["idempotency_cleared_from"], result["idempotency_cleared_legacy"]) == (None, None)
    assert result["lag"] == 3  # nobody consumed the three events: the cursor does not move forward
    assert asyncio.run(records())[0] is True

    redis_id = weave("events", "replay", TOPIC, "-s", SUB, "--since", "1700000000000-0", "--ignore-idempotency",
                     *opts)
    assert redis_id.returncode == 1 and "ids of the embedded bus are integers" in redis_id.stderr
    assert asyncio.run(records())[0] is True  # refused before anything was forgotten
    plain = weave("events", "replay", TOPIC, "-s", SUB, "--since", "1700000000000-0", *opts)
    assert plain.returncode == 1 and "invalid message id" in plain.stderr  # the bus's refusal, not a traceback


async def test_window_start_of_each_since_form(tmp_path: Any, redis_url: str) -> None:
    """A time is its own start; a Redis id its millisecond time; an embedded id the first retained event at or
    after it (None past the newest)."""
    async with await open_bus(f"sqlite:///{tmp_path}/bus.db") as bus:
        before = time.time()
        ids = [await bus.publish(TOPIC, event(i)) for i in range(3)]
        after = time.time()
        assert await replay_window_start(bus, TOPIC, 1234.5) == 1234.5
        first = await replay_window_start(bus, TOPIC, "0")  # older than what is retained: the first event
        second = await replay_window_start(bus, TOPIC, ids[1])
        assert first is not None and second is not None and before <= first <= second <= after
        assert await replay_window_start(bus, TOPIC, str(int(ids[-1]) + 1)) is None
        assert await replay_window_start(bus, "another.topic", ids[0]) is None
        with pytest.raises(EventsError, match="integers"):
            await replay_window_start(bus, TOPIC, "1700000000000-0")
    async with await open_bus(redis_url) as bus:
        assert await replay_window_start(bus, TOPIC, "1700000000123-4") == 1700000000.123
        assert await replay_window_start(bus, TOPIC, "1700000000000") == 1700000000.0


async def test_window_first_event_of_each_since_form(tmp_path: Any, redis_url: str) -> None:
    """The first message a replay re-delivers: what `--ignore-idempotency` forgets the records from."""
    async with await open_bus(f"sqlite:///{tmp_path}/bus.db") as bus:
        ids = [await bus.publish(TOPIC, event(i)) for i in range(3)]
        assert await replay_window_first(bus, TOPIC, "0") == ids[0]  # the first retained event
        assert await replay_window_first(bus, TOPIC, ids[1]) == ids[1]
        assert await replay_window_first(bus, TOPIC, str(int(ids[-1]) + 1)) is None
        assert await replay_window_first(bus, TOPIC, 0.0) == ids[0]
        assert await replay_window_first(bus, TOPIC, time.time() + 60) is None
        with pytest.raises(EventsError, match="integers"):
            await replay_window_first(bus, TOPIC, "1700000000000-0")
    async with await open_bus(redis_url) as bus:
        assert await replay_window_first(bus, TOPIC, "1700000000123-4") == "1700000000123-4"
        assert await replay_window_first(bus, TOPIC, "1700000000000") == "1700000000000-0"
        assert await replay_window_first(bus, TOPIC, 1700000000.5) == "1700000000500-0"


def test_event_positions_sort_like_the_bus_order() -> None:
    embedded = ["2", "9", "10", "123", "9000000000000000000"]
    assert sorted(embedded, key=lambda i: str(event_position(i, "sqlite"))) == embedded
    redis = ["999-5", "1000-0", "1000-1", "1000-10", "1700000000000-2", "1700000000001-0"]
    assert sorted(redis, key=lambda i: str(event_position(i, "redis"))) == redis
    assert event_position("1000", "redis") == event_position("1000-0", "redis")
    assert event_position("1-0", "sqlite") is None and event_position("x", "redis") is None
    assert event_position("5", "kafka") is None  # no known order: such records carry no event
