"""`weave events replay` against a real `weave serve` (embedded bus and Redis Streams): only the replayed
subscriber receives history again; an idempotent sink drops what it delivered before unless
`--ignore-idempotency`; the catalog and `weave status` show live lag/pending per subscriber."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime

import httpx
from click.testing import CliRunner

from tests.runtime.support import RunningServe, post_standard, received, wait_until
from weave.cli.main import cli
from weave.sandbox.cluster import SandboxCluster

TOPIC = "crm.case.resolved"


def case(i: int) -> dict:
    return {"type": "case.updated", "data": {"id": f"CASE-R{i:03d}", "account_id": f"ACC-{i % 2}",
                                              "status": "resolved", "subject": f"Issue {i}",
                                              "resolution": "Fixed", "contact": {"email": f"c{i}@example.com"},
                                              "updated_at": "2025-03-04T10:00:00.000000Z"}}


def _cli(*args: str) -> tuple[int, dict]:
    result = CliRunner().invoke(cli, list(args))
    assert result.exit_code == 0, result.output
    return result.exit_code, json.loads(result.output)


def _counts(cluster: SandboxCluster) -> tuple[int, int, int]:
    return (len(received(cluster, "documents")), len(received(cluster, "marketing")),
            len(received(cluster, "email")))


def _metric(text: str, needle: str) -> float:
    lines = [line for line in text.splitlines() if line.startswith(needle)]
    return float(lines[0].rsplit(" ", 1)[1]) if lines else 0.0


def test_replay_reaches_one_subscriber_only(cluster: SandboxCluster, deployed: str, bus_url: str,
                                            sandbox_env: dict[str, str]) -> None:
    secret = sandbox_env["CRM_WEBHOOK_SECRET"]
    opts = ("--state", deployed, "--bus", bus_url)
    since = datetime.fromtimestamp(time.time() - 1, UTC).isoformat().replace("+00:00", "Z")
    with RunningServe(deployed, bus_url) as serve, httpx.Client() as client:
        for i in range(3):
            assert post_standard(client, f"{serve.url}/hooks/crm/cases", case(i), secret).status_code == 202
        wait_until(lambda: _counts(cluster) == (3, 3, 3), timeout=30)

        def settled(name: str) -> dict | None:
            _, catalog = _cli("events", "--format", "json", *opts)
            event = next(e for e in catalog["events"] if e["name"] == TOPIC)
            sub = next(s for s in event["subscribers"] if s["integration"] == name)
            return sub if catalog["live"] and sub["lag"] == 0 and sub["pending"] == 0 else None

        for name in ("case-resolved-archive", "case-resolved-marketing", "case-resolved-survey"):
            assert wait_until(lambda n=name: settled(n))["oldest_pending_age_s"] is None

        # a non-idempotent sink gets the history again; the other subscribers get nothing
        _, result = _cli("events", "replay", TOPIC, "--subscriber", "case-resolved-archive", "--since", since,
                         "--format", "json", *opts)
        assert result["lag"] == 3 and result["idempotent"] is False and result["idempotency_cleared"] is None
        assert result["other_groups"] == ["case-resolved-marketing", "case-resolved-survey"]
        wait_until(lambda: _counts(cluster)[0] == 6, timeout=30)
        docs = received(cluster, "documents")
        assert sorted(d["body"]["external_id"] for d in docs) == sorted(
            [f"CASE-R{i:03d}" for i in range(3)] * 2)

        # an idempotent sink: the replayed events are duplicates, dropped at the sink
        _, result = _cli("events", "replay", TOPIC, "-s", "case-resolved-survey", "--since", "10m",
                         "--format", "json", *opts)
        assert result["lag"] == 3 and result["idempotent"] is True
        dup = ('weave_deliveries_total{integration="case-resolved-survey",owner="support-eng",'
               'pattern="event-driven",result="duplicate",target="email"}')
        wait_until(lambda: _metric(client.get(f"{serve.url}/metrics").text, dup) == 3.0, timeout=30)
        assert _counts(cluster)[2] == 3

        # --ignore-idempotency forgets the records of the replay window (all three here): delivered again
        _, result = _cli("events", "replay", TOPIC, "-s", "case-resolved-survey", "--since", since,
                         "--ignore-idempotency", "--format", "json", *opts)
        assert result["idempotency_cleared"] == 3
        wait_until(lambda: _counts(cluster)[2] == 6, timeout=30)
        assert wait_until(lambda: settled("case-resolved-survey"))
        assert _counts(cluster) == (6, 3, 6)  # marketing never saw a replay
        assert "weave_subscriber_oldest_pending_age_seconds" in client.get(f"{serve.url}/metrics").text

    status = CliRunner().invoke(cli, ["status", "--format", "json", *opts])
    rows = {r["name"]: r for r in json.loads(status.output)["integrations"]}
    assert rows["case-resolved-archive"]["lag"] == 0 and rows["case-resolved-archive"]["pending"] == 0
    assert "oldest_pending_age_s" in rows["case-resolved-survey"]
    assert rows["crm-case-events"]["lag"] is None  # a publisher has no lag


def test_replay_refuses_unknown_subscriber_and_bad_since(deployed: str) -> None:
    runner = CliRunner()
    bad = runner.invoke(cli, ["events", "replay", TOPIC, "-s", "order-to-erp", "--since", "1h", "--state", deployed])
    assert bad.exit_code == 1 and "does not subscribe to crm.case.resolved" in bad.output
    assert "case-resolved-archive" in bad.output
    unknown = runner.invoke(cli, ["events", "replay", "crm.nope", "-s", "x", "--since", "1h", "--state", deployed])
    assert unknown.exit_code == 1 and "not in the deployed catalog" in unknown.output
    not_started = runner.invoke(cli, ["events", "replay", TOPIC, "-s", "case-resolved-archive", "--since", "1h",
                                      "--state", deployed])
    assert not_started.exit_code == 1 and "no consumer group" in not_started.output
    since = runner.invoke(cli, ["events", "replay", TOPIC, "-s", "case-resolved-archive", "--since", "yesterday",
                                "--state", deployed])
    assert since.exit_code == 2 and "ISO 8601" in since.output


def test_replay_since_a_message_id_rewinds_only_that_group(deployed: str, bus_url: str) -> None:
    import asyncio

    from weave.bus import open_bus

    groups = ("case-resolved-archive", "case-resolved-survey")

    async def consume_all() -> list[str]:
        async with await open_bus(bus_url) as bus:
            for group in groups:
                await bus.ensure_group(TOPIC, group)
            ids = [await bus.publish(TOPIC, {"case_id": str(i)}) for i in range(5)]
            for group in groups:
                sub = await bus.subscribe(TOPIC, group, "w")
                got = await sub.fetch(10)
                assert await sub.ack([m.id for m in got]) == 5
            return ids

    async def lags() -> dict[str, int]:
        async with await open_bus(bus_url) as bus:
            return {g: await bus.lag(TOPIC, g) for g in groups}

    ids = asyncio.run(consume_all())
    _, result = _cli("events", "replay", TOPIC, "-s", "case-resolved-archive", "--since", ids[2],
                     "--state", deployed, "--bus", bus_url, "--format", "json")
    assert result["lag"] == 3 and result["other_groups"] == ["case-resolved-survey"]
    assert asyncio.run(lags()) == {"case-resolved-archive": 3, "case-resolved-survey": 0}
