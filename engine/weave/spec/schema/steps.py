"""JSON-Schema fragment for the transform step language (`steps:`), `kind: transform` and `kind: table`.

Owned by the transforms engine (weave.transforms.steps); keep in step with `weave.transforms.steps.kinds`.
Exports DEFS (with "steps" and one definition per step kind), TRANSFORM and TABLE.
"""

from __future__ import annotations

from typing import Any

from weave.spec.schema.common import ref

_JMES = {"type": "string", "minLength": 1}
_FIELD = {"type": "string", "minLength": 1, "description": "A field name; dots address nested fields (`address.country`)."}
_OUTPUT = {"enum": ["text", "xml", "html"], "description": "Escaping: xml/html escape every substituted value."}


_KINDS = ("map", "select", "set", "template", "filter", "drop", "rename", "validate", "lookup", "split", "coerce",
          "use")


def _step(kind: str, value: dict[str, Any], description: str) -> dict[str, Any]:
    """The schema of one kind's argument (the value under its key)."""
    return {**value, "description": f"{description} {value.get('description', '')}".strip()}


_SET_VALUE = {
    "description": "A JMESPath string, or {template}, {expression} (Jinja, native value) or {value} (a literal).",
    "oneOf": [
        {**_JMES, "description": "JMESPath over the input record."},
        {"type": "object", "additionalProperties": False, "required": ["template"],
         "properties": {"template": {"type": "string", "description": "Jinja text template."}, "output": _OUTPUT},
         "description": "Rendered Jinja text."},
        {"type": "object", "additionalProperties": False, "required": ["expression"],
         "properties": {"expression": {"type": "string", "description": "Jinja expression, e.g. `qty * price`."}},
         "description": "A Jinja expression's native value."},
        {"type": "object", "additionalProperties": False, "required": ["value"],
         "properties": {"value": {"description": "Any literal value."}}, "description": "A constant."},
    ],
}

_COERCE_SPEC = {
    "description": "A type name, or {type, timezone, to, format, scale, required}.",
    "oneOf": [
        {"enum": ["int", "float", "str", "bool", "decimal", "datetime", "date"], "description": "Target type."},
        {
            "type": "object",
            "additionalProperties": False,
            "required": ["type"],
            "description": "Target type with options.",
            "properties": {
                "type": {"enum": ["int", "float", "str", "bool", "decimal", "datetime", "date"],
                         "description": "Target type. decimal yields an exact string; datetime an ISO 8601 string."},
                "timezone": {"type": "string", "description": "IANA zone that naive input is read in (default UTC)."},
                "to": {"type": "string", "description": "datetime: IANA zone of the output (default UTC, `Z`)."},
                "format": {"type": "string", "description": "strptime format of the input (default ISO 8601)."},
                "scale": {"type": "integer", "minimum": 0, "description": "decimal: digits after the point (half-up)."},
                "required": {"type": "boolean", "description": "A missing/null value is an error (default false)."},
            },
        },
    ],
}

