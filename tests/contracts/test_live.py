"""`weave check --live` against the simulated systems (real uvicorn servers), with good and wrong
credentials and a missing secret."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from weave.cli.main import cli
from weave.sandbox import SandboxCluster


@pytest.fixture(scope="module")
def cluster() -> Iterator[SandboxCluster]:
    with SandboxCluster(["crm", "erp", "marketing", "email"]) as running:
        yield running


@pytest.fixture
def live_env(cluster: SandboxCluster, repo_root: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    monkeypatch.chdir(repo_root)
    env = cluster.env()
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return env


def _check(*args: str) -> tuple[int, dict]:
    result = CliRunner().invoke(cli, ["check", "--live", *args, "--format", "json"])
    assert result.exit_code in (0, 1), result.output
    return result.exit_code, json.loads(result.output)


def test_all_systems_reachable_and_authenticated(live_env: dict[str, str]) -> None:
    code, report = _check("order-to-erp", "customer-master-sync")
    assert code == 0 and report["ok"]
    systems = {s["system"]: s for s in report["systems"]}
    assert set(systems) == {"crm", "erp", "marketing", "email", "integration-hub"}
    crm, erp = systems["crm"], systems["erp"]
    assert (crm["reachable"], crm["auth"], crm["status"], crm["probe"]) == (True, "ok", 200, "GET /api/accounts?limit=1")
    assert (crm["contract"], crm["contract_version"], crm["declared_version"]) == (
        "contracts/crm.openapi.yaml", "2024-06", "2024-06")
    assert (erp["reachable"], erp["auth"], erp["probe"], erp["contract_version"]) == (
        True, "ok", "SOAP ListCustomers (read-only)", "urn:acme:erp:v1")
    assert systems["marketing"]["auth"] in ("ok", "unverified") and systems["marketing"]["reachable"]
    assert crm["latency_ms"] > 0 and erp["latency_ms"] > 0
    assert systems["integration-hub"]["reachable"] is None  # weave's own hub: nothing to probe
    integrations = {i["integration"]: i for i in report["integrations"]}
    assert integrations["order-to-erp"] == {"integration": "order-to-erp", "owner": "finance-it",
                                            "systems": ["crm", "erp"], "ok": True}


def test_wrong_credentials_are_auth_failures(live_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ERP_PASSWORD", "not-the-password")
    code, report = _check("order-to-erp")
    assert code == 1 and not report["ok"]
    systems = {s["system"]: s for s in report["systems"]}
    assert (systems["erp"]["auth"], systems["erp"]["status"], systems["erp"]["ok"]) == ("failed", 401, False)
    assert (systems["crm"]["auth"], systems["crm"]["ok"]) == ("ok", True)
    assert report["integrations"] == [{"integration": "order-to-erp", "owner": "finance-it",
                                       "systems": ["crm", "erp"], "ok": False,
                                       "problems": ["erp: auth failed (401)"]}]
    assert "not-the-password" not in json.dumps(report)
    monkeypatch.setenv("CRM_TOKEN", "wrong-token")
    code, report = _check("order-to-erp")
    crm = next(s for s in report["systems"] if s["system"] == "crm")
    assert code == 1 and (crm["auth"], crm["status"], crm["reachable"]) == ("failed", 401, True)
    assert "wrong-token" not in json.dumps(report)


def test_missing_secret_is_named_not_probed(live_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CRM_TOKEN")
    code, report = _check("order-to-erp")
    crm = next(s for s in report["systems"] if s["system"] == "crm")
    assert code == 1 and crm["missing_secrets"] == ["${env:CRM_TOKEN}"] and crm["reachable"] is None
    assert live_env["CRM_TOKEN"] not in json.dumps(report)


def test_text_output_and_unknown_integration(live_env: dict[str, str]) -> None:
    runner = CliRunner()
    result = runner.invoke(cli, ["check", "--live", "order-to-erp"])
    assert result.exit_code == 0, result.output
    assert "ok order-to-erp (finance-it): crm, erp" in result.output
    unknown = runner.invoke(cli, ["check", "--live", "no-such-integration"])
    assert unknown.exit_code == 2 and "unknown integration(s): no-such-integration" in unknown.output
    needs_flag = runner.invoke(cli, ["check", "order-to-erp"])
    assert needs_flag.exit_code == 2


def test_unreachable_system(live_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    import socket

    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setenv("CRM_URL", f"http://127.0.0.1:{port}")
    code, report = _check("order-to-erp")
    crm = next(s for s in report["systems"] if s["system"] == "crm")
    assert code == 1 and crm["reachable"] is False and crm["ok"] is False and crm["status"] is None
