"""The validation speed-up in weave.spec.schemacheck (local `$ref`s inlined) changes no diagnostic.

Differential: the inlined validator and a plain Draft 2020-12 validator of the same schema must report the
same errors (path, keyword, message) on randomly broken copies of the example ecosystem's documents.
"""

from __future__ import annotations

import copy
import json
import random
from pathlib import Path
from typing import Any

import jsonschema

from weave.spec.loader import discover
from weave.spec.schema import KINDS, schema_for_kind
from weave.spec.schemacheck import inline_refs, validator_for
from weave.spec.yamlload import load_file

REPO = Path(__file__).resolve().parents[2]
VALUES: list[Any] = [None, 1, -3, "x", "5 minutes", "tight", True, [], {}, [1, "a"], {"bogus": 1}, "s3cr3t", 2.5]


def _paths(node: Any, prefix: tuple[Any, ...] = ()):
    yield prefix
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _paths(v, (*prefix, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _paths(v, (*prefix, i))


def _mutate(data: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    data = copy.deepcopy(data)
    paths = [p for p in _paths(data) if p and p != ("kind",)]
    path = rng.choice(paths)
    parent: Any = data
    for key in path[:-1]:
        parent = parent[key]
    roll = rng.random()
    if roll < 0.3 and isinstance(parent, dict):
        del parent[path[-1]]
    elif roll < 0.5 and isinstance(parent, dict):
        parent[f"{path[-1]}_typo"] = rng.choice(VALUES)
    else:
        parent[path[-1]] = rng.choice(VALUES)
    return data


def _errors(validator: jsonschema.Draft202012Validator, data: Any) -> list[tuple[Any, ...]]:
    out = []
    for e in validator.iter_errors(data):
        best = jsonschema.exceptions.best_match(e.context) if e.context else None
        out.append((tuple(e.absolute_path), e.validator, e.message,
                    None if best is None else (tuple(best.absolute_path), best.validator, best.message)))
    return sorted(out, key=repr)


def test_only_recursive_references_remain() -> None:
    for kind in KINDS:
        schema = schema_for_kind(kind)
        inlined = inline_refs(schema)
        body = json.dumps({k: v for k, v in inlined.items() if k != "$defs"})
        assert body.count('"$ref"') <= json.dumps(schema).count('"$ref"')
        jsonschema.Draft202012Validator.check_schema(inlined)


def test_inlined_validators_report_exactly_the_same_errors() -> None:
    docs = [d for f in discover([REPO / "specs"]) for d in load_file(f, str(f))[0] if isinstance(d.data, dict)]
    assert docs
    rng = random.Random(11)
    plain = {k: jsonschema.Draft202012Validator(schema_for_kind(k)) for k in KINDS}
    compared = with_errors = 0
    for doc in docs:
        for _ in range(12):
            data = _mutate(doc.data, rng)
            kind = data["kind"]
            expected = _errors(plain[kind], data)
            assert _errors(validator_for(kind), data) == expected, (doc.file, data)
            compared += 1
            with_errors += bool(expected)
    assert compared >= 300 and with_errors > compared // 2
