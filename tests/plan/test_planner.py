"""Planning whole spec trees: sides, overrides, the direct-connection count, robustness to bad specs."""

from __future__ import annotations

from weave.plan import Limits, plan_project
from weave.plan.rules import EVENT, GATEWAY, HUB, P2P
from weave.spec import load_project

from ._util import SpecTree, integration, owner, system


def _plan(path, **kw):
    load = load_project([path])
    return load, plan_project(load.project, **kw)


def test_bidirectional_lists_one_pattern_per_direction(tree: SpecTree) -> None:
    path = tree.write([owner(), system("crm", role="crm"), system("portal"),
                       integration("sync", "crm", "portal", direction="bidirectional", timing="real-time",
                                   coupling="loose", exposure="partner")])
    _, plan = _plan(path)
    item = plan.get("sync")
    assert item is not None
    assert [d.side for d in item.decisions] == ["push", "pull"]
    assert item.patterns == (EVENT, GATEWAY)


def test_override_is_honoured_and_the_framework_choice_kept(tree: SpecTree) -> None:
    path = tree.write([owner(), system("crm"), system("erp", style="soap", auth="basic"),
                       integration("o", "crm", "erp", pattern="point-to-point", pattern_reason="vendor-certified")])
    _, plan = _plan(path)
    item = plan.get("o")
    assert item is not None and item.override is not None
    assert item.patterns == (P2P,)
    assert item.framework_patterns == (HUB,)
    assert not item.override.agrees and item.override.reason == "vendor-certified"


def test_direct_connections_count_only_point_to_point_and_hub_candidates(tree: SpecTree) -> None:
    # 6 event-driven consumers on the CRM do not add connections it must maintain
    docs = [owner(), system("crm", role="crm"), system("telephony")]
    for i in range(6):
        docs += [system(f"s{i}"), integration(f"ev{i}", "crm", f"s{i}", timing="real-time", coupling="loose")]
    docs.append(integration("calls", "telephony", "crm"))
    _, plan = _plan(tree.write(docs))
    calls = plan.get("calls")
    assert calls is not None
    facts = calls.decisions[0].facts
    assert (facts.busiest_system, facts.connection_count, facts.total_count) == ("crm", 1, 7)
    assert calls.patterns == (P2P,)


def test_more_than_five_direct_connections_move_to_hub(tree: SpecTree) -> None:
    docs = [owner(), system("crm", role="crm")]
    for i in range(6):
        docs += [system(f"s{i}"), integration(f"sync{i}", "crm", f"s{i}")]
    _, plan = _plan(tree.write(docs))
    assert {i.patterns for i in plan.integrations} == {(HUB,)}
    assert all("PF-P2P-TOO-MANY" in [c.rule.id for c in i.decisions[0].contributions] for i in plan.integrations)


def test_thresholds_come_from_weave_toml(tree: SpecTree) -> None:
    docs = [owner(), system("crm", role="crm")]
    for i in range(3):
        docs += [system(f"s{i}"), integration(f"sync{i}", "crm", f"s{i}")]
    path = tree.write(docs, toml="[plan]\npoint_to_point_max = 2\n")
    load, plan = _plan(path)
    assert plan.limits == Limits(point_to_point_max=2)
    assert {i.patterns for i in plan.integrations} == {(HUB,)}
    assert {i.patterns for i in plan_project(load.project, Limits()).integrations} == {(P2P,)}


def test_hub_is_the_declared_hub_or_weave(tree: SpecTree) -> None:
    docs = [owner(), system("crm"), system("erp", style="soap", auth="basic"), system("mule", role="hub"),
            integration("a", "crm", "erp"), integration("b", "crm", "erp", hub="other-hub")]
    _, plan = _plan(tree.write(docs))
    assert plan.get("a").hub == "mule"  # type: ignore[union-attr]
    assert plan.get("b").hub == "other-hub"  # type: ignore[union-attr]


def test_invalid_specs_still_plan_without_crashing(tree: SpecTree) -> None:
    bad = integration("bad", "crm", "x", direction="sideways", volume="lots", timing=3)
    del bad["coupling"]
    load, plan = _plan(tree.write([owner(), system("crm"), bad]))
    assert not load.ok
    item = plan.get("bad")
    assert item is not None and len(item.patterns) == 1
    assert item.decisions[0].facts.records_per_transaction == 0


def test_planning_is_pure_and_repeatable(tree: SpecTree) -> None:
    docs = [owner(), system("crm"), system("erp", style="soap", auth="basic"),
            integration("a", "crm", "erp"), integration("b", "erp", "crm", timing="batch")]
    path = tree.write(docs)
    _, first = _plan(path)
    _, second = _plan(path)
    assert [(i.name, i.patterns, i.decisions[0].scores) for i in first.integrations] == \
        [(i.name, i.patterns, i.decisions[0].scores) for i in second.integrations]
    assert not (tree.root / ".weave").exists()  # no state store touched
