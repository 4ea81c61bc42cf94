"""What each integration uses of each system: operations (paths and methods, SOAP operations, gateway
upstreams), request fields written and response fields read, each with the step and position responsible.

    usage = integration_usage(project, project.integrations["customer-master-sync"])
    for call in usage.calls: call.system, call.key, call.writes, call.reads
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from weave.contracts import callparams, exprs
from weave.contracts.callparams import Sent
from weave.contracts.exprs import FieldPath
from weave.contracts.flow import FieldUse, Flow, Shape, Simulator, StepUse, Where, dotted
from weave.contracts.positions import expression_position
from weave.contracts.templates import envelope_fields
from weave.spec.model import Integration, Project
from weave.spec.yamlload import Document

STYLES = ("http", "soap", "sql", "file")


@dataclass(frozen=True)
class Call:
    """One operation an integration calls on a system."""

    integration: str
    system: str
    role: str  # read | write | proxy
    style: str  # http | soap | sql | file | event (publish)
    where: str  # extract | deliver[0] | gateway.routes[1] ...
    file: str
    line: int
    column: int
    method: str | None = None
    path: str | None = None
    operation: str | None = None
    writes: tuple[FieldUse, ...] = ()
    reads: tuple[FieldUse, ...] = ()
    records: FieldPath | None = None
    records_pos: tuple[str, int, int] | None = None
    body_key: str | None = None
    batch: bool = False
    complete: bool = True  # every written field is known (no unmapped input passes through)
    query: tuple[Sent, ...] = ()  # query parameters the spec names (params, pagination, batch cursor, `?a=b`)
    headers: tuple[Sent, ...] = ()  # headers the spec names (`headers:`)
    segments: tuple[Sent, ...] = ()  # the path's segments, each at its column
    auto_headers: frozenset[str] = frozenset()  # lower-case names weave sends by itself (auth, idempotency …)
    auto_query: frozenset[str] = frozenset()  # query parameters weave (or a gateway client) adds
    cookies: tuple[Sent, ...] = ()  # cookies the spec's `Cookie` header sends
    opaque_cookies: bool = False  # the `Cookie` header has a part only known at run time

    @property
    def key(self) -> str:
        if self.style in ("soap", "event"):
            return str(self.operation)
        return f"{self.method} {self.path}"

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"system": self.system, "role": self.role, "style": self.style, "where": self.where,
                               "operation": self.key, "file": self.file, "line": self.line, "column": self.column}
        if self.writes or self.role == "write":
            out["writes"] = [w.to_dict() for w in self.writes]
            out["complete"] = self.complete
        if self.reads or self.role == "read":
            out["reads"] = [r.to_dict() for r in self.reads]
        if self.query:
            out["query"] = [q.to_dict() for q in self.query]
        if self.headers:
            out["headers"] = [h.to_dict() for h in self.headers]
        if self.cookies:
            out["cookies"] = [c.to_dict() for c in self.cookies]
        if self.records is not None:
            out["records"] = dotted(self.records)
        return out


@dataclass(frozen=True)
class Usage:
    integration: str
    owner: str | None
    file: str
    line: int
    calls: tuple[Call, ...] = ()
    steps: tuple[StepUse, ...] = ()
    input_reads: tuple[FieldUse, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"integration": self.integration, "owner": self.owner, "file": self.file, "line": self.line,
                "calls": [c.to_dict() for c in self.calls], "steps": [s.to_dict() for s in self.steps],
                "input_reads": [r.to_dict() for r in self.input_reads]}


@dataclass
class _Sources:
    project: Project
    cache: dict[str, str | None] = field(default_factory=dict)

    def transform(self, name: str) -> tuple[Document, list[Any]] | None:
        spec = self.project.transforms.get(name)
        if spec is None:
            return None
        steps = spec.raw.get("steps")
        return spec.doc, steps if isinstance(steps, list) else []

    def template(self, name: str, near: str | None = None) -> str | None:
        key = f"{near}|{name}"
        if key not in self.cache:
            self.cache[key] = None
            for base in self._roots(near):
                candidate = base / name
                if candidate.is_file():
                    self.cache[key] = candidate.read_text(encoding="utf-8", errors="replace")
                    break
        return self.cache[key]

    def _roots(self, near: str | None) -> list[Path]:
        roots: list[Path] = []
        if self.project.root:
            roots += [Path(self.project.root) / "transforms", Path(self.project.root)]
        if near:
            roots.append(Path(near).parent)
        return roots


def project_usage(project: Project) -> dict[str, Usage]:
    sources = _Sources(project)
    return {name: _usage(project, spec, sources) for name, spec in project.integrations.items()}


def integration_usage(project: Project, integration: Integration) -> Usage:
    return _usage(project, integration, _Sources(project))


def _usage(project: Project, spec: Integration, sources: _Sources) -> Usage:
    raw, doc = spec.raw, spec.doc
    sim = Simulator(sources.transform, lambda name: sources.template(name, doc.file))
    flow = Flow()
    sim.run(flow, raw.get("steps"), doc, ("steps",), "steps")
    calls: list[Call] = []
    all_reads = list(flow.input_reads)
    all_steps = list(flow.steps)
    for index, entry in enumerate(raw.get("deliver") or []):
        if not isinstance(entry, Mapping):
            continue
        branch = Flow(flow.shape.copy(), [], [], flow.opaque)
        where = f"deliver[{index}]"
        if isinstance(entry.get("when"), str):
            sim.condition(branch, entry["when"], Where(doc, ("deliver", index, "when"), f"{where}.when"))
        sim.run(branch, entry.get("steps"), doc, ("deliver", index, "steps"), f"{where}.steps")
        all_reads += branch.input_reads
        all_steps += branch.steps
        target = str(entry.get("target") or (spec.targets[0] if spec.targets else ""))
        call = _sink(spec, entry, index, target, branch, sources)
        if call is not None:
            calls.append(call)
    publish = spec.raw.get("publish")
    if isinstance(publish, Mapping) and isinstance(publish.get("event"), str):  # the event is what it writes
        line, col = doc.position(("publish", "event"))
        calls.append(Call(spec.name, spec.source, "write", "event", "publish", doc.file, line, col,
                          operation=publish["event"], writes=tuple(flow.shape.fields.values()),
                          complete=flow.shape.complete and not flow.opaque))
    extract = _extract(spec, all_reads, sources)
    if extract is not None:
        calls.insert(0, extract)
    calls += _gateway(project, spec)
    return Usage(spec.name, spec.owner, doc.file, doc.line, tuple(calls), tuple(all_steps), tuple(_dedupe(all_reads)))


def _style(block: Mapping[str, Any]) -> tuple[str, Mapping[str, Any]] | None:
    for style in STYLES:
        if isinstance(block.get(style), Mapping):
            return style, block[style]
    return None


def _extract(spec: Integration, reads: list[FieldUse], sources: _Sources) -> Call | None:
    block = spec.raw.get("extract")
    if not isinstance(block, Mapping) or _style(block) is None:
        return None
    style, op = _style(block)  # type: ignore[misc]
    doc = spec.doc
    anchor = ("extract", style, "operation" if style == "soap" else "path")
    line, col = doc.position(anchor)
    records = op.get("records")
    records_path = exprs.value_path(records) if isinstance(records, str) else None
    records_pos = (doc.file, *doc.position(("extract", style, "records"))) if isinstance(records, str) else None
    method = str(op.get("method", "GET")).upper()
    writes: tuple[FieldUse, ...] = ()
    if style == "soap" and isinstance(op.get("envelope"), str):  # the read request's parameters
        source = sources.template(str(op["envelope"]), doc.file)
        envelope = envelope_fields(source) if source else None
        if envelope is not None:
            env_line, env_col = doc.position(("extract", "soap", "envelope"))
            writes = tuple(_envelope_use(f.path, f.source, f.literal, Shape(), doc.file, env_line, env_col,
                                         "extract.soap.envelope") for f in envelope.fields)
    path = str(op["path"]) if isinstance(op.get("path"), str) and style == "http" else None
    extra = _http_extras(sources.project, spec, spec.source, "read", op, ("extract", style), path, "jinja")
    return Call(spec.name, spec.source, "read", style, "extract", doc.file, line, col,
                method=method if style == "http" else None, path=path,
                operation=str(op["operation"]) if style == "soap" and op.get("operation") else None,
                reads=tuple(_dedupe(reads)), records=records_path, records_pos=records_pos, writes=writes, **extra)


def _http_extras(project: Project, spec: Integration, system: str, role: str, op: Mapping[str, Any],
                 at: tuple[str | int, ...], path: str | None, templated: str) -> dict[str, Any]:
    """query, headers, path segments and what weave adds itself, for an HTTP call (nothing for others)."""
    if path is None:
        return {}
    doc = spec.doc
    label = ".".join(map(str, at))
    segments, in_path = callparams.path_uses(doc, (*at, "path"), path, f"{label}.path")
    query = (callparams.extract_query(spec, op, str(at[1])) if role == "read" else
             callparams.mapping_uses(doc, (*at, "query"), op.get("query"), "query", f"{label}.query", templated)
             if role == "proxy" else [])
    headers = callparams.mapping_uses(doc, (*at, "headers"), op.get("headers"), "header", f"{label}.headers",
                                      templated)
    cookies, opaque = callparams.cookie_uses(doc, (*at, "headers"), op.get("headers"), f"{label}.headers", templated)
    auto_headers, auto_query = callparams.implicit(project, spec, system, role, op)
    return {"query": tuple(query + in_path), "headers": tuple(headers), "segments": tuple(segments),
            "auto_headers": auto_headers, "auto_query": auto_query, "cookies": tuple(cookies),
            "opaque_cookies": opaque}


def _sink(spec: Integration, entry: Mapping[str, Any], index: int, target: str, flow: Flow,
          sources: _Sources) -> Call | None:
    found = _style(entry)
    if found is None:
        return None
    style, op = found
    doc = spec.doc
    anchor = ("deliver", index, style, "operation" if style == "soap" else "path")
    line, col = doc.position(anchor)
    shape: Shape = flow.shape
    writes = tuple(shape.fields.values())
    complete = shape.complete and not flow.opaque
    if style == "soap" and isinstance(op.get("envelope"), str):
        source = sources.template(str(op["envelope"]), doc.file)
        envelope = envelope_fields(source) if source else None
        if envelope is not None:
            env_line, env_col = doc.position(("deliver", index, "soap", "envelope"))
            writes = tuple(_envelope_use(f.path, f.source, f.literal, shape, doc.file, env_line, env_col,
                                         f"deliver[{index}].soap.envelope") for f in envelope.fields)
            complete = True
    method = str(op.get("method", "POST")).upper() if style == "http" else None
    path = str(op["path"]) if style == "http" and isinstance(op.get("path"), str) else None
    extra = _http_extras(sources.project, spec, target, "write", op, ("deliver", index, style), path, "none")
    return Call(spec.name, target, "write", style, f"deliver[{index}]", doc.file, line, col, method=method,
                path=path, operation=str(op["operation"]) if style == "soap" and op.get("operation") else None,
                writes=writes, body_key=str(op["body_key"]) if op.get("body_key") else None,
                batch=bool(op.get("batch")), complete=complete, **extra)


def _envelope_use(path: FieldPath, source: FieldPath | None, literal: str | None, shape: Shape, file: str,
                  line: int, col: int, label: str) -> FieldUse:
    if source is not None:
        origin = shape.fields.get(source)
        if origin is not None:  # the element is filled from a mapped field: that mapping is responsible
            return FieldUse(path, origin.step, origin.file, origin.line, origin.column, origin.value_type,
                            origin.literal, origin.is_literal, origin=origin.origin)
    return FieldUse(path, label, file, line, col, "string" if literal is not None else None, literal,
                    literal is not None)


def _gateway(project: Project, spec: Integration) -> list[Call]:
    block = spec.raw.get("gateway")
    routes = block.get("routes") if isinstance(block, Mapping) else None
    out: list[Call] = []
    doc = spec.doc
    for i, route in enumerate(routes if isinstance(routes, list) else []):
        if not isinstance(route, Mapping):
            continue
        upstreams: list[tuple[tuple[str | int, ...], Mapping[str, Any], str]] = []
        if isinstance(route.get("upstream"), Mapping):
            upstreams.append((("gateway", "routes", i, "upstream"), route["upstream"],
                              str(route["upstream"].get("method") or route.get("method") or "GET")))
        for j, call in enumerate(route.get("compose") or []):
            if isinstance(call, Mapping):
                upstreams.append((("gateway", "routes", i, "compose", j), call, str(call.get("method") or "GET")))
        for path, up, method in upstreams:
            if not isinstance(up.get("system"), str) or not isinstance(up.get("path"), str):
                continue
            line, col = doc.position((*path, "path"))
            where = ".".join(map(str, path[:3]))
            reads = _response_step_reads(doc, ("gateway", "routes", i), route, where) if path[-1] == "upstream" else ()
            extra = _http_extras(project, spec, up["system"], "proxy", up, path, up["path"], "gateway")
            if path[-1] == "upstream":
                extra["auto_query"] = extra["auto_query"] | callparams.route_query(route)
            out.append(Call(spec.name, up["system"], "proxy", "http", where, doc.file, line, col,
                            method=method.upper(), path=up["path"], reads=reads, **extra))
    return out


def _gateway_path(text: str) -> FieldPath:
    """The gateway's own drop-path syntax (`lines[].cost_price`, weave.gateway.transform) as a field path."""
    out: list[str] = []
    for part in text.split("."):
        if part.endswith("[]"):
            out += [part[:-2], "[]"]
        else:
            out.append(part)
    return tuple(out)


