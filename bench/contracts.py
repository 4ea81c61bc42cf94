"""Change-safety benchmarks: what contract checks add to `weave validate`.

- contracts.validate_overhead: `weave.api.validate` on N integrations that call systems with contracts
  (the example CRM OpenAPI with a relative-file $ref, and the ERP WSDL), with the contract checks divided by
  the same run without them (EXTRA_CHECKS minus `validate_contracts`). Runs alternate (A B A B); medians.
- contracts.check_ms_per_integration: the contract checks alone (usage extraction + checks), per integration.
- contracts.no_contract_cost_us: `validate_contracts` on a project that declares no contract (what every
  project without contracts pays, e.g. bench/plan.py's 1,000 specs): microseconds.

`python bench/contracts.py --quick` prints JSON lines.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parent.parent

OWNER = {"kind": "owner", "name": "team", "type": "team", "contacts": {"email": "team@acme.example"}}
SYSTEMS = [
    {"kind": "system", "name": "crm", "owner": "team",
     "api": {"style": "rest", "base_url": "${env:CRM_URL}", "contract": "../contracts/crm.openapi.yaml"}},
    {"kind": "system", "name": "erp", "owner": "team",
     "api": {"style": "soap", "base_url": "${env:ERP_URL}", "contract": "../contracts/erp.wsdl"}},
    {"kind": "system", "name": "src", "owner": "team", "api": {"style": "rest", "base_url": "${env:SRC_URL}"}},
]


def _integration(i: int) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "kind": "integration", "name": f"int-{i:04d}", "owner": "team", "direction": "push",
        "timing": "batch", "coupling": "loose", "volume": {"records_per_transaction": 10, "transactions_per_day": 1},
        "trigger": {"schedule": {"cron": "0 2 * * *"}},
    }
    if i % 2:
        doc.update(source="crm", target="erp")
        doc["extract"] = {"http": {"method": "GET", "path": "/api/accounts", "records": "data"}}
        doc["steps"] = [{"filter": "tier == 'key'"},
                        {"map": "{Customer: {CrmId: id, Name: name, Country: billing_address.country,"
                                " City: billing_address.city, Email: email}}"}]
        doc["deliver"] = [{"target": "erp", "soap": {"operation": "UpsertCustomer", "path": "/soap"}}]
    else:
        doc.update(source="src", target="crm")
        doc["steps"] = [{"set": {"paid": {"value": True}}},
                        {"map": "{order_id: ref, status: 'confirmed', total: to_number(amount), currency: cur}"}]
        doc["deliver"] = [{"target": "crm", "http": {"method": "PATCH", "path": "/api/orders/{order_id}"}}]
    return doc


def write_project(root: Path, integrations: int) -> Path:
    specs = root / "specs"
    specs.mkdir(parents=True)
    shutil.copytree(REPO / "contracts", root / "contracts")
    (specs / "base.yaml").write_text(yaml.safe_dump_all([OWNER, *SYSTEMS], sort_keys=False))
    for i in range(integrations):
        (specs / f"int-{i:04d}.yaml").write_text(yaml.safe_dump(_integration(i), sort_keys=False))
    return specs


def _validate(specs: Path, with_contracts: bool) -> float:
    import importlib

    from weave.api.contracts import validate_contracts

    validate_mod = importlib.import_module("weave.api.validate")
    from weave.contracts import loader

    checks = validate_mod.EXTRA_CHECKS
    saved = list(checks)
    if not with_contracts:
        checks[:] = [c for c in checks if c is not validate_contracts]
    loader._CACHE.clear()  # every round reads the contracts, as a fresh `weave validate` process does
    try:
        start = time.perf_counter()
        result = validate_mod.validate([specs])
        elapsed = time.perf_counter() - start
    finally:
        checks[:] = saved
    assert not [d for d in result.diagnostics if d.code.startswith("WV7")], "the benchmark project must be clean"
    return elapsed


def run(quick: bool) -> list[dict[str, Any]]:
    from weave.api.contracts import validate_contracts
    from weave.spec import load_project

    n = 200 if quick else 1000
    rounds = 3 if quick else 5
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        specs = write_project(root, n)
        cwd = os.getcwd()
        os.chdir(root)
        try:
            _validate(specs, True)  # warm imports
            with_c, without = [], []
            for _ in range(rounds):  # A B A B
                with_c.append(_validate(specs, True))
                without.append(_validate(specs, False))
            ratios = [a / b for a, b in zip(with_c, without, strict=True)]
            plain = load_project([specs])
            plain.project.systems = {k: v for k, v in plain.project.systems.items() if k == "src"}
            plain.project.integrations = {}
            costs = []
            for _ in range(rounds):
                start = time.perf_counter()
                validate_contracts(plain)
                costs.append(time.perf_counter() - start)
        finally:
            os.chdir(cwd)
    extra = statistics.median(a - b for a, b in zip(with_c, without, strict=True))
    return [
        {"name": "contracts.validate_overhead", "value": round(statistics.median(ratios), 3), "unit": "ratio",
         "detail": {"integrations": n, "with_contracts_s": [round(x, 3) for x in with_c],
                    "without_s": [round(x, 3) for x in without], "contracts": ["crm.openapi.yaml", "erp.wsdl"]}},
        {"name": "contracts.check_ms_per_integration", "value": round(extra / n * 1000, 3), "unit": "ms",
         "detail": {"integrations": n, "median_extra_s": round(extra, 3)}},
        {"name": "contracts.no_contract_cost_us", "value": round(statistics.median(costs) * 1e6, 1), "unit": "us",
         "detail": {"systems": 1}},
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer integrations and rounds (seconds)")
    args = parser.parse_args(argv)
    for record in run(quick=args.quick):
        print(json.dumps(record))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
