"""Parameter changes in a contract (`weave contract diff`, `weave validate --against-ref`): a new required
parameter, one made required, a removed one and a narrowed enum are breaking for exactly the calls they break;
an optional addition is not. Run as CLI subprocesses on the params fixture in a fresh git repository."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from .cli import copy_fixture, position, weave

GIT = ["git", "-c", "user.name=weave-test", "-c", "user.email=test@weave.invalid", "-c", "commit.gpgsign=false"]
CONTRACT = "contracts/orders.openapi.yaml"
SPECS = "specs/integrations.yaml"


@pytest.fixture(scope="module")
def changed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = copy_fixture("params", tmp_path_factory.mktemp("param-diff"))
    subprocess.run(["git", "init", "-q"], cwd=root, check=True)
    subprocess.run([*GIT, "add", "-A"], cwd=root, check=True)
    subprocess.run([*GIT, "commit", "-q", "-m", "orders v3"], cwd=root, check=True)
    contract = root / CONTRACT
    text = contract.read_text()
    for old, new in [
        ("        - {name: active, in: query, schema: {type: boolean}}\n", ""),                     # removed
        ("{name: page, in: query, schema:", "{name: page, in: query, required: true, schema:"),     # now required
        ("enum: [open, closed]", "enum: [open]"),                                                   # narrowed
        ("        - {$ref: \"#/components/parameters/tenant\"}\n      responses:\n        '200':\n"
         "          description: orders\n",
         "        - {$ref: \"#/components/parameters/tenant\"}\n"
         "        - {name: channel, in: query, required: true, schema: {type: string}}\n"               # new required
         "      responses:\n        '200':\n          description: orders\n"),
        ("    get:\n      parameters:\n        - {$ref: \"#/components/parameters/tenant\"}\n      responses:\n"
         "        '200':\n          description: one order\n",
         "    get:\n      parameters:\n        - {$ref: \"#/components/parameters/tenant\"}\n"
         "        - {name: X-Trace, in: header, schema: {type: string}}\n"                              # optional
         "      responses:\n        '200':\n          description: one order\n"),
    ]:
        assert old in text, old
        text = text.replace(old, new)
    contract.write_text(text)
    return root


def test_contract_diff_classifies_parameter_changes(changed: Path) -> None:
    result = weave("contract", "diff", f"HEAD:{CONTRACT}", CONTRACT, "--specs", "specs", "--format", "json",
                   cwd=changed)
    assert result.returncode == 1, result.stdout + result.stderr
    (system,) = json.loads(result.stdout)["systems"]
    changes = {(c["kind"], c["breaking"], c["operation"], c["field"]): c for c in system["changes"]}
    assert set(changes) == {
        ("parameter-removed", True, "GET /orders", "query.active"),
        ("parameter-required", True, "GET /orders", "query.page"),
        ("enum-changed", True, "GET /orders", "query.status"),
        ("parameter-added", True, "GET /orders", "query.channel"),
        ("parameter-added", False, "GET /orders/{order_id}", "header.X-Trace"),
    }
    assert changes[("parameter-added", True, "GET /orders", "query.channel")]["summary"] == (
        "query parameter 'channel' added to GET /orders (required)")
    assert changes[("parameter-required", True, "GET /orders", "query.page")]["summary"] == (
        "query parameter 'page' of GET /orders is now required")


def test_against_ref_names_exactly_the_calls_each_change_breaks(changed: Path) -> None:
    result = weave("validate", "specs", "--against-ref", "HEAD", "--format", "json", cwd=changed)
    assert result.returncode == 1
    diagnostics = json.loads(result.stdout)["diagnostics"]
    broken = {(d["data"]["integration"], d["data"]["change"]["kind"], d["data"]["change"]["field"], d["line"],
               d["column"]) for d in diagnostics if d["code"] == "WV707"}
    spec = changed / SPECS

    def at(needle: str, after: str, shift: int = 0) -> tuple[int, int]:
        line, column = position(spec, needle, after=f"name: {after}")
        return line, column + shift

    assert broken == {
        # a new required parameter: every call of GET /orders, at the call (none sends it)
        ("clean-read", "parameter-added", "query.channel", *at("/orders", "clean-read")),
        ("bad-literals", "parameter-added", "query.channel", *at("/orders", "bad-literals")),
        ("portal", "parameter-added", "query.channel", *at("path: /orders,", "portal", 6)),
        # page is now required: the extracts send it (page pagination), the gateway route does not
        ("portal", "parameter-required", "query.page", *at("path: /orders,", "portal", 6)),
        # a removed parameter: the calls that send it, at the parameter
        ("clean-read", "parameter-removed", "query.active", *at("active", "clean-read")),
        ("bad-literals", "parameter-removed", "query.active", *at("active", "bad-literals")),
        # a narrowed enum: the call sending a value it no longer has (`status: open` still fits)
        ("bad-literals", "enum-changed", "query.status", *at("status", "bad-literals")),
    }
    infos = [d["message"] for d in diagnostics if d["code"] == "WV708"]
    assert any("header parameter 'X-Trace' added to GET /orders/{order_id}" in m for m in infos), infos
