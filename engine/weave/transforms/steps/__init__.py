"""The transform step language.

    pipeline = build_pipeline(integration.raw["steps"], file="specs/orders.yaml",
                              positions=[spec.pos("steps", i) ... ], library=load_library(["transforms"]))
    records = pipeline.run(record)        # [] (filtered), [one], or many (split)

Steps (each a mapping with exactly one key):

| step | argument |
|---|---|
| `map` / `select` | JMESPath producing the new record (an object) |
| `set` | `{field: "jmespath" \\| {template: "..."} \\| {expression: "jinja expr"} \\| {value: literal}}` |
| `template` | `{field, template \\| file, output: text\\|xml\\|html}` |
| `filter` | JMESPath; the record is dropped unless the result is truthy |
| `drop` | `[field, ...]` |
| `rename` | `{from: to}` |
| `validate` | `{schema: {...}}` or `{event: name}` |
| `lookup` | `{table, key: jmespath, into: field, default?, column?}` |
| `split` | JMESPath to an array of objects, or `{items: jmespath, with: {field: jmespath}}` |
| `coerce` | `{field: type}` or `{field: {type, timezone, to, format, scale, required}}` |
| `use` | the name of a transform in the library |
"""

from weave.transforms.steps.errors import StepError
from weave.transforms.steps.kinds import KINDS
from weave.transforms.steps.pipeline import (
    CompiledStep,
    Pipeline,
    build_pipeline,
    check_steps,
    default_record_key,
)

__all__ = ["KINDS", "CompiledStep", "Pipeline", "StepError", "build_pipeline", "check_steps", "default_record_key"]
