"""The breaking-change scenario end to end through the CLI: the ERP renames a field and removes an
operation; `weave validate --against-ref HEAD` names exactly the example integrations that break, with
their owners, at the spec positions responsible."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

GIT = ["git", "-c", "user.name=weave-test", "-c", "user.email=test@weave.invalid", "-c", "commit.gpgsign=false"]


def _weave(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "200"}
    return subprocess.run([sys.executable, "-m", "weave", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=120, env=env, check=False)


@pytest.fixture
def ecosystem(tmp_path: Path, repo_root: Path) -> Path:
    for name in ("specs", "transforms", "contracts"):
        shutil.copytree(repo_root / name, tmp_path / name)
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    subprocess.run([*GIT, "add", "-A"], cwd=tmp_path, check=True)
    subprocess.run([*GIT, "commit", "-q", "-m", "example ecosystem"], cwd=tmp_path, check=True)
    return tmp_path


def _line_of(path: Path, needle: str) -> tuple[int, int]:
    for number, text in enumerate(path.read_text().splitlines(), 1):
        if needle in text:
            return number, text.index(needle) + 1
    raise AssertionError(f"{needle!r} not in {path}")


def _erp_changes(root: Path) -> None:
    """ERP release 2: CrmId is renamed CrmReference, CreateOrder is withdrawn."""
    wsdl = root / "contracts" / "erp.wsdl"
    lines = wsdl.read_text().replace('name="CrmId"', 'name="CrmReference"').splitlines(keepends=True)
    wsdl.write_text("".join(line for line in lines if '<wsdl:operation name="CreateOrder">' not in line))


def test_erp_rename_and_removed_operation(ecosystem: Path) -> None:
    clean = _weave("validate", "specs", "--against-ref", "HEAD", "--format", "json", cwd=ecosystem)
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert not [d for d in json.loads(clean.stdout)["diagnostics"] if d["code"] in ("WV707", "WV708")]

    _erp_changes(ecosystem)
    result = _weave("validate", "specs", "--against-ref", "HEAD", "--format", "json", cwd=ecosystem)
    assert result.returncode == 1, result.stdout + result.stderr
    diagnostics = json.loads(result.stdout)["diagnostics"]
    broken = {(d["data"]["integration"], d["data"]["owner"], d["data"]["change"]["kind"], d["data"]["field"],
               d["file"], d["line"], d["column"]) for d in diagnostics if d["code"] == "WV707"}
    create_order = _line_of(ecosystem / "specs/integrations/event-driven.yaml", "CreateOrder")
    crm_id = _line_of(ecosystem / "transforms/acme/accounts.yaml", "{CrmId: account_id")
    nightly = ecosystem / "specs/integrations/etl-batch.yaml"
    filter_at, map_at = _line_of(nightly, 'filter: "CrmId'), _line_of(nightly, "{id: CrmId")
    assert broken == {
        # withdrawn operation: the one integration that books orders in the ERP
        ("order-to-erp", "finance-it", "operation-removed", "", "specs/integrations/event-driven.yaml",
         *create_order),
        # renamed field, written: the hub spoke that upserts customers (the key of the shared transform)
        ("customer-master-sync", "sales-ops", "field-removed", "Customer.CrmId", "transforms/acme/accounts.yaml",
         crm_id[0], crm_id[1] + 1),
        # renamed field, read: the nightly batch that lists customers (in its filter and its map)
        ("nightly-customer-master", "finance-it", "field-removed", "CrmId", "specs/integrations/etl-batch.yaml",
         filter_at[0], filter_at[1] + len('filter: "')),
        ("nightly-customer-master", "finance-it", "field-removed", "CrmId", "specs/integrations/etl-batch.yaml",
         map_at[0], map_at[1] + len("{id: ")),
    }
    # the other ERP integrations use neither part: the rename elsewhere in the contract is listed, not blamed
    infos = [d for d in diagnostics if d["code"] == "WV708"]
    assert {d["file"] for d in infos} == {"contracts/erp.wsdl"}
    assert any("non-breaking change: field 'Customer.CrmReference' added to UpsertCustomer" in d["message"]
               for d in infos)
    assert any("used by no integration: field 'Customer.CrmId' removed from CreateCustomer" in d["message"]
               for d in infos)
    assert any("used by no integration: field 'GetCustomerResponse.Customer.CrmId' removed" in d["message"]
               for d in infos)
    # the current contract no longer has CreateOrder: the offline check says so too
    assert any(d["code"] == "WV702" and d["data"]["integration"] == "order-to-erp" for d in diagnostics)

    text = _weave("validate", "specs", "--against-ref", "HEAD", cwd=ecosystem)
    assert text.returncode == 1
    assert ("contract of erp vs HEAD: 6 breaking, 5 non-breaking change(s); breaks 3 integration(s): "
            "customer-master-sync (sales-ops), nightly-customer-master (finance-it), order-to-erp (finance-it)"
            ) in text.stdout
    assert "breaks order-to-erp (owner finance-it): operation CreateOrder removed" in text.stdout
    assert ("breaks customer-master-sync (owner sales-ops): field 'Customer.CrmId' removed from UpsertCustomer "
            "request (probably renamed to 'CrmReference')") in text.stdout
    assert "breaks nightly-customer-master (owner finance-it): field 'ListCustomersResponse.Customers.Customer[]" \
           ".CrmId' removed from ListCustomers response" in text.stdout


def test_unknown_ref_is_a_warning_not_a_crash(ecosystem: Path) -> None:
    result = _weave("validate", "specs", "--against-ref", "no-such-branch", "--format", "json", cwd=ecosystem)
    warned = [d for d in json.loads(result.stdout)["diagnostics"] if d["code"] == "WV709"]
    assert result.returncode == 0
    assert {d["data"]["system"] for d in warned} >= {"crm", "erp"}  # one per system with a contract
    assert all("unknown revision 'no-such-branch'" in d["message"] for d in warned)


def test_a_contract_new_since_the_ref_breaks_nothing(ecosystem: Path) -> None:
    systems = ecosystem / "specs" / "systems" / "core.yaml"
    shutil.copy(ecosystem / "contracts" / "erp.wsdl", ecosystem / "contracts" / "erp-v2.wsdl")
    systems.write_text(systems.read_text().replace("contracts/erp.wsdl", "contracts/erp-v2.wsdl"))
    assert "contracts/erp-v2.wsdl" in systems.read_text()
    result = _weave("validate", "specs", "--against-ref", "HEAD", "--format", "json", cwd=ecosystem)
    assert result.returncode == 0, result.stdout
    codes = {d["code"] for d in json.loads(result.stdout)["diagnostics"]}
    assert not codes & {"WV702", "WV707", "WV708", "WV709"}, result.stdout


def test_plan_hook_compares_with_the_contracts_of_an_applied_revision(ecosystem: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    from weave.api.contracts import contract_assets, contract_changes_since
    from weave.spec import load_project

    monkeypatch.chdir(ecosystem)
    stored = contract_assets(load_project(["specs"]))
    assert {"contracts/erp.wsdl", "contracts/crm.openapi.yaml", "contracts/crm/schemas.yaml",
            "contracts/common.yaml"} <= set(stored)
    assert contract_changes_since(load_project(["specs"]), stored).systems == []
    _erp_changes(ecosystem)
    found = contract_changes_since(load_project(["specs"]), stored)
    (erp,) = found.systems
    assert erp.system == "erp" and len(erp.breaking) == 6
    assert {(a.integration, a.owner) for a in erp.affected} == {
        ("order-to-erp", "finance-it"), ("customer-master-sync", "sales-ops"), ("nightly-customer-master", "finance-it")}
    assert "vs the applied revision" in erp.summary_line("the applied revision")


def test_contract_diff_reads_the_old_version_from_git(ecosystem: Path) -> None:
    _erp_changes(ecosystem)
    result = _weave("contract", "diff", "HEAD:contracts/erp.wsdl", "contracts/erp.wsdl", "--format", "json",
                    cwd=ecosystem)
    assert result.returncode == 1, result.stdout + result.stderr
    (erp,) = json.loads(result.stdout)["systems"]
    assert erp["system"] == "erp"
    affected = {(a["integration"], a["owner"]) for c in erp["changes"] for a in c["affected"]}
    assert affected == {("order-to-erp", "finance-it"), ("customer-master-sync", "sales-ops"),
                        ("nightly-customer-master", "finance-it")}
    missing = _weave("contract", "diff", "nope:contracts/erp.wsdl", "contracts/erp.wsdl", cwd=ecosystem)
    assert missing.returncode == 2 and "unknown revision 'nope'" in missing.stdout + missing.stderr
