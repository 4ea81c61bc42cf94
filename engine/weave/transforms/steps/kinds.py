"""One compiler per step kind: `(argument, context) -> function(record) -> record | None | list`.

Everything that can be checked is checked here, once, at build time (expressions, templates,
schemas, tables, coerce specs); the returned functions only do per-record work. No function
mutates its input record: changed records are shallow copies (nested dicts copied on write).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import jinja2
import jsonschema
from jmespath import exceptions as jexc

from weave.transforms import jmespath as jp
from weave.transforms.jinja import TemplateEngine
from weave.transforms.library import Library
from weave.transforms.schemacompile import compile_schema
from weave.transforms.steps.coerce import make_converter
from weave.transforms.steps.fields import MISSING, get_path, pop_path, set_path, split_path

StepFn = Callable[[dict[str, Any]], Any]


class BuildFailure(Exception):
    """Raised by a kind compiler; the builder adds the step's index and position."""

    def __init__(self, message: str, code: str = "WV601") -> None:
        super().__init__(message)
        self.code = code


class RecordFailure(Exception):
    """Raised by a step function for one record; the pipeline adds step, file, line, key."""


@dataclass(frozen=True)
class Context:
    functions: jp.Functions
    templates: TemplateEngine
    library: Library | None
    schemas: Callable[[str], Mapping[str, Any] | None] | None
    build_nested: Callable[[str], Any]  # name -> Pipeline (for `use`)


def expression(source: Any, ctx: Context, what: str = "expression") -> jp.CompiledExpression:
    if not isinstance(source, str) or not source.strip():
        raise BuildFailure(f"{what} must be a non-empty JMESPath string, got {source!r}")
    try:
        compiled = jp.compile(source, functions=ctx.functions)
    except jexc.JMESPathError as exc:
        raise BuildFailure(f"invalid JMESPath {source!r}: {' '.join(str(exc).split())}", "WV312") from None
    _check_functions(compiled.expression, ctx.functions)
    return compiled


def _check_functions(source: str, functions: jp.Functions) -> None:
    """Unknown functions and wrong arity are reported at build time (the reference defers them)."""
    from weave.transforms.jmespath.parser import parse

    stack = [parse(source)]
    while stack:
        node = stack.pop()
        if not isinstance(node, dict):
            continue
        if node.get("type") == "function_expression":
            name, nargs = node["value"], len(node["children"])
            fdef = functions.lookup(name)
            if fdef is None:
                raise BuildFailure(
                    f"unknown function {name}() in {source!r} (known: {', '.join(functions.names())})", "WV312"
                )
            need = len(fdef.signature)
            if (nargs < need) if fdef.variadic else (nargs != need):
                raise BuildFailure(
                    f"{name}() takes {'at least ' if fdef.variadic else ''}{need} argument(s), got {nargs} in {source!r}",
                    "WV312",
                )
        stack.extend(c for c in node.get("children", []) if isinstance(c, dict))


def _truthy(value: Any) -> bool:
    return not (value is None or value is False or value == "" or value == [] or value == {})


def _template_vars(record: dict[str, Any]) -> dict[str, Any]:
    return {**record, "record": record}


def _render(template: Any, record: dict[str, Any]) -> str:
    try:
        out: str = template.render(record, record=record)
        return out
    except jinja2.TemplateError as exc:
        raise RecordFailure(f"template failed: {exc}") from None


def _template(spec: Any, ctx: Context, output: str = "text") -> Any:
    try:
        if isinstance(spec, Mapping) and "file" in spec:
            return ctx.templates.get(str(spec["file"]), spec.get("output"))
        source = spec["template"] if isinstance(spec, Mapping) else spec
        if not isinstance(source, str):
            raise BuildFailure(f"a template must be a string, got {source!r}")
        return ctx.templates.from_string(source, str(spec.get("output", output)) if isinstance(spec, Mapping) else output)
    except jinja2.TemplateNotFound as exc:
        raise BuildFailure(f"template file not found: {exc}") from None
    except jinja2.TemplateSyntaxError as exc:
        raise BuildFailure(f"invalid template (line {exc.lineno}): {exc.message}", "WV312") from None
    except ValueError as exc:
        raise BuildFailure(str(exc)) from None


