"""`weave events`: the catalog as a dependency map, with live lag from the bus when one is there."""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from weave.api.events import event_catalog, parse_since, with_live
from weave.bus import open_bus
from weave.cli.main import cli
from weave.sandbox.services import free_port


def _catalog(*args: str, code: int = 0) -> dict:
    result = CliRunner().invoke(cli, ["events", *args, "--format", "json"])
    assert result.exit_code == code, result.output
    return dict(json.loads(result.output))


def test_the_example_catalog_is_a_dependency_map(repo_root: Path, tmp_path: Path) -> None:
    out = _catalog(str(repo_root / "specs"), "--state", f"sqlite:///{tmp_path}/none.db")
    assert out["format"] == "weave.events/v1"
    events = {e["name"]: e for e in out["events"]}
    assert {"crm.case.resolved", "crm.order.created"} <= set(events)
    order = events["crm.order.created"]
    assert (order["version"], order["owner"], order["publisher"], order["key"], order["retention"]) == (
        1, "sales-ops", "crm", "account_id", "7d")
    assert order["publishers"] == ["crm-order-events"]
    subs = {s["integration"]: (s["targets"], s["idempotent"], s["owner"]) for s in order["subscribers"]}
    assert subs["order-to-erp"] == (["erp"], True, "finance-it")
    assert subs["order-to-fulfillment"] == (["operations"], True, "ops-integration")
    cases = events["crm.case.resolved"]
    assert {"case-resolved-archive", "case-resolved-marketing", "case-resolved-survey"} <= {
        s["integration"] for s in cases["subscribers"]}
    # nothing deployed: no live columns, no failure, and no state file created
    assert out["live"] is None and "nothing deployed" in out["live_error"]
    assert all(s["lag"] is None for s in cases["subscribers"])
    assert not (tmp_path / "none.db").exists()


def test_text_view_and_unknown_events(tmp_path: Path) -> None:
    (tmp_path / "specs").mkdir()
    (tmp_path / "specs" / "a.yaml").write_text(
        "kind: event\nname: shop.paid\nversion: 2\nowner: team\npublisher: shop\nschema: {type: object}\n")
    result = CliRunner().invoke(cli, ["events", str(tmp_path / "specs"), "--no-live"])
    assert result.exit_code == 0, result.output
    assert "shop.paid v2  owner team  system shop" in result.output
    assert "no publishing integration" in result.output and "subscribers   none" in result.output
    catalog = event_catalog([tmp_path / "specs"])
    assert [e.name for e in catalog.events] == ["shop.paid"] and catalog.unknown == {}


def test_spec_errors_exit_1_but_still_list(tmp_path: Path) -> None:
    (tmp_path / "specs").mkdir()
    (tmp_path / "specs" / "a.yaml").write_text("kind: event\nname: shop.paid\nversion: one\n")
    out = _catalog(str(tmp_path / "specs"), "--no-live", code=1)
    assert out["format"] == "weave.events/v1"


def test_live_lag_and_pending_per_subscriber(repo_root: Path, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/state.db"

    async def scenario() -> None:
        bus = await open_bus(url)
        async with bus:
            await bus.ensure_group("crm.order.created", "order-to-erp")
            await bus.ensure_group("crm.order.created", "order-to-fulfillment")
            for i in range(4):
                await bus.publish("crm.order.created", {"order_id": str(i)})
            sub = await bus.subscribe("crm.order.created", "order-to-erp", "w1")
            got = await sub.fetch(3)
            await sub.ack([got[0].id])  # 1 acked, 2 pending, 1 not delivered

    asyncio.run(scenario())
    out = _catalog(str(repo_root / "specs"), "--bus", url, "--state", url)
    assert out["live"] == "sqlite"
    subs = {s["integration"]: s for e in out["events"] for s in e["subscribers"]}
    assert (subs["order-to-erp"]["lag"], subs["order-to-erp"]["pending"]) == (1, 2)
    assert subs["order-to-erp"]["oldest_pending_age_s"] >= 0
    assert (subs["order-to-fulfillment"]["lag"], subs["order-to-fulfillment"]["pending"]) == (4, 0)
    assert subs["case-resolved-survey"]["lag"] is None  # no group yet: never started
    text = CliRunner().invoke(cli, ["events", str(repo_root / "specs"), "--bus", url, "--state", url])
    assert re.search(r"order-to-erp +→ erp  owner finance-it  idempotent  lag 1  pending 2  oldest \d", text.output)


def test_unreachable_redis_does_not_fail(repo_root: Path) -> None:
    catalog = asyncio.run(with_live(event_catalog([repo_root / "specs"]), f"redis://127.0.0.1:{free_port()}/0"))
    assert catalog.live is None and catalog.live_error and "not reachable" in catalog.live_error
    assert {"crm.case.resolved", "crm.order.created"} <= {e.name for e in catalog.events}


@pytest.mark.parametrize(("text", "expected"), [
    ("123", "123"), ("1700000000000-0", "1700000000000-0"), ("2h", 1_000_000.0 - 7200),
    ("2025-03-04T09:00:00Z", 1741078800.0), ("2025-03-04T10:00:00+01:00", 1741078800.0),
    ("2025-03-04T09:00:00", 1741078800.0),
])
def test_since_forms(text: str, expected: float | str) -> None:
    assert parse_since(text, now=1_000_000.0) == expected
