"""Impact analysis on multi-hop cases: system → hub → spokes, system → event → subscribers, and chains."""

from __future__ import annotations

from weave.plan import impact, inventory, plan_project
from weave.spec import load_project

from ._util import SpecTree, integration, owner, system


def _event(name: str, publisher: str | None = None) -> dict:
    doc = {"kind": "event", "name": name, "owner": "team-a", "schema": {"type": "object"}}
    if publisher:
        doc["publisher"] = publisher
    return doc


def _ecosystem(tree: SpecTree):
    rt = {"timing": "real-time", "coupling": "loose"}
    docs = [
        owner(), owner("finance"), owner("ops"), owner("bi"),
        system("crm", role="crm"), system("erp", style="soap", auth="basic"),
        system("mule", role="hub", style="proprietary", auth="none", redundancy="active-active"),
        system("billing"), system("dw", style="sql", auth="none"), system("ops"), system("mail"),
        # system → hub → spokes: the ERP writes into the hub; the hub feeds billing and the warehouse
        integration("erp-to-hub", "erp", "mule", owner="finance"),
        integration("hub-to-billing", "mule", "billing", owner="finance"),
        integration("hub-to-dw", "mule", "dw", owner="bi", timing="batch"),
        # an integration routed through the hub by `hub:`
        integration("erp-fanout", "erp", ["crm", "billing"], owner="finance", hub="mule"),
        # system → event → subscribers, then a second hop through another event
        _event("erp.invoice.posted"), _event("ops.shipment.created"), _event("crm.case.closed", publisher="crm"),
        integration("invoice-events", "erp", "crm", owner="finance", publish={"event": "erp.invoice.posted"}, **rt),
        integration("invoice-to-ops", "crm", "ops", owner="ops", trigger={"event": "erp.invoice.posted"},
                    publish={"event": "ops.shipment.created"}, **rt),
        integration("shipment-mail", "crm", "mail", owner="ops", trigger={"event": "ops.shipment.created"}, **rt),
        integration("case-mail", "crm", "mail", owner="ops", trigger={"event": "crm.case.closed"}, **rt),
        integration("unrelated", "ops", "mail", owner="ops"),
    ]
    load = load_project([tree.write(docs)])
    assert load.ok, [d.message for d in load.diagnostics if d.severity == "error"]
    return load.project, plan_project(load.project)


def test_system_to_hub_to_spokes(tree: SpecTree) -> None:
    project, plan = _ecosystem(tree)
    found = {i.integration: i for i in impact(project, plan, "erp").integrations}
    assert found["erp-to-hub"].via == "direct"
    assert found["hub-to-billing"].via == "hub"
    assert found["hub-to-billing"].path == (("system", "erp"), ("integration", "erp-to-hub"), ("hub", "mule"),
                                            ("integration", "hub-to-billing"))
    assert found["hub-to-dw"].owner == "bi" and found["hub-to-dw"].hops == 3
    assert found["erp-fanout"].downstream == ("crm", "billing")
    assert "hub mule → crm, billing" in found["erp-fanout"].path_text()


def test_system_to_event_to_subscribers_transitively(tree: SpecTree) -> None:
    project, plan = _ecosystem(tree)
    result = impact(project, plan, "erp")
    found = {i.integration: i for i in result.integrations}
    assert found["invoice-to-ops"].via == "event"
    assert found["invoice-to-ops"].path[-2] == ("event", "erp.invoice.posted")
    assert found["shipment-mail"].path == (
        ("system", "erp"), ("integration", "invoice-events"), ("event", "erp.invoice.posted"),
        ("integration", "invoice-to-ops"), ("event", "ops.shipment.created"), ("integration", "shipment-mail"))
    assert "unrelated" not in found and "case-mail" not in found
    assert set(result.events) == {"erp.invoice.posted", "ops.shipment.created"}
    assert result.owners == ("bi", "finance", "ops")
    # shortest paths first
    hops = [i.hops for i in result.integrations]
    assert hops == sorted(hops)


def test_declared_event_publisher_feeds_its_subscribers(tree: SpecTree) -> None:
    project, plan = _ecosystem(tree)
    found = {i.integration: i for i in impact(project, plan, "crm").integrations}
    assert found["case-mail"].via == "direct"  # it reads from the CRM itself
    assert ("event", "crm.case.closed") not in found["case-mail"].path  # shortest path wins


def test_when_the_hub_changes_everything_through_it_breaks(tree: SpecTree) -> None:
    project, plan = _ecosystem(tree)
    found = {i.integration: i for i in impact(project, plan, "mule").integrations}
    assert {"erp-to-hub", "hub-to-billing", "hub-to-dw", "erp-fanout"} <= set(found)
    assert found["erp-fanout"].via == "hub"


def test_unknown_system_is_not_known(tree: SpecTree) -> None:
    project, plan = _ecosystem(tree)
    result = impact(project, plan, "nope")
    assert not result.known and result.integrations == ()


def test_inventory_lists_pattern_systems_owner_and_auth(tree: SpecTree) -> None:
    project, plan = _ecosystem(tree)
    rows = {r.integration: r for r in inventory(project, plan)}
    assert len(rows) == len(project.integrations)
    row = rows["erp-fanout"]
    assert row.owner == "finance" and row.source == "erp" and row.targets == ("crm", "billing")
    assert dict(row.auth) == {"erp": "basic", "crm": "bearer", "billing": "bearer"}
    assert row.hub == "mule" and row.patterns == ("hub-and-spoke",)
    assert rows["invoice-to-ops"].events == ("erp.invoice.posted", "ops.shipment.created")