def _object_result(name: str, value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise RecordFailure(f"{name} must produce an object, got {_describe(value)}")
    return value


def _describe(value: Any) -> str:
    return {type(None): "null", bool: "a boolean", list: "an array", str: "a string"}.get(
        type(value), "a number" if isinstance(value, (int, float)) else type(value).__name__
    )


# --- kinds ----------------------------------------------------------------------------------


def k_map(arg: Any, ctx: Context) -> StepFn:
    search = expression(arg, ctx).search

    def run(record: dict[str, Any]) -> Any:
        return _object_result("map", search(record))

    return run


def k_set(arg: Any, ctx: Context) -> StepFn:
    if not isinstance(arg, Mapping) or not arg:
        raise BuildFailure("set: needs a mapping of field: expression")
    setters: list[tuple[tuple[str, ...], Callable[[dict[str, Any]], Any]]] = []
    for name, spec in arg.items():
        try:
            parts = split_path(str(name))
        except ValueError as exc:
            raise BuildFailure(str(exc)) from None
        if isinstance(spec, str):
            setters.append((parts, expression(spec, ctx, f"set.{name}").search))
        elif isinstance(spec, Mapping) and "template" in spec:
            setters.append((parts, _renderer(_template(spec, ctx))))
        elif isinstance(spec, Mapping) and "expression" in spec:
            setters.append((parts, _jinja_expression(spec["expression"], ctx)))
        elif isinstance(spec, Mapping) and "value" in spec:
            setters.append((parts, _constant(spec["value"])))
        else:
            raise BuildFailure(f"set.{name}: give a JMESPath string, {{template: ...}}, {{expression: ...}} or {{value: ...}}")
    flat = all(len(p) == 1 for p, _ in setters)
    if flat:
        pairs = [(p[0], fn) for p, fn in setters]

        def run_flat(record: dict[str, Any]) -> Any:
            values = [(k, fn(record)) for k, fn in pairs]  # every field sees the input record
            out = dict(record)
            out.update(values)
            return out

        return run_flat

    def run(record: dict[str, Any]) -> Any:
        values = [(p, fn(record)) for p, fn in setters]
        out = dict(record)
        for parts, value in values:
            set_path(out, parts, value)
        return out

    return run


def _renderer(template: Any) -> Callable[[dict[str, Any]], Any]:
    return lambda record: _render(template, record)


def _constant(value: Any) -> Callable[[dict[str, Any]], Any]:
    return lambda record: value


def _jinja_expression(source: Any, ctx: Context) -> Callable[[dict[str, Any]], Any]:
    if not isinstance(source, str):
        raise BuildFailure(f"a Jinja expression must be a string, got {source!r}")
    try:
        fn = ctx.templates.expression(source)
    except jinja2.TemplateSyntaxError as exc:
        raise BuildFailure(f"invalid Jinja expression {source!r}: {exc.message}", "WV312") from None

    def evaluate(record: dict[str, Any]) -> Any:
        try:
            return fn(_template_vars(record))
        except jinja2.TemplateError as exc:
            raise RecordFailure(f"expression {source!r} failed: {exc}") from None

    return evaluate


def k_template(arg: Any, ctx: Context) -> StepFn:
    if not isinstance(arg, Mapping) or "field" not in arg or not ({"template", "file"} & set(arg)):
        raise BuildFailure("template: needs {field, template} or {field, file}")
    parts = split_path(str(arg["field"]))
    tpl = _template(arg, ctx)

    def run(record: dict[str, Any]) -> Any:
        out = dict(record)
        set_path(out, parts, _render(tpl, record))
        return out

    return run


def k_filter(arg: Any, ctx: Context) -> StepFn:
    search = expression(arg, ctx).search

    def run(record: dict[str, Any]) -> Any:
        return record if _truthy(search(record)) else None

    return run


def k_drop(arg: Any, ctx: Context) -> StepFn:
    names = [arg] if isinstance(arg, str) else arg
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise BuildFailure("drop: needs a list of field names")
    paths = [split_path(n) for n in names]

    def run(record: dict[str, Any]) -> Any:
        out = dict(record)
        for parts in paths:
            pop_path(out, parts)
        return out

    return run


def k_rename(arg: Any, ctx: Context) -> StepFn:
    if not isinstance(arg, Mapping) or not arg:
        raise BuildFailure("rename: needs a mapping {from: to}")
    pairs = [(split_path(str(a)), split_path(str(b))) for a, b in arg.items()]

    def run(record: dict[str, Any]) -> Any:
        out = dict(record)
        for src, dst in pairs:
            value = pop_path(out, src)
            if value is not MISSING:
                set_path(out, dst, value)
        return out

    return run


def k_validate(arg: Any, ctx: Context) -> StepFn:
    if isinstance(arg, Mapping) and isinstance(arg.get("schema"), Mapping):
        schema, label = arg["schema"], "schema"
    elif isinstance(arg, Mapping) and isinstance(arg.get("event"), str):
        if ctx.schemas is None:
            raise BuildFailure(f"validate: no event catalog is available to resolve {arg['event']!r}")
        found = ctx.schemas(arg["event"])
        if found is None:
            raise BuildFailure(f"validate: unknown event {arg['event']!r}")
        schema, label = found, f"event {arg['event']}"
    else:
        raise BuildFailure("validate: needs {schema: {...}} or {event: name}")
    cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft202012Validator)
    try:
        cls.check_schema(schema)
    except jsonschema.SchemaError as exc:
        raise BuildFailure(f"validate: invalid JSON Schema: {exc.message}") from None
    validator = cls(schema, format_checker=cls.FORMAT_CHECKER)
    fast = compile_schema(schema) if cls is jsonschema.Draft202012Validator else None
    is_valid = fast or validator.is_valid

    def run(record: dict[str, Any]) -> Any:
        if is_valid(record) or (fast is not None and validator.is_valid(record)):
            return record
        errors = sorted(validator.iter_errors(record), key=lambda e: list(e.absolute_path))
        first = errors[0]
        where = "/" + "/".join(map(str, first.absolute_path))
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        raise RecordFailure(f"does not match {label} at {where}: {first.message}{more}")

    return run


