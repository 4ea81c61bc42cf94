"""The shipped JSON Schemas agree with the code, are valid 2020-12, and describe every field."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema

from weave.cli.schema_cmd import render
from weave.spec.schema import BASE_ID, build_schemas


def test_shipped_schemas_match_the_code(repo_root: Path) -> None:
    built = build_schemas()
    shipped = {p.name for p in (repo_root / "schema").glob("*.json")}
    assert shipped == set(built), "run: weave schema --export schema/"
    for name, content in built.items():
        assert (repo_root / "schema" / name).read_text() == render(content), f"stale {name}: weave schema --export schema/"


def test_schemas_are_valid_and_versioned() -> None:
    for name, schema in build_schemas().items():
        jsonschema.Draft202012Validator.check_schema(schema)
        assert schema["$id"] == f"{BASE_ID}/{name}"


def _properties_without_description(node: Any, path: str = "") -> list[str]:
    missing = []
    if isinstance(node, dict):
        for key, sub in (node.get("properties") or {}).items():
            if isinstance(sub, dict) and "description" not in sub and "$ref" not in sub:
                missing.append(f"{path}/{key}")
        for key, value in node.items():
            missing += _properties_without_description(value, f"{path}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            missing += _properties_without_description(value, f"{path}/{i}")
    return missing


def test_every_field_is_described() -> None:
    for name, schema in build_schemas().items():
        assert _properties_without_description(schema) == [], name


def test_examples_carry_the_modeline(repo_root: Path) -> None:
    for path in (repo_root / "specs").rglob("*.yaml"):
        first = path.read_text().splitlines()[0]
        assert first.startswith("# yaml-language-server: $schema="), path
        target = (path.parent / first.split("$schema=")[1]).resolve()
        assert target.is_file(), f"{path}: modeline points to missing {target}"
        assert json.loads(target.read_text())["$id"].endswith("weave.schema.json")
