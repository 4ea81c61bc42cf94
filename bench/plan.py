"""Planner benchmarks: planning + portfolio audit of 1,000 integrations, and `weave validate` on 1,000 specs.

- plan.1000_integrations_s: seconds to plan (two passes of the rules table) and audit 1,000 integrations,
  parsing excluded (the project is loaded once). Goal < 1 s.
- plan.vs_parse: that time divided by the time to load (parse + schema-check) the same specs: what planning
  adds on top of reading the files.
- validate.1000_specs_s: `weave.api.validate` (YAML with positions, schemas, semantic checks, audit) on
  1,000 integration specs in one file each, plus systems, owners and events. Goal < 2 s.
- validate.vs_yaml_jsonschema: that time divided by a bare peer doing the least a validator must do:
  `yaml.safe_load` (C loader when available) + a compiled Draft 2020-12 `jsonschema` validator per document.
Weave and its peer run alternately (A B A B), medians reported. Wall-clock is the value; the detail adds
process CPU seconds, which stay meaningful when other work shares the two cores.

`run(quick)` returns records; `python bench/plan.py --quick` prints them as JSON lines.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

STYLES = [("rest", "bearer"), ("soap", "basic"), ("rest", "api-key"), ("graphql", "bearer"), ("sql", None),
          ("proprietary", "custom"), ("rest", "oauth2-client-credentials")]
TIMINGS = ["real-time", "near-real-time", "batch"]


def _system(i: int) -> dict[str, Any]:
    style, auth = STYLES[i % len(STYLES)]
    api: dict[str, Any] = {"style": style, "base_url": f"${{env:SYS{i}_URL}}"}
    if auth == "bearer":
        api["auth"] = {"type": "bearer", "token": f"${{env:SYS{i}_TOKEN}}"}
    elif auth:
        api["auth"] = {"type": auth}
    return {"kind": "system", "name": f"sys-{i:03d}", "owner": f"team-{i % 40:02d}", "api": api}


def _integration(i: int, systems: int) -> dict[str, Any]:
    timing = TIMINGS[i % 3]
    doc: dict[str, Any] = {
        "kind": "integration", "name": f"int-{i:04d}", "owner": f"team-{i % 40:02d}",
        "description": f"Synthetic integration {i}.",
        "source": "crm" if i % 4 else f"sys-{(i * 7) % systems:03d}",
        "target": f"sys-{(i * 13 + 1) % systems:03d}",
        "direction": ["push", "push", "pull", "bidirectional"][i % 4],
        "timing": timing,
        "volume": {"records_per_transaction": 50_000 if timing == "batch" else 1 + i % 50,
                   "transactions_per_day": 1 if timing == "batch" else 100 + i},
        "coupling": "loose" if i % 2 else "tight",
        "transform_complexity": "complex" if i % 5 == 0 else "simple",
    }
    if doc["direction"] == "pull" and i % 8 == 2:
        doc["exposure"] = "partner"
    if i % 10 == 0:
        doc["trigger"] = {"event": f"crm.e{i % 20}.changed"}
    if i % 50 == 1:
        doc["pattern"], doc["pattern_reason"] = "point-to-point", "legacy contract"
    if doc["source"] == doc["target"]:
        doc["target"] = "crm"
    return doc


def write_project(root: Path, integrations: int = 1000) -> Path:
    """A spec tree: one file per integration, plus systems, owners and events files."""
    specs = root / "specs"
    (specs / "integrations").mkdir(parents=True)
    systems = max(20, integrations // 8)
    head = [{"kind": "system", "name": "crm", "owner": "team-00", "role": "crm",
             "api": {"style": "rest", "auth": {"type": "bearer", "token": "${env:CRM_TOKEN}"}}},
            {"kind": "system", "name": "hub", "owner": "team-00", "role": "hub", "redundancy": "active-active",
             "api": {"style": "proprietary"}}]
    (specs / "systems.yaml").write_text(yaml.safe_dump_all(head + [_system(i) for i in range(systems)]))
    (specs / "owners.yaml").write_text(yaml.safe_dump_all(
        [{"kind": "owner", "name": f"team-{i:02d}", "contacts": {"email": f"t{i}@example.com"}} for i in range(40)]))
    (specs / "events.yaml").write_text(yaml.safe_dump_all(
        [{"kind": "event", "name": f"crm.e{i}.changed", "owner": "team-00", "publisher": "crm",
          "schema": {"type": "object"}} for i in range(20)]))
    for i in range(integrations):
        (specs / "integrations" / f"int-{i:04d}.yaml").write_text(yaml.safe_dump(_integration(i, systems),
                                                                                  sort_keys=False))
    return specs


def plan_round(specs: Path) -> tuple[float, float, int, float]:
    """(load seconds, plan + audit seconds, integrations, plan + audit CPU seconds)."""
    from weave.plan import audit, plan_project
    from weave.spec import load_project

    t0 = time.perf_counter()
    load = load_project([specs])
    t1, c1 = time.perf_counter(), time.process_time()
    planned = plan_project(load.project)
    audit(load.project, planned)
    t2, c2 = time.perf_counter(), time.process_time()
    return t1 - t0, t2 - t1, len(planned.integrations), c2 - c1


def validate_round(specs: Path) -> tuple[float, float]:
    """(wall seconds, CPU seconds)."""
    from weave.api import validate

    t0, c0 = time.perf_counter(), time.process_time()
    result = validate([specs])
    elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
    assert result.ok, [d.message for d in result.diagnostics if d.severity == "error"][:5]
    return elapsed, cpu


def peer_round(specs: Path) -> tuple[float, float]:
    """yaml.safe_load + one compiled Draft 2020-12 validator per kind, every error collected."""
    import jsonschema

    from weave.spec.schema import schema_for_kind

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    t0, c0 = time.perf_counter(), time.process_time()
    validators: dict[str, jsonschema.Draft202012Validator] = {}
    errors = 0
    for path in sorted(specs.rglob("*.yaml")):
        for doc in yaml.load_all(path.read_text(), Loader=loader):
            kind = doc["kind"]
            if kind not in validators:
                validators[kind] = jsonschema.Draft202012Validator(schema_for_kind(kind))
            errors += sum(1 for _ in validators[kind].iter_errors(doc))
    elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
    assert errors == 0
    return elapsed, cpu


def run(quick: bool) -> list[dict[str, Any]]:
    import gc

    rounds = 3 if quick else 5
    n = 1000
    records: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="weave-bench-plan-") as tmp:
        specs = write_project(Path(tmp), n)
        plan_round(specs)  # warm imports and caches once
        loads, plans, plan_cpu = [], [], []
        weave_v: list[float] = []
        weave_cpu: list[float] = []
        peer_v: list[float] = []
        peer_cpu: list[float] = []
        for _ in range(rounds):  # A B A B
            gc.collect()
            load_s, plan_s, count, cpu_s = plan_round(specs)
            loads.append(load_s)
            plans.append(plan_s)
            plan_cpu.append(cpu_s)
            gc.collect()
            wall, cpu = validate_round(specs)
            weave_v.append(wall)
            weave_cpu.append(cpu)
            gc.collect()
            wall, cpu = peer_round(specs)
            peer_v.append(wall)
            peer_cpu.append(cpu)
        assert count == n
        records.append({"name": "plan.1000_integrations_s", "value": round(statistics.median(plans), 4), "unit": "s",
                        "detail": {"integrations": n, "rounds": [round(x, 4) for x in plans], "goal": "< 1 s",
                                   "cpu_s": [round(x, 4) for x in plan_cpu],
                                   "includes": "two planning passes + portfolio audit; parsing excluded"}})
        records.append({"name": "plan.vs_parse", "value": round(statistics.median(plans) / statistics.median(loads), 3),
                        "unit": "ratio", "detail": {"load_s": [round(x, 3) for x in loads]}})
        records.append({"name": "validate.1000_specs_s", "value": round(statistics.median(weave_v), 3), "unit": "s",
                        "detail": {"files": n + 3, "rounds": [round(x, 3) for x in weave_v], "goal": "< 2 s",
                                   "cpu_s": [round(x, 3) for x in weave_cpu]}})
        records.append({"name": "validate.vs_yaml_jsonschema",
                        "value": round(statistics.median(weave_v) / statistics.median(peer_v), 3), "unit": "ratio",
                        "detail": {"peer": "yaml CSafeLoader + compiled jsonschema Draft202012Validator",
                                   "peer_s": [round(x, 3) for x in peer_v],
                                   "cpu_ratio": round(statistics.median(weave_cpu) / statistics.median(peer_cpu), 3)}})
    return records


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="fewer rounds (seconds)")
    args = parser.parse_args(argv)
    for record in run(quick=args.quick):
        print(json.dumps(record), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