def _response_step_reads(doc: Document, at: tuple[str | int, ...], route: Mapping[str, Any],
                         where: str) -> tuple[FieldUse, ...]:
    """The response fields a route's response steps name (drop, pick, rename, map), relative to the body."""
    response = route.get("response")
    steps = response.get("steps") if isinstance(response, Mapping) else None
    out: list[FieldUse] = []
    for j, step in enumerate(steps if isinstance(steps, list) else []):
        if not isinstance(step, Mapping) or len(step) != 1:
            continue
        kind, arg = next(iter(step.items()))
        base = (*at, "response", "steps", j, kind)
        label = f"{where}.response.steps[{j}] {kind}"
        if kind in ("drop", "pick"):
            names = [arg] if isinstance(arg, str) else (arg if isinstance(arg, list) else [])
            for k, name in enumerate(names):
                if isinstance(name, str) and name:
                    spot = base if isinstance(arg, str) else (*base, k)
                    out.append(FieldUse(_gateway_path(name), label, doc.file, *doc.position(spot)))
        elif kind == "rename" and isinstance(arg, Mapping):
            out += [FieldUse((str(old),), label, doc.file, *doc.position((*base, old), key=True)) for old in arg]
        elif kind == "map" and isinstance(arg, str):
            for read in exprs.reads(arg):
                line, col = (expression_position(doc, base, arg, read.offset) if read.offset >= 0
                             else doc.position(base))
                out.append(FieldUse(read.path, label, doc.file, line, col, function=read.function, arg=read.arg))
    return tuple(out)


def _dedupe(uses: list[FieldUse]) -> list[FieldUse]:
    seen: set[tuple[FieldPath, str, str | None]] = set()
    out: list[FieldUse] = []
    for use in uses:
        key = (use.path, use.step, use.function)
        if key not in seen:
            seen.add(key)
            out.append(use)
    return out
