"""An event's `retention:` is its topic's history on the bus: trimmed by age on both backends."""

from __future__ import annotations

import asyncio
import itertools
import shutil
from pathlib import Path

import httpx

from tests.events.conftest import EVENT_DRIVEN
from tests.runtime.support import RunningServe, apply_specs, post_standard, received, wait_until
from weave.bus import Retention, open_bus
from weave.sandbox.cluster import SandboxCluster

TOPIC = "crm.case.resolved"


async def _retained(bus_url: str, probe: str) -> int:
    """How many events the topic still holds: a new group from the earliest retained one, its lag."""
    bus = await open_bus(bus_url)
    try:
        await bus.ensure_group(TOPIC, probe, start="earliest")
        return await bus.lag(TOPIC, probe)
    finally:
        await bus.close()


def test_event_retention_trims_the_topic(cluster: SandboxCluster, tmp_path: Path, repo_root: Path, bus_url: str,
                                         sandbox_env: dict[str, str]) -> None:
    specs = tmp_path / "specs"
    for part in ("specs", "transforms", "contracts"):  # the project, with its transforms and assets
        shutil.copytree(repo_root / part, tmp_path / part)
    crm = specs / "events" / "crm.yaml"
    text = crm.read_text()
    head, case_part = text.split("name: crm.case.resolved", 1)
    crm.write_text(head + "name: crm.case.resolved" + case_part.replace("retention: 7d", "retention: 1s"))
    state_url = f"sqlite:///{tmp_path}/state.db"
    asyncio.run(apply_specs(specs, state_url, only=EVENT_DRIVEN))
    secret = sandbox_env["CRM_WEBHOOK_SECRET"]
    posted: list[int] = []

    def post(client: httpx.Client, url: str) -> None:
        i = len(posted)
        posted.append(i)
        case = {"type": "case.updated", "data": {"id": f"CASE-T{i:03d}", "account_id": "ACC-1", "status": "resolved",
                                                  "subject": f"s{i}", "resolution": "ok", "updated_at": "2025-03-04T10:00:00Z"}}
        assert post_standard(client, f"{url}/hooks/crm/cases", case, secret).status_code == 202

    with RunningServe(state_url, bus_url) as serve, httpx.Client() as client:
        bus = serve.server._bus  # type: ignore[union-attr]
        assert bus.retention_for(TOPIC) == Retention(max_age_s=1.0, approximate=False)
        assert bus.retention_for("crm.order.created") == Retention(max_age_s=7 * 86400.0, approximate=False)
        for _ in range(3):
            post(client, serve.url)
        wait_until(lambda: len(received(cluster, "documents")) >= 3, timeout=30)
        assert serve.call(_retained(bus_url, "probe-0")) == 3

        probes = itertools.count(1)

        def trimmed() -> bool:
            post(client, serve.url)  # publishing applies retention (at most once a second)
            # the first three (older than 1s by now) are gone, the recent ones stay
            return serve.call(_retained(bus_url, f"probe-{next(probes)}")) <= len(posted) - 3

        wait_until(trimmed, timeout=20, interval=0.3)
    assert 1 <= asyncio.run(_retained(bus_url, "probe-last")) <= len(posted) - 3
