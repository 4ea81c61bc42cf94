"""Field paths from Jinja templates (their AST, never the text): the record fields a template reads, and
for SOAP envelopes, which XML elements under the operation element are written from which fields."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import jinja2
from jinja2 import nodes

from weave.contracts.exprs import FieldPath
from weave.contracts.schemas import ITEMS
from weave.contracts.xmlsafe import Element, XmlError, parse_xml

_ENV = jinja2.Environment(autoescape=False)
_TOKEN = "__weave_var_{}__"


@lru_cache(maxsize=1024)
def parse_template(source: str) -> nodes.Template | None:
    try:
        return _ENV.parse(source)
    except jinja2.TemplateSyntaxError:
        return None


def _path(node: nodes.Node, aliases: dict[str, FieldPath]) -> FieldPath | None:
    if isinstance(node, nodes.Name):
        if node.name in aliases:
            return aliases[node.name]
        return (node.name,)
    if isinstance(node, nodes.Getattr):
        base = _path(node.node, aliases)
        return (*base, node.attr) if base is not None else None
    if isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const) and isinstance(node.arg.value, str):
        base = _path(node.node, aliases)
        return (*base, node.arg.value) if base is not None else None
    return None


class _Reads:
    def __init__(self) -> None:
        self.paths: list[FieldPath] = []
        self.locals: set[str] = set()

    def expr(self, node: nodes.Node, aliases: dict[str, FieldPath]) -> None:
        path = _path(node, aliases)
        if path is not None:
            if path and path[0] not in self.locals and path[0] not in ("loop", "record", "key", "state", "params"):
                self.paths.append(path)
            return
        for child in node.iter_child_nodes():
            self.expr(child, aliases)

    def body(self, items: list[nodes.Node], aliases: dict[str, FieldPath]) -> None:
        for item in items:
            if isinstance(item, nodes.For):
                self.expr(item.iter, aliases)
                iterated = _path(item.iter, aliases)
                inner = dict(aliases)
                if isinstance(item.target, nodes.Name):
                    if iterated is not None:
                        inner[item.target.name] = (*iterated, ITEMS)
                    else:
                        self.locals.add(item.target.name)
                if item.test is not None:
                    self.expr(item.test, inner)
                self.body(item.body, inner)
                self.body(item.else_, aliases)
            elif isinstance(item, nodes.Assign) and isinstance(item.target, nodes.Name):
                self.expr(item.node, aliases)
                self.locals.add(item.target.name)
            elif isinstance(item, nodes.Expr) or isinstance(item, nodes.Output):
                for child in item.iter_child_nodes():
                    if not isinstance(child, nodes.TemplateData):
                        self.expr(child, aliases)
            elif isinstance(item, nodes.If):
                self.expr(item.test, aliases)
                self.body(item.body, aliases)
                self.body(list(item.elif_), aliases)
                self.body(item.else_, aliases)
            else:
                for child in item.iter_child_nodes():
                    if isinstance(child, nodes.Stmt):
                        self.body([child], aliases)
                    elif isinstance(child, nodes.Expr):
                        self.expr(child, aliases)


def template_reads(source: str) -> list[FieldPath]:
    """Record field paths a template reads (loop variables map to `array[]` paths)."""
    tree = parse_template(source)
    if tree is None:
        return []
    walker = _Reads()
    walker.body(tree.body, {})
    out: list[FieldPath] = []
    for path in walker.paths:
        if path not in out and not any(p[: len(path)] == path and len(p) > len(path) for p in walker.paths):
            out.append(path)
    return out


def expression_reads(source: str) -> list[FieldPath]:
    """Record fields a Jinja *expression* (`{expression: "qty * price"}`) reads."""
    try:
        node = _ENV.parse("{{ " + source + " }}")
    except jinja2.TemplateSyntaxError:
        return []
    walker = _Reads()
    walker.body(node.body, {})
    return walker.paths


@dataclass(frozen=True)
class EnvelopeField:
    path: FieldPath  # element path under the operation element (local names)
    source: FieldPath | None  # the record field it is filled from (None: static text)
    literal: str | None
    line: int  # line in the template source


@dataclass(frozen=True)
class Envelope:
    operation: str
    fields: tuple[EnvelopeField, ...]


class _Skeleton:
    """The template's XML with every `{{ ... }}` replaced by a token and both branches of every `if` and one
    pass of every `for` kept: the shape of what the template can produce."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.sources: list[FieldPath | None] = []

    def body(self, items: list[nodes.Node], aliases: dict[str, FieldPath]) -> None:
        for item in items:
            if isinstance(item, nodes.Output):
                for child in item.nodes:
                    if isinstance(child, nodes.TemplateData):
                        self.parts.append(child.data)
                    else:
                        self.parts.append(_TOKEN.format(len(self.sources)))
                        self.sources.append(_path(child, aliases))
            elif isinstance(item, nodes.If):
                self.body(item.body, aliases)
                for branch in item.elif_:
                    self.body(branch.body, aliases)
                self.body(item.else_, aliases)
            elif isinstance(item, nodes.For):
                iterated = _path(item.iter, aliases)
                inner = dict(aliases)
                if isinstance(item.target, nodes.Name) and iterated is not None:
                    inner[item.target.name] = (*iterated, ITEMS)
                self.body(item.body, inner)
            elif isinstance(item, nodes.With | nodes.Scope | nodes.ScopedEvalContextModifier):
                self.body(item.body, aliases)


def envelope_fields(source: str) -> Envelope | None:
    """The operation element and the leaf elements a SOAP envelope template writes; None when the
    template's XML skeleton cannot be read (then the record's fields are taken as written)."""
    tree = parse_template(source)
    if tree is None:
        return None
    skeleton = _Skeleton()
    skeleton.body(tree.body, {})
    try:
        root = parse_xml("".join(skeleton.parts))
    except XmlError:
        return None
    body = next((e for e in root.iter("Body")), None)
    if body is None or not body.children:
        return None
    operation = body.children[0]
    out: list[EnvelopeField] = []
    _leaf_fields(operation, (), skeleton.sources, out)
    return Envelope(operation.local, tuple(out))


def _leaf_fields(element: Element, prefix: FieldPath, sources: list[FieldPath | None],
                 out: list[EnvelopeField]) -> None:
    for child in element.children:
        path = (*prefix, child.local)
        if child.children:
            _leaf_fields(child, path, sources, out)
            continue
        text = child.text.strip()
        source: FieldPath | None = None
        literal: str | None = text or None
        for i, found in enumerate(sources):
            if _TOKEN.format(i) in text:
                source, literal = found, None
                break
        out.append(EnvelopeField(path, source, literal, child.line))


def template_variables(source: str) -> list[str]:
    """Top-level variables (jinja2.meta) — what a template needs from the record."""
    from jinja2 import meta

    tree = parse_template(source)
    return sorted(meta.find_undeclared_variables(tree)) if tree is not None else []
