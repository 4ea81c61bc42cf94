"""The portfolio audit: one test per WV5xx code, with positions at the spec field, and `weave validate`."""

from __future__ import annotations

from weave.api import validate
from weave.codes import CODES
from weave.diagnostics import Diagnostic
from weave.plan import audit, plan_project
from weave.spec import load_project

from ._util import SpecTree, integration, owner, system


def _audit(path) -> list[Diagnostic]:
    load = load_project([path])
    return audit(load.project, plan_project(load.project))


def _codes(diags: list[Diagnostic]) -> list[str]:
    return [d.code for d in diags]


def _line_of(path, text: str) -> int:
    lines = (path / "all.yaml").read_text().splitlines()
    return next(i for i, line in enumerate(lines, 1) if text in line)


def test_wv501_override_the_framework_disagrees_with(tree: SpecTree) -> None:
    path = tree.write([owner(), system("crm"), system("erp", style="soap", auth="basic"),
                       integration("o", "crm", "erp", pattern="etl-batch", pattern_reason="legacy window")])
    [d] = [d for d in _audit(path) if d.code == "WV501"]
    assert d.severity == "warning"
    assert "the framework chooses hub-and-spoke" in d.message
    assert d.line == _line_of(path, "pattern: etl-batch")


def test_wv502_override_that_agrees_is_redundant_info(tree: SpecTree) -> None:
    path = tree.write([owner(), system("crm"), system("erp", style="soap", auth="basic"),
                       integration("o", "crm", "erp", pattern="hub-and-spoke", pattern_reason="standard")])
    [d] = [d for d in _audit(path) if d.code in ("WV501", "WV502")]
    assert (d.code, d.severity) == ("WV502", "info")


def test_wv503_point_to_point_sprawl(tree: SpecTree) -> None:
    docs = [owner(), system("crm")]
    for i in range(6):
        docs += [system(f"s{i}"), integration(f"p{i}", "crm", f"s{i}", pattern="point-to-point",
                                              pattern_reason="quick win")]
    path = tree.write(docs)
    [d] = [d for d in _audit(path) if d.code == "WV503"]
    assert "system 'crm' has 6 point-to-point integrations (limit 5)" in d.message
    assert d.line == _line_of(path, "name: crm")
    assert d.data["integrations"] == [f"p{i}" for i in range(6)]
    # five is within the limit
    path = tree.write(docs[:-2])
    assert "WV503" not in _codes(_audit(path))


def test_wv504_point_to_point_to_a_non_standard_api(tree: SpecTree) -> None:
    path = tree.write([owner(), system("crm"), system("erp", style="soap", auth="basic"),
                       integration("o", "crm", "erp", pattern="point-to-point", pattern_reason="x")])
    [d] = [d for d in _audit(path) if d.code == "WV504"]
    assert "'erp', a non-standard API (soap, auth basic)" in d.message
    assert d.line == _line_of(path, "target: erp")


def test_wv505_hub_with_many_spokes_and_no_redundancy(tree: SpecTree) -> None:
    spokes = [f"s{i}" for i in range(5)]
    docs = [owner(), system("crm"), system("mule", role="hub", style="proprietary", auth="none"),
            *[system(s, style="soap", auth="basic") for s in spokes],
            integration("fan", "crm", spokes)]
    path = tree.write(docs)
    [d] = [d for d in _audit(path) if d.code == "WV505"]
    assert "hub 'mule' connects 6 systems" in d.message and "declares no redundancy" in d.message
    assert d.line == _line_of(path, "name: mule")
    docs[2]["redundancy"] = "none"
    path = tree.write(docs)
    [d] = [d for d in _audit(path) if d.code == "WV505"]
    assert "declares `redundancy: none`" in d.message and d.line == _line_of(path, "redundancy: none")
    docs[2]["redundancy"] = "active-passive"
    assert "WV505" not in _codes(_audit(tree.write(docs)))


def test_wv505_the_builtin_weave_hub_counts_too(tree: SpecTree) -> None:
    spokes = [f"s{i}" for i in range(5)]
    docs = [owner(), system("crm"), *[system(s, style="soap", auth="basic") for s in spokes],
            integration("fan", "crm", spokes)]
    [d] = [d for d in _audit(tree.write(docs)) if d.code == "WV505"]
    assert "hub 'weave'" in d.message
    assert "WV505" not in _codes(_audit(tree.write(docs, toml='[hub]\nredundancy = "active-active"\n')))


def test_wv506_owner_with_too_many_integrations_configurable(tree: SpecTree) -> None:
    docs = [owner(), system("crm")]
    for i in range(4):
        docs += [system(f"s{i}"), integration(f"i{i}", "crm", f"s{i}")]
    path = tree.write(docs, toml="[audit]\nmax_integrations_per_owner = 3\n")
    [d] = [d for d in _audit(path) if d.code == "WV506"]
    assert "owner 'team-a' owns 4 integrations (limit 3)" in d.message
    assert d.line == _line_of(path, "name: team-a")
    assert "WV506" not in _codes(_audit(tree.write(docs, toml="[audit]\nmax_integrations_per_owner = 4\n")))


def test_wv507_real_time_with_huge_transactions(tree: SpecTree) -> None:
    path = tree.write([owner(), system("crm"), system("dw"),
                       integration("rt", "crm", "dw", timing="real-time",
                                   volume={"records_per_transaction": 2_000_000, "transactions_per_day": 1})])
    [d] = [d for d in _audit(path) if d.code == "WV507"]
    assert "2,000,000 records per transaction" in d.message
    assert d.line == _line_of(path, "records_per_transaction: 2000000")


def test_wv508_external_exposure_on_a_push_only_integration(tree: SpecTree) -> None:
    path = tree.write([owner(), system("crm"), system("partner"),
                       integration("p", "crm", "partner", exposure="partner")])
    [d] = [d for d in _audit(path) if d.code == "WV508"]
    assert d.line == _line_of(path, "exposure: partner")
    path = tree.write([owner(), system("crm"), system("partner"),
                       integration("p", "crm", "partner", exposure="partner", direction="pull")])
    assert "WV508" not in _codes(_audit(path))


def test_missing_owners_are_reported_once_by_wv304_not_by_the_audit(tree: SpecTree) -> None:
    lonely = integration("nobody", "crm", "erp")
    del lonely["owner"]
    erp = system("erp")
    del erp["owner"]
    result = validate([tree.write([owner(), system("crm"), erp, lonely])])
    wv304 = [d for d in result.diagnostics if d.code == "WV304"]
    assert sorted(d.message for d in wv304) == ["integration 'nobody' has no owner", "system 'erp' has no owner"]
    assert not [d for d in result.diagnostics if d.code.startswith("WV5") and "owner" in d.message]


def test_weave_validate_reports_the_audit(tree: SpecTree) -> None:
    path = tree.write([owner(), system("crm"), system("erp", style="soap", auth="basic"),
                       integration("o", "crm", "erp", pattern="point-to-point", pattern_reason="x")])
    result = validate([path])
    assert {"WV501", "WV504"} <= set(_codes(result.diagnostics))
    assert result.ok  # warnings only


def test_every_audit_code_is_registered_and_tested() -> None:
    source = open(__file__).read()
    wv5 = [code for code in CODES if code.startswith("WV5")]
    assert wv5 == [f"WV50{i}" for i in range(1, 9)]
    assert all(f"test_{code.lower()}_" in source for code in wv5)
