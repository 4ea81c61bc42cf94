"""A late retry is not forgotten by `weave events replay --ignore-idempotency`.

An event published BEFORE the replay window whose delivery was retried, and so committed its idempotency
record INSIDE the window, keeps that record: only the records of the replayed events are forgotten, so the
old event coming round again is still dropped as a duplicate, while the window's events are delivered again.

End to end on both state backends (SQLite and a real PostgreSQL): a real `weave serve` on the embedded bus,
the email sandbox made slow and failing once (fault injection), and the `weave` CLI as a subprocess."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from pathlib import Path

import httpx
import pytest

from tests.events.test_replay_window import SCOPE, SUB, TOPIC, event, key, publish, seen, settled, weave
from tests.runtime.conftest import EVENT_DRIVEN
from tests.runtime.support import RunningServe, apply_specs, received, wait_until
from weave.sandbox.cluster import SandboxCluster
from weave.state import open_state

MAIL = "/v3/mail/send"
DUPLICATES = ('weave_deliveries_total{integration="case-resolved-survey",owner="support-eng",'
              'pattern="event-driven",result="duplicate",target="email"}')


@pytest.fixture(params=["sqlite", "postgresql"])
def state_url(request: pytest.FixtureRequest, tmp_path: Path, repo_root: Path, sandbox_env: dict[str, str]) -> str:
    url = f"sqlite:///{tmp_path}/state.db" if request.param == "sqlite" else str(request.getfixturevalue("pg_dsn"))
    asyncio.run(apply_specs(repo_root / "specs", url, only=EVENT_DRIVEN))
    return url


def fault_applied(email: str) -> int:
    response = httpx.get(f"{email}/_faults")
    response.raise_for_status()
    return sum(int(rule["applied"]) for rule in response.json()["rules"])


def sent(cluster: SandboxCluster) -> Counter[str]:
    return Counter(item["body"]["subject"] for item in received(cluster, "email"))


def recorded_event(state_url: str, i: int) -> str | None:
    async def go() -> str | None:
        async with await open_state(state_url) as state:
            found = await state.idem_event(SCOPE, key(i))
            return None if found is None else found.id

    return asyncio.run(go())


def test_a_late_retry_of_an_older_event_stays_deduplicated(cluster: SandboxCluster, state_url: str,
                                                           tmp_path: Path) -> None:
    bus_url = f"sqlite:///{tmp_path}/bus.db"
    opts = ("--state", state_url, "--bus", bus_url)
    email = cluster.urls["email"]
    late, window = range(20, 21), range(21, 23)
    # the first delivery attempt of the old event is slow and fails: it is retried and committed late
    httpx.post(f"{email}/_faults", json={"status": 503, "count": 1, "delay_ms": 1500,
                                         "path": MAIL}).raise_for_status()
    try:
        with RunningServe(state_url, bus_url) as serve, httpx.Client() as client:
            (late_id,) = publish(bus_url, late)
            wait_until(lambda: fault_applied(email) == 1, timeout=30)  # its first attempt is under way
            window_ids = publish(bus_url, window)  # the window starts while the old event is in flight
            wait_until(lambda: all(seen(state_url, range(20, 23))), timeout=30)
            wait_until(lambda: settled(bus_url), timeout=30)
            assert recorded_event(state_url, 20) == late_id  # each record knows its event
            assert [recorded_event(state_url, i) for i in window] == window_ids
            assert sum(sent(cluster).values()) == 3

            done = weave("events", "replay", TOPIC, "-s", SUB, "--since", window_ids[0], "--ignore-idempotency",
                         "--format", "json", *opts)
            assert done.returncode == 0, done.stderr
            result = json.loads(done.stdout)
            assert result["lag"] == 2 and result["idempotency_cleared"] == 2  # the window's two, not the late one
            assert result["idempotency_cleared_from"] == window_ids[0]
            assert result["idempotency_cleared_legacy"] == 0
            assert seen(state_url, late) == [True]  # committed inside the window, for an older event: kept

            # the window's events are delivered again
            wait_until(lambda: sum(sent(cluster).values()) == 5, timeout=30)
            wait_until(lambda: settled(bus_url), timeout=30)

            # the old event comes round again: still a duplicate (before the fix, it was delivered twice)
            again = weave("events", "replay", TOPIC, "-s", SUB, "--since", late_id, *opts)
            assert again.returncode == 0, again.stderr
            assert "3 event(s) to deliver" in again.stdout

            def duplicates() -> float:
                lines = [ln for ln in client.get(f"{serve.url}/metrics").text.splitlines()
                         if ln.startswith(DUPLICATES)]
                return float(lines[0].rsplit(" ", 1)[1]) if lines else 0.0

            wait_until(lambda: duplicates() == 3.0, timeout=30)
            wait_until(lambda: settled(bus_url), timeout=30)
            counts = sent(cluster)
            subjects = {i: counts[f"How did we do? {event(i)['subject']}"] for i in range(20, 23)}
            assert subjects == {20: 1, 21: 2, 22: 2}
    finally:
        httpx.delete(f"{email}/_faults").raise_for_status()
