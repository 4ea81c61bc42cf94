"""Validators for `publish(..., validator=...)`: a callable returning the payload's problems."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from jsonschema import Draft202012Validator

from weave.bus._types import Validator


def schema_validator(schema: Mapping[str, Any], *, max_problems: int = 10) -> Validator:
    """A validator from a JSON Schema (draft 2020-12); problems read `path: message`."""
    checker = Draft202012Validator(dict(schema))

    def validate(payload: Mapping[str, Any]) -> list[str]:
        problems = []
        for error in checker.iter_errors(payload):
            where = "/".join(str(p) for p in error.absolute_path) or "(root)"
            problems.append(f"{where}: {error.message}")
            if len(problems) >= max_problems:
                break
        return problems

    return validate