def k_lookup(arg: Any, ctx: Context) -> StepFn:
    if not isinstance(arg, Mapping) or not {"table", "key", "into"} <= set(arg):
        raise BuildFailure("lookup: needs {table, key, into} (and optionally default, column)")
    if ctx.library is None or arg["table"] not in ctx.library.tables:
        known = ", ".join(sorted(ctx.library.tables)) if ctx.library else "none: no transforms/ library"
        raise BuildFailure(f"lookup: unknown table {arg['table']!r} (known: {known})")
    table = ctx.library.tables[arg["table"]]
    key = expression(arg["key"], ctx, "lookup.key").search
    into = split_path(str(arg["into"]))
    column = arg.get("column")
    has_default = "default" in arg
    default = arg.get("default")

    def run(record: dict[str, Any]) -> Any:
        k = key(record)
        if k in table:
            value = table.lookup(k)
            if column is not None:
                value = value.get(column) if isinstance(value, dict) else None
        elif has_default:
            value = default
        else:
            raise RecordFailure(f"no entry for key {k!r} in table {table.name!r}")
        out = dict(record)
        set_path(out, into, value)
        return out

    return run


def k_split(arg: Any, ctx: Context) -> StepFn:
    extra: list[tuple[str, Callable[[Any], Any]]] = []
    if isinstance(arg, Mapping):
        items = expression(arg.get("items"), ctx, "split.items").search
        for name, expr in (arg.get("with") or {}).items():
            extra.append((str(name), expression(expr, ctx, f"split.with.{name}").search))
    else:
        items = expression(arg, ctx, "split").search

    def run(record: dict[str, Any]) -> Any:
        value = items(record)
        if value is None:
            return []
        if not isinstance(value, list):
            raise RecordFailure(f"split must produce an array, got {_describe(value)}")
        parent = [(name, fn(record)) for name, fn in extra]
        out = []
        for i, element in enumerate(value):
            if not isinstance(element, dict):
                raise RecordFailure(f"split element {i} is {_describe(element)}, not an object")
            out.append({**element, **dict(parent)} if parent else element)
        return out

    return run


def k_coerce(arg: Any, ctx: Context) -> StepFn:
    if not isinstance(arg, Mapping) or not arg:
        raise BuildFailure("coerce: needs a mapping {field: type} or {field: {type, timezone, format}}")
    converters = []
    for name, spec in arg.items():
        spec = {"type": spec} if isinstance(spec, str) else spec
        if not isinstance(spec, Mapping):
            raise BuildFailure(f"coerce.{name}: needs a type")
        try:
            converters.append((str(name), split_path(str(name)), make_converter(spec), bool(spec.get("required"))))
        except ValueError as exc:
            raise BuildFailure(f"coerce.{name}: {exc}") from None

    def run(record: dict[str, Any]) -> Any:
        out = dict(record)
        for name, parts, convert, required in converters:
            value = get_path(record, parts, MISSING)
            if value is MISSING or value is None:
                if required:
                    raise RecordFailure(f"coerce: {name} is required")
                continue
            try:
                set_path(out, parts, convert(value))
            except ValueError as exc:
                raise RecordFailure(f"coerce: {name}: {exc}") from None
        return out

    return run


def k_use(arg: Any, ctx: Context) -> StepFn:
    if not isinstance(arg, str):
        raise BuildFailure("use: needs the name of a transform")
    pipeline = ctx.build_nested(arg)
    return pipeline.run_many  # type: ignore[no-any-return]


KINDS: dict[str, Callable[[Any, Context], StepFn]] = {
    "map": k_map,
    "select": k_map,
    "set": k_set,
    "template": k_template,
    "filter": k_filter,
    "drop": k_drop,
    "rename": k_rename,
    "validate": k_validate,
    "lookup": k_lookup,
    "split": k_split,
    "coerce": k_coerce,
    "use": k_use,
}
MANY = frozenset({"split", "use"})  # kinds whose function returns a list of records
