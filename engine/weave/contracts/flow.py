"""Symbolic run of a step list: which fields each step reads and writes, and the record shape that reaches
the sink. Every step kind of `weave.transforms.steps` is understood; `use:` follows the named transform
into its own file (positions point there).

The shape is a set of known fields (leaf paths, with what is known of their values) plus whether fields of
the *input* record still pass through. References to fields the steps did not produce, while the input is
visible, are reads of the input (a source system's response record, when the flow extracts).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from weave.contracts import exprs
from weave.contracts.exprs import FieldPath
from weave.contracts.positions import expression_position
from weave.contracts.schemas import ITEMS, json_type
from weave.contracts.templates import expression_reads, template_reads
from weave.spec.yamlload import Document

COERCE_TYPES = {"int": "integer", "integer": "integer", "float": "number", "number": "number", "str": "string",
                "string": "string", "bool": "boolean", "boolean": "boolean", "decimal": "string",
                "datetime": "string", "date": "string"}


def dotted(path: FieldPath) -> str:
    out = ""
    for part in path:
        out += "[]" if part == ITEMS else (f".{part}" if out else part)
    return out


@dataclass(frozen=True)
class FieldUse:
    """One field read or written, by one step, at one position of a spec (or transform) file."""

    path: FieldPath
    step: str
    file: str
    line: int
    column: int
    value_type: str | None = None
    literal: Any = None
    is_literal: bool = False
    function: str | None = None
    arg: int = 0
    origin: FieldPath | None = None  # written fields: the input-record field copied as-is, when one is

    @property
    def name(self) -> str:
        return dotted(self.path)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"field": self.name, "step": self.step, "file": self.file, "line": self.line,
                               "column": self.column}
        if self.value_type:
            out["type"] = self.value_type
        if self.function:
            out["function"] = self.function
        return out


@dataclass(frozen=True)
class StepUse:
    label: str
    kind: str
    file: str
    line: int
    reads: tuple[str, ...]
    writes: tuple[str, ...]
    removes: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"step": self.label, "kind": self.kind, "file": self.file, "line": self.line,
                "reads": list(self.reads), "writes": list(self.writes), "removes": list(self.removes)}


@dataclass
class Shape:
    fields: dict[FieldPath, FieldUse] = field(default_factory=dict)
    input_visible: bool = True
    input_prefix: FieldPath = ()
    dropped: set[str] = field(default_factory=set)

    def copy(self) -> Shape:
        return Shape(dict(self.fields), self.input_visible, self.input_prefix, set(self.dropped))

    def produces(self, top: str) -> bool:
        return any(p[0] == top for p in self.fields)

    @property
    def complete(self) -> bool:
        return not self.input_visible


@dataclass
class Flow:
    """The state of one symbolic run: the shape, the input reads, and a trace of every step."""

    shape: Shape = field(default_factory=Shape)
    input_reads: list[FieldUse] = field(default_factory=list)
    steps: list[StepUse] = field(default_factory=list)
    opaque: bool = False  # a map whose result shape is unknown


@dataclass(frozen=True)
class Where:
    doc: Document
    path: tuple[str | int, ...]  # spec path of the step's argument
    label: str

    def at(self, *sub: str | int) -> tuple[str, int, int]:
        line, col = self.doc.position((*self.path, *sub))
        return self.doc.file, line, col

    def key_at(self, *sub: str | int) -> tuple[str, int, int]:
        line, col = self.doc.position((*self.path, *sub), key=True)
        return self.doc.file, line, col

    def expr_at(self, expression: str, offset: int, *sub: str | int) -> tuple[str, int, int]:
        line, col = expression_position(self.doc, (*self.path, *sub), expression, offset)
        return self.doc.file, line, col


TransformLookup = Callable[[str], tuple[Document, list[Any]] | None]
TemplateLookup = Callable[[str], str | None]


class Simulator:
    def __init__(self, transforms: TransformLookup, templates: TemplateLookup) -> None:
        self.transforms = transforms
        self.templates = templates

    def run(self, flow: Flow, steps: Any, doc: Document, path: tuple[str | int, ...], label: str,
            stack: tuple[str, ...] = ()) -> None:
        if not isinstance(steps, list):
            return
        for i, step in enumerate(steps):
            if not isinstance(step, Mapping) or len(step) != 1:
                continue
            kind, arg = next(iter(step.items()))
            where = Where(doc, (*path, i, kind), f"{label}[{i}] {kind}")
            before_reads, before_fields = len(flow.input_reads), dict(flow.shape.fields)
            before_dropped = set(flow.shape.dropped)
            internal: list[str] = []
            if kind == "use":
                if isinstance(arg, str):
                    self._use(flow, arg, where, stack)
                continue
            handler = self._handlers().get(str(kind))
            if handler is not None:
                handler(flow, arg, where, internal)
            reads = [u.name for u in flow.input_reads[before_reads:]] + internal
            writes = [dotted(p) for p, u in flow.shape.fields.items() if before_fields.get(p) is not u]
            removed = [dotted(p) for p in before_fields if p not in flow.shape.fields and kind != "map"
                       and kind != "select" and kind != "split"] + sorted(flow.shape.dropped - before_dropped)
            flow.steps.append(StepUse(where.label, str(kind), doc.file, where.at()[1], tuple(dict.fromkeys(reads)),
                                      tuple(writes), tuple(dict.fromkeys(removed))))

    def _handlers(self) -> dict[str, Callable[[Flow, Any, Where, list[str]], None]]:
        """The step kinds of weave.transforms.steps (`use` is handled by `run`): an explicit table."""
        return {"map": self._map, "select": self._map, "set": self._set, "template": self._template,
                "filter": self._filter, "drop": self._drop, "rename": self._rename, "validate": self._validate,
                "lookup": self._lookup, "split": self._split, "coerce": self._coerce}

    def condition(self, flow: Flow, expression: str, where: Where) -> None:
        """A routing condition (`deliver[].when`): reads only."""
        self._expr_reads(flow, expression, where, [])

    # --- helpers ----------------------------------------------------------------------------------
    @staticmethod
    def _origin(flow: Flow, source: FieldPath | None) -> FieldPath | None:
        """The input-record path a copied value comes from (through fields copied earlier, too)."""
        if source is None:
            return None
        shape = flow.shape
        if source in shape.fields:
            return shape.fields[source].origin
        if shape.produces(source[0]) or not shape.input_visible or source[0] in shape.dropped:
            return None
        return (*shape.input_prefix, *source)

    def _ref(self, flow: Flow, path: FieldPath, where: Where, pos: tuple[str, int, int], internal: list[str],
             function: str | None = None, arg: int = 0) -> FieldUse | None:
        """Classify a reference: a produced field (internal) or a read of the input record."""
        shape = flow.shape
        if not path:
            return None
        if shape.produces(path[0]):
            internal.append(dotted(path))
            return shape.fields.get(path)
        if shape.input_visible and path[0] not in shape.dropped:
            use = FieldUse((*shape.input_prefix, *path), where.label, *pos, function=function, arg=arg)
            flow.input_reads.append(use)
            return None
        internal.append(dotted(path))
        return None

    def _expr_reads(self, flow: Flow, expression: Any, where: Where, internal: list[str], *sub: str | int) -> None:
        if not isinstance(expression, str):
            return
        for read in exprs.reads(expression):
            pos = where.expr_at(expression, read.offset, *sub) if read.offset >= 0 else where.at(*sub)
            self._ref(flow, read.path, where, pos, internal, read.function, read.arg)

    def _template_source(self, arg: Mapping[str, Any]) -> str | None:
        if isinstance(arg.get("template"), str):
            return str(arg["template"])
        if isinstance(arg.get("file"), str):
            return self.templates(str(arg["file"]))
        return None

    # --- step kinds -------------------------------------------------------------------------------
    def _map(self, flow: Flow, arg: Any, where: Where, internal: list[str]) -> None:
        if not isinstance(arg, str):
            return
        known = dict(flow.shape.fields)
        self._expr_reads(flow, arg, where, internal)
        outputs = exprs.outputs(arg)
        new = Shape(input_visible=False)
        if outputs is None:
            flow.opaque = True
        else:
            for out in outputs:
                value_type, literal, is_literal = out.value_type, out.literal, out.is_literal
                origin = self._origin(flow, out.source)
                if out.source is not None and out.source in known:
                    copied = known[out.source]
                    value_type, literal, is_literal = copied.value_type, copied.literal, copied.is_literal
                new.fields[out.path] = FieldUse(out.path, where.label, *where.expr_at(arg, out.offset), value_type,
                                                literal, is_literal, origin=origin)
            flow.opaque = False
        flow.shape = new

    def _set(self, flow: Flow, arg: Any, where: Where, internal: list[str]) -> None:
        if not isinstance(arg, Mapping):
            return
        produced: dict[FieldPath, FieldUse] = {}
        for name, spec in arg.items():
            path = tuple(str(name).split("."))
            pos = where.key_at(name)
            if isinstance(spec, str):
                self._expr_reads(flow, spec, where, internal, name)
                tree = exprs.parse(spec)
                out = exprs.describe(path, 0, tree) if tree is not None else None
                produced[path] = FieldUse(path, where.label, *pos, out.value_type if out else None,
                                          out.literal if out else None, bool(out and out.is_literal),
                                          origin=self._origin(flow, out.source if out else None))
            elif isinstance(spec, Mapping) and "value" in spec:
                produced[path] = FieldUse(path, where.label, *pos, json_type(spec["value"]), spec["value"], True)
            elif isinstance(spec, Mapping) and ("template" in spec or "file" in spec):
                source = self._template_source(spec)
                for ref in template_reads(source or ""):
                    self._ref(flow, ref, where, where.at(name), internal)
                produced[path] = FieldUse(path, where.label, *pos, "string")
            elif isinstance(spec, Mapping) and isinstance(spec.get("expression"), str):
                for ref in expression_reads(spec["expression"]):
                    self._ref(flow, ref, where, where.at(name), internal)
                produced[path] = FieldUse(path, where.label, *pos)
        for path, use in produced.items():
            self._put(flow.shape, path, use)

    def _template(self, flow: Flow, arg: Any, where: Where, internal: list[str]) -> None:
        if not isinstance(arg, Mapping) or not isinstance(arg.get("field"), str):
            return
        for ref in template_reads(self._template_source(arg) or ""):
            self._ref(flow, ref, where, where.at(), internal)
        path = tuple(arg["field"].split("."))
        self._put(flow.shape, path, FieldUse(path, where.label, *where.at("field"), "string"))

    def _filter(self, flow: Flow, arg: Any, where: Where, internal: list[str]) -> None:
        self._expr_reads(flow, arg, where, internal)

    def _drop(self, flow: Flow, arg: Any, where: Where, internal: list[str]) -> None:
        for name in [arg] if isinstance(arg, str) else (arg if isinstance(arg, list) else []):
            path = tuple(str(name).split("."))
            self._remove(flow.shape, path)
            if len(path) == 1:
                flow.shape.dropped.add(path[0])

    def _rename(self, flow: Flow, arg: Any, where: Where, internal: list[str]) -> None:
        if not isinstance(arg, Mapping):
            return
        for old, new in arg.items():
            src, dst = tuple(str(old).split(".")), tuple(str(new).split("."))
            moved = {p: u for p, u in flow.shape.fields.items() if p[: len(src)] == src}
            pos = where.key_at(old)
            if moved:
                self._remove(flow.shape, src)
                for p, use in moved.items():
                    target = (*dst, *p[len(src):])
                    flow.shape.fields[target] = replace(use, path=target, step=where.label, file=pos[0], line=pos[1],
                                                        column=pos[2])
            else:
                origin = self._origin(flow, src)
                self._ref(flow, src, where, pos, internal)
                flow.shape.fields[dst] = FieldUse(dst, where.label, *where.at(old), origin=origin)
            if len(src) == 1:
                flow.shape.dropped.add(src[0])

    def _validate(self, flow: Flow, arg: Any, where: Where, internal: list[str]) -> None:
        schema = arg.get("schema") if isinstance(arg, Mapping) else None
        if isinstance(schema, Mapping):
            for name in schema.get("required") or ():
                self._ref(flow, (str(name),), where, where.at("schema", "required"), internal)

    def _lookup(self, flow: Flow, arg: Any, where: Where, internal: list[str]) -> None:
        if not isinstance(arg, Mapping):
            return
        self._expr_reads(flow, arg.get("key"), where, internal, "key")
        if isinstance(arg.get("into"), str):
            path = tuple(arg["into"].split("."))
            self._put(flow.shape, path, FieldUse(path, where.label, *where.at("into")))

    def _split(self, flow: Flow, arg: Any, where: Where, internal: list[str]) -> None:
        items = arg.get("items") if isinstance(arg, Mapping) else arg
        sub: tuple[str, ...] = ("items",) if isinstance(arg, Mapping) else ()
        if not isinstance(items, str):
            return
        path = exprs.value_path(items)
        self._expr_reads(flow, items, where, internal, *sub)
        extra: dict[FieldPath, FieldUse] = {}
        for name, expr in ((arg.get("with") or {}).items() if isinstance(arg, Mapping) else ()):
            self._expr_reads(flow, expr, where, internal, "with", name)
            extra[(str(name),)] = FieldUse((str(name),), where.label, *where.key_at("with", name))
        shape = flow.shape
        if path is not None and not shape.produces(path[0]) and shape.input_visible:
            new = Shape(input_visible=True, input_prefix=(*shape.input_prefix, *path, ITEMS))
        elif path is not None:
            element = (*path, ITEMS)
            new = Shape(input_visible=False)
            for p, use in shape.fields.items():
                if p[: len(element)] == element and len(p) > len(element):
                    new.fields[p[len(element):]] = replace(use, path=p[len(element):])
        else:
            new = Shape(input_visible=False)
            flow.opaque = True
        new.fields.update(extra)
        flow.shape = new

    def _coerce(self, flow: Flow, arg: Any, where: Where, internal: list[str]) -> None:
        if not isinstance(arg, Mapping):
            return
        for name, spec in arg.items():
            kind = spec if isinstance(spec, str) else (spec.get("type") if isinstance(spec, Mapping) else None)
            path = tuple(str(name).split("."))
            value_type = COERCE_TYPES.get(str(kind)) if kind else None
            existing = flow.shape.fields.get(path)
            pos = where.key_at(name)
            if existing is None:
                self._ref(flow, path, where, pos, internal)
            flow.shape.fields[path] = FieldUse(path, where.label, *pos, value_type)

    def _use(self, flow: Flow, name: str, where: Where, stack: tuple[str, ...]) -> None:
        found = self.transforms(name)
        if found is None or name in stack:
            return
        doc, steps = found
        flow.steps.append(StepUse(where.label, "use", where.doc.file, where.at()[1], (), ()))
        self.run(flow, steps, doc, ("steps",), f"{where.label} > {name}.steps", (*stack, name))

    @staticmethod
    def _put(shape: Shape, path: FieldPath, use: FieldUse) -> None:
        Simulator._remove(shape, path)
        shape.fields[path] = use

    @staticmethod
    def _remove(shape: Shape, path: FieldPath) -> None:
        for p in [p for p in shape.fields if p[: len(path)] == path]:
            del shape.fields[p]
