"""The gateway's JSON-Schema fragment: the test specs validate; literal secrets and `alg: none` do not."""

from __future__ import annotations

import copy
from typing import Any

from jsonschema import Draft202012Validator

from weave.spec.schema import build_schemas

from . import specs

FRAMEWORK = {"direction": "pull", "timing": "real-time", "coupling": "loose",
             "volume": {"records_per_transaction": 1, "transactions_per_day": 1000}}


def _errors(kind: str, document: dict[str, Any]) -> list[str]:
    validator = Draft202012Validator(build_schemas()[f"{kind}.schema.json"])
    return [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(document)]


def _integration() -> dict[str, Any]:
    integration = {**specs.integration(), **FRAMEWORK}
    integration.pop("pattern", None)
    return integration


def test_test_specs_are_valid() -> None:
    assert _errors("integration", _integration()) == []
    for consumer in specs.consumers("jwks.json"):
        assert _errors("consumer", consumer) == [], consumer["name"]


def test_literal_secrets_and_alg_none_are_schema_errors() -> None:
    consumer = copy.deepcopy(specs.consumers()[3])  # jwt consumer
    consumer["auth"]["secret"] = "plain-text-secret"
    assert _errors("consumer", consumer)
    consumer = copy.deepcopy(specs.consumers()[3])
    consumer["auth"]["algorithms"] = ["none"]
    assert _errors("consumer", consumer)
    basic = copy.deepcopy(specs.consumers()[4])
    basic["auth"]["password"] = "hunter2"
    assert _errors("consumer", basic)
    integration = _integration()
    integration["gateway"]["token"]["secret"] = "literal"
    assert _errors("integration", integration)


def test_route_shape_errors() -> None:
    integration = _integration()
    route = integration["gateway"]["routes"][0]
    route["compose"] = [{"name": "x", "system": "crm", "path": "/x"}]  # both upstream and compose
    assert _errors("integration", integration)
    integration = _integration()
    integration["gateway"]["routes"][0]["response"]["steps"].append({"explode": True})
    assert _errors("integration", integration)
    integration = _integration()
    integration["gateway"]["routes"][0]["auth"] = ["magic"]
    assert _errors("integration", integration)
