"""Transform benchmarks: compiled JMESPath and the step pipeline against their peers.

- transform.jmespath_vs_reference: weave's compiled JMESPath records/s divided by the reference `jmespath`
  library's (compile once, `search` per record), on the 4-field mapping with `join` and `sum`.
- transform.jmespath_vs_handwritten: the same weave rate divided by a hand-written dict comprehension's.
  (1.0 would be hand-written speed; the moonshot is >= 0.5, i.e. within 2x.)
- transform.pipeline_vs_handwritten: a full step pipeline per record (JMESPath `map`, a Jinja `set` field,
  `validate` against a JSON Schema) divided by the same three steps written by hand (dict comprehension,
  a jinja2 Template compiled once, a jsonschema validator compiled once).

Each pair is measured alternately (A B A B ...) in the same process over the same records; the ratio is
the median of per-round ratios. Rates are records per CPU-second of this process (`time.process_time`), so
other load on the machine skews them less. `python bench/transform.py --quick` prints JSON lines.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "engine"))

MAPPING = "{id: id, name: join(' ', [first, last]), email: contact.email, total: sum(orders[].amount)}"
SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["id", "name", "email", "total", "subject"],
    "properties": {
        "id": {"type": "integer"},
        "name": {"type": "string", "minLength": 1},
        "email": {"type": "string"},
        "total": {"type": "number", "minimum": 0},
        "subject": {"type": "string"},
    },
}
SUBJECT = "Order {{ id }} for {{ name }}"


def records(n: int, seed: int = 7) -> list[dict[str, Any]]:
    rnd = random.Random(seed)
    firsts, lasts = ["Ada", "Grace", "Alan", "Edsger", "Barbara"], ["Lovelace", "Hopper", "Turing", "Liskov"]
    return [
        {
            "id": i,
            "first": rnd.choice(firsts),
            "last": rnd.choice(lasts),
            "contact": {"email": f"user{i}@example.com", "phone": f"+4930{i:07d}"},
            "orders": [{"sku": f"S{j}", "amount": rnd.randint(1, 500)} for j in range(rnd.randint(1, 5))],
            "status": "active",
        }
        for i in range(n)
    ]


def _rate(fn: Callable[[list[dict[str, Any]]], Any], data: list[dict[str, Any]]) -> float:
    # CPU time of this process: the machine is shared, wall-clock rates swing with other load
    started = time.process_time()
    fn(data)
    return len(data) / (time.process_time() - started)


def _alternate(a: Callable[[list[dict[str, Any]]], Any], b: Callable[[list[dict[str, Any]]], Any],
               data: list[dict[str, Any]], rounds: int) -> tuple[float, float, float]:
    """Median rate of a, median rate of b, median of per-round a/b ratios."""
    a(data[:1000])
    b(data[:1000])  # warm-up
    ra, rb, ratios = [], [], []
    for _ in range(rounds):
        x = _rate(a, data)
        y = _rate(b, data)
        ra.append(x)
        rb.append(y)
        ratios.append(x / y)
    return statistics.median(ra), statistics.median(rb), statistics.median(ratios)


def hand_mapping(rs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {
            "id": r["id"],
            "name": " ".join([r["first"], r["last"]]),
            "email": r["contact"]["email"],
            "total": sum([o["amount"] for o in r["orders"]]),
        }
        for r in rs
    ]


def bench_jmespath(data: list[dict[str, Any]], ref_data: list[dict[str, Any]], rounds: int) -> list[dict[str, Any]]:
    import jmespath

    from weave.transforms import jmespath as wj

    ref = jmespath.compile(MAPPING).search
    ours = wj.compile(MAPPING).search
    for r in data[:2000]:  # same answers, or the comparison is meaningless
        assert ours(r) == ref(r) == hand_mapping([r])[0]

    def weave_all(rs: list[dict[str, Any]]) -> Any:
        return [ours(r) for r in rs]

    def ref_all(rs: list[dict[str, Any]]) -> Any:
        return [ref(r) for r in rs]

    w1, r1, vs_ref = _alternate(weave_all, ref_all, ref_data, rounds)
    w2, h2, vs_hand = _alternate(weave_all, hand_mapping, data, rounds)
    return [
        {"name": "transform.jmespath_vs_reference", "value": round(vs_ref, 2), "unit": "x (weave/reference)",
         "detail": {"weave_records_per_s": round(w1), "reference_records_per_s": round(r1),
                    "records": len(ref_data), "rounds": rounds, "expression": MAPPING}},
        {"name": "transform.jmespath_vs_handwritten", "value": round(vs_hand, 3), "unit": "x (weave/hand-written)",
         "detail": {"weave_records_per_s": round(w2), "handwritten_records_per_s": round(h2),
                    "slowdown": round(1 / vs_hand, 2), "records": len(data), "rounds": rounds}},
    ]


def bench_pipeline(data: list[dict[str, Any]], rounds: int) -> list[dict[str, Any]]:
    import jinja2
    import jsonschema

    from weave.transforms.steps import build_pipeline

    pipeline = build_pipeline([
        {"map": MAPPING},
        {"set": {"subject": {"template": SUBJECT}}},
        {"validate": {"schema": SCHEMA}},
    ])
    run = pipeline.run
    template = jinja2.Environment(undefined=jinja2.StrictUndefined).from_string(SUBJECT)
    validator = jsonschema.Draft202012Validator(SCHEMA)

    def by_hand(rs: list[dict[str, Any]]) -> list[dict[str, Any]]:
        out = []
        for r in rs:
            m = {"id": r["id"], "name": " ".join([r["first"], r["last"]]), "email": r["contact"]["email"],
                 "total": sum([o["amount"] for o in r["orders"]])}
            m["subject"] = template.render(m)
            if not validator.is_valid(m):
                raise ValueError(m)
            out.append(m)
        return out

    def weave_all(rs: list[dict[str, Any]]) -> list[dict[str, Any]]:
        out = []
        for r in rs:
            out.extend(run(r))
        return out

    assert weave_all(data[:500]) == by_hand(data[:500])
    w, h, ratio = _alternate(weave_all, by_hand, data, rounds)
    return [{"name": "transform.pipeline_vs_handwritten", "value": round(ratio, 3), "unit": "x (weave/hand-written)",
             "detail": {"weave_records_per_s": round(w), "handwritten_records_per_s": round(h),
                        "steps": "map (JMESPath) + set {template} (Jinja) + validate (JSON Schema)",
                        "records": len(data), "rounds": rounds}}]


def run(quick: bool) -> list[dict[str, Any]]:
    n, n_ref, n_pipe, rounds = (20_000, 10_000, 5_000, 5) if quick else (100_000, 100_000, 20_000, 7)
    data = records(n)
    return [*bench_jmespath(data, data[:n_ref], rounds), *bench_pipeline(data[:n_pipe], rounds)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="small sizes (seconds)")
    args = parser.parse_args()
    for record in run(args.quick):
        print(json.dumps(record))


if __name__ == "__main__":
    main()
