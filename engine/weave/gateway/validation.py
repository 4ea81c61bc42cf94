"""Request bodies against the route's JSON Schema: a 400 naming every failing path."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson
from jsonschema import Draft202012Validator

from weave.gateway.errors import bad_request


def _pointer(path: Any) -> str:
    return "/" + "/".join(str(p).replace("~", "~0").replace("/", "~1") for p in path) if path else "/"


class BodyValidator:
    def __init__(self, schema: Mapping[str, Any]) -> None:
        Draft202012Validator.check_schema(schema)
        self.validator = Draft202012Validator(schema)

    def parse(self, body: bytes) -> Any:
        """The parsed JSON body, or a 400 with `details: [{path, message}]` (at most 20)."""
        try:
            document = orjson.loads(body)
        except orjson.JSONDecodeError:
            raise bad_request("the request body is not valid JSON", code="invalid_json") from None
        errors = sorted(self.validator.iter_errors(document), key=lambda e: list(e.absolute_path))
        if errors:
            details = [{"path": _pointer(e.absolute_path), "message": e.message[:200]} for e in errors[:20]]
            first = details[0]
            raise bad_request(f"request body invalid at {first['path']}: {first['message']}",
                              code="invalid_request", details=details)
        return document
