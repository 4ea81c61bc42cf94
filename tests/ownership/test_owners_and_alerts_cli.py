"""`weave owners` (not deployed, and deployed with health and open alerts) and `weave alerts [ack|silence]`."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.ownership.test_serve_alerts import SPECS
from tests.runtime.support import apply_specs
from weave.cli.main import cli
from weave.state import open_state

ROOT = Path(__file__).resolve().parents[2]


def test_owners_of_the_example_ecosystem_not_deployed(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["owners", str(ROOT / "specs"), "--format", "json",
                                      "--state", f"sqlite:///{tmp_path / 'none.db'}"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["format"] == "weave.owners/v1" and data["revision"] == 0
    owners = {o["name"]: o for o in data["owners"]}
    assert len(owners) >= 8 and "ops-integration" in owners and owners["ops-integration"]["declared"]
    ops = owners["ops-integration"]
    assert ops["contacts"]["chat_webhook"] == "${env:OPS_SLACK}"  # a reference, never resolved
    assert ops["escalation"] == {"after": "30m", "contacts": {"email": "ops-duty@acme.example"}}
    assert "order-to-fulfillment" in [i["name"] for i in ops["integrations"]]
    assert {i["health"] for o in owners.values() for i in o["integrations"]} == {"not deployed"}
    assert "integration-hub" in owners["crm-platform"]["systems"]
    assert not (tmp_path / "none.db").exists()  # reading health never creates a state store


def test_owners_with_health_and_open_alerts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "specs").mkdir()
    (tmp_path / "specs" / "all.yaml").write_text(SPECS + "---\nkind: system\nname: erp\nowner: finance\n"
                                                 "api: {style: rest, base_url: 'http://x'}\n")
    url = f"sqlite:///{tmp_path / 'state.db'}"
    for key in ("CRM_URL", "OPERATIONS_URL", "CRM_TOKEN", "OPERATIONS_API_KEY", "HOOK_SECRET"):
        monkeypatch.setenv(key, "http://127.0.0.1:9" if key.endswith("URL") else "x" * 12)
    asyncio.run(apply_specs(tmp_path / "specs", url))

    async def breach() -> None:
        async with await open_state(url) as store:
            await store.record_delivery("ship-orders", False, 5.0)
            await store.alerts_open("ship-orders", "error_rate", "100% errors", owner="ops")

    asyncio.run(breach())
    result = CliRunner().invoke(cli, ["owners", str(tmp_path / "specs"), "--state", url, "--format", "json"])
    data = json.loads(result.output)
    owners = {o["name"]: o for o in data["owners"]}
    assert data["revision"] == 1
    assert owners["ops"]["integrations"] == [{"name": "ship-orders", "health": "failing",
                                              "open_alerts": ["error_rate"]}]
    assert owners["ops"]["health"] == "failing"
    assert owners["finance"]["declared"] is False and owners["finance"]["systems"] == ["erp"]
    assert data["unreachable"] == ["finance"] and result.exit_code == 1  # no contacts: nobody to alert
    text = CliRunner().invoke(cli, ["owners", str(tmp_path / "specs"), "--state", url])
    assert text.exit_code == 1 and "weave owners — revision 1" in text.output


def test_alerts_list_ack_and_silence(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'state.db'}"

    async def seed() -> int:
        async with await open_state(url) as store:
            alert, _ = await store.alerts_open("ship-orders", "freshness", "stale for 2h", owner="ops")
            resolved, _ = await store.alerts_open("old", "dlq_depth", "3 dead letters", owner="ops")
            await store.alerts_resolve(resolved.id)
            return alert.id

    alert_id = asyncio.run(seed())
    runner = CliRunner()
    listed = runner.invoke(cli, ["alerts", "--state", url, "--format", "json"])
    assert listed.exit_code == 1  # an open, unacknowledged alert
    data = json.loads(listed.output)
    assert data["format"] == "weave.alerts/v1" and [a["slo"] for a in data["alerts"]] == ["dlq_depth", "freshness"]
    only_open = json.loads(runner.invoke(cli, ["alerts", "--state", url, "--status", "open", "--format",
                                               "json"]).output)
    assert [a["id"] for a in only_open["alerts"]] == [alert_id]
    acked = runner.invoke(cli, ["alerts", "ack", str(alert_id), "--by", "ann", "--state", url])
    assert acked.exit_code == 0 and "acknowledged alert" in acked.output
    again = runner.invoke(cli, ["alerts", "ack", str(alert_id), "--state", url])
    assert again.exit_code == 1 and "acknowledged by ann" in again.output
    assert runner.invoke(cli, ["alerts", "ack", "999", "--state", url]).exit_code == 1
    assert runner.invoke(cli, ["alerts", "--state", url]).exit_code == 0  # acknowledged: nothing unhandled
    closed = runner.invoke(cli, ["alerts", "resolve", str(alert_id), "--state", url, "--format", "json"])
    assert closed.exit_code == 0 and json.loads(closed.output) == {"resolved": True, "id": alert_id,
                                                                   "status": "resolved"}
    assert runner.invoke(cli, ["alerts", "resolve", str(alert_id), "--state", url]).exit_code == 1
    silenced = runner.invoke(cli, ["alerts", "silence", "ship-orders", "--for", "2h", "--reason", "maintenance",
                                   "--state", url, "--format", "json"])
    assert silenced.exit_code == 0, silenced.output
    until = json.loads(silenced.output)["until"]
    assert abs(until - (time.time() + 7200)) < 60
    text = runner.invoke(cli, ["alerts", "--state", url]).output
    assert "silenced: ship-orders until" in text and "maintenance" in text
    bad = runner.invoke(cli, ["alerts", "silence", "ship-orders", "--for", "soon", "--state", url])
    assert bad.exit_code == 2 and "invalid duration" in bad.output
    lifted = runner.invoke(cli, ["alerts", "silence", "ship-orders", "--for", "0s", "--state", url])
    assert "lifted" in lifted.output
    assert json.loads(runner.invoke(cli, ["alerts", "--state", url, "--format", "json"]).output)["silences"] == []