DEFS: dict[str, Any] = {
    "steps": {
        "type": "array",
        "description": "Transform steps, applied in order to each record (see docs/design/transforms.md).",
        "items": ref("step"),
    },
    "step": {
        "type": "object",
        "description": "One step: a mapping with exactly one key naming its kind.",
        "minProperties": 1,
        "maxProperties": 1,
        "additionalProperties": False,
        "properties": {k: ref(f"step_{k}") for k in _KINDS},
    },
    "step_map": _step("map", {**_JMES, "description": "JMESPath producing the new record (an object)."},
                      "Replace the record with a JMESPath projection."),
    "step_select": _step("select", {**_JMES, "description": "JMESPath producing the new record (an object)."},
                         "Alias of map."),
    "step_set": _step("set", {"type": "object", "minProperties": 1, "additionalProperties": _SET_VALUE,
                              "description": "field: value. Every value is computed from the input record."},
                      "Set fields from JMESPath or Jinja."),
    "step_template": _step("template", {
        "type": "object", "additionalProperties": False, "required": ["field"],
        "oneOf": [{"required": ["template"]}, {"required": ["file"]}],
        "description": "Render Jinja text into a field.",
        "properties": {
            "field": _FIELD,
            "template": {"type": "string", "description": "Inline template."},
            "file": {"type": "string", "description": "Template file under transforms/ (e.g. soap/create.xml.j2)."},
            "output": _OUTPUT,
        },
    }, "Render a Jinja template (message bodies, SOAP envelopes, e-mails, file names)."),
    "step_filter": _step("filter", {**_JMES, "description": "JMESPath; falsy (null, false, '', [], {}) drops."},
                         "Keep the record only when the condition is truthy."),
    "step_drop": _step("drop", {"type": "array", "items": _FIELD, "minItems": 1, "description": "Fields to remove."},
                       "Remove fields."),
    "step_rename": _step("rename", {"type": "object", "minProperties": 1, "additionalProperties": _FIELD,
                                    "description": "from: to."}, "Rename fields."),
    "step_validate": _step("validate", {
        "type": "object", "additionalProperties": False,
        "oneOf": [{"required": ["schema"]}, {"required": ["event"]}],
        "description": "An inline JSON Schema, or a catalog event whose schema applies.",
        "properties": {
            "schema": {"type": "object", "description": "JSON Schema (draft 2020-12)."},
            "event": {"type": "string", "description": "A `kind: event` name."},
        },
    }, "Fail the record unless it matches a JSON Schema."),
    "step_lookup": _step("lookup", {
        "type": "object", "additionalProperties": False, "required": ["table", "key", "into"],
        "description": "Look a value up in a `kind: table` from transforms/.",
        "properties": {
            "table": {"type": "string", "description": "Table name."},
            "key": {**_JMES, "description": "JMESPath computing the key."},
            "into": _FIELD,
            "column": {"type": "string", "description": "For row tables: the column to take (default: the row)."},
            "default": {"description": "Value when the key is absent (without it, an absent key fails the record)."},
        },
    }, "Enrich from a static table."),
    "step_split": _step("split", {
        "description": "JMESPath to an array of objects, or {items, with}.",
        "oneOf": [
            {**_JMES, "description": "JMESPath producing an array of objects."},
            {"type": "object", "additionalProperties": False, "required": ["items"],
             "description": "Items plus fields copied from the parent record.",
             "properties": {"items": {**_JMES, "description": "JMESPath producing an array of objects."},
                            "with": {"type": "object", "additionalProperties": _JMES,
                                     "description": "field: JMESPath over the parent record."}}},
        ],
    }, "One record becomes many."),
    "step_coerce": _step("coerce", {"type": "object", "minProperties": 1, "additionalProperties": _COERCE_SPEC,
                                    "description": "field: type."}, "Convert field types (dates with time zones)."),
    "step_use": _step("use", {"type": "string", "minLength": 1, "description": "A `kind: transform` name."},
                      "Apply a named transform from the library."),
    "fixture": {
        "type": "object",
        "description": "A fixture: input and the expected output (an object, or an array of records) or error.",
        "additionalProperties": False,
        "required": ["input"],
        "oneOf": [{"required": ["expect"]}, {"required": ["expect_error"]}],
        "properties": {
            "name": {"type": "string", "description": "Fixture name (unique within its transform)."},
            "input": {"description": "The input record."},
            "expect": {"description": "Expected output: an object (one record) or an array (all records)."},
            "expect_error": {"type": "string", "description": "A substring of the expected error."},
        },
    },
}

TRANSFORM: dict[str, Any] = {
    "type": "object",
    "description": "A named reusable transform in transforms/, applied with `- use: NAME`.",
    "additionalProperties": False,
    "required": ["kind", "name", "steps"],
    "properties": {
        "kind": {"const": "transform", "description": "Document kind."},
        "name": ref("name"),
        "description": ref("description"),
        "owner": ref("owner"),
        "steps": ref("steps"),
        "fixtures": {"type": "array", "items": ref("fixture"), "description": "Cases run by `weave test`."},
    },
}

TABLE: dict[str, Any] = {
    "type": "object",
    "description": "A static lookup table for the `lookup` step: a mapping, or rows with a key column.",
    "additionalProperties": False,
    "required": ["kind", "name"],
    "oneOf": [{"required": ["mapping"]}, {"required": ["rows", "key"]}],
    "properties": {
        "kind": {"const": "table", "description": "Document kind."},
        "name": ref("name"),
        "description": ref("description"),
        "owner": ref("owner"),
        "mapping": {"type": "object", "description": "key: value."},
        "key": {"type": "string", "description": "For rows: the column that is the key."},
        "rows": {"type": "array", "items": {"type": "object", "description": "One row."}, "description": "Rows (objects)."},
    },
}
