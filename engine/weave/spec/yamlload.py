"""YAML loading with source positions and hostile-input guards.

PyYAML (libyaml when available) composes the node graph; we build plain Python values ourselves so that

* every value and key keeps its 1-based (line, column),
* aliases are expanded under a budget (billion laughs is refused, not expanded),
* nesting depth, file size and binary content are bounded,
* YAML 1.1 surprises do not happen silently: ``no``/``yes``/``on``/``off`` stay strings and unquoted
  dates stay strings, each with a warning (dbt guards against the same).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from weave.diagnostics import Diagnostic, make

MAX_FILE_BYTES = 2 * 1024 * 1024
MAX_DEPTH = 64
MAX_NODES_PER_FILE = 250_000
MAX_FLOW_DEPTH = 200

Path_ = tuple[str | int, ...]

_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_constructor = yaml.constructor.SafeConstructor()

_BOOL_TRUE = {"true"}
_BOOL_FALSE = {"false"}
_TAG_STR = "tag:yaml.org,2002:str"
_TAG_INT = "tag:yaml.org,2002:int"
_TAG_FLOAT = "tag:yaml.org,2002:float"
_TAG_BOOL = "tag:yaml.org,2002:bool"
_TAG_NULL = "tag:yaml.org,2002:null"
_TAG_TS = "tag:yaml.org,2002:timestamp"
_TAG_MAP = "tag:yaml.org,2002:map"
_TAG_SEQ = "tag:yaml.org,2002:seq"


@dataclass
class Document:
    """One YAML document with the position of every key and value inside it."""

    file: str
    index: int
    data: Any
    line: int
    column: int
    text: str = field(default="", repr=False)  # the document's own source text
    value_positions: dict[Path_, tuple[int, int]] = field(default_factory=dict, repr=False)
    key_positions: dict[Path_, tuple[int, int]] = field(default_factory=dict, repr=False)

    def position(self, path: Path_, *, key: bool = False) -> tuple[int, int]:
        """Position of the value (or, with key=True, the key) at path; the nearest ancestor if absent."""
        p = tuple(path)
        while True:
            if key and p in self.key_positions:
                return self.key_positions[p]
            if p in self.value_positions:
                return self.value_positions[p]
            if p in self.key_positions:
                return self.key_positions[p]
            if not p:
                return (self.line, self.column)
            p = p[:-1]

    def key_position(self, path: Path_) -> tuple[int, int]:
        return self.position(path, key=True)


class _Budget(Exception):
    def __init__(self, code: str, message: str, line: int, column: int) -> None:
        super().__init__(message)
        self.code = code
        self.line = line
        self.column = column


class _Builder:
    def __init__(self, file: str, diagnostics: list[Diagnostic], line_offset: int = 0) -> None:
        self.file = file
        self.diagnostics = diagnostics
        self.nodes = 0
        self.line_offset = line_offset

    def _pos(self, node: yaml.Node) -> tuple[int, int]:
        return node.start_mark.line + 1 + self.line_offset, node.start_mark.column + 1

    def build(self, node: yaml.Node, doc: Document, path: Path_, depth: int) -> Any:
        self.nodes += 1
        line, col = self._pos(node)
        if self.nodes > MAX_NODES_PER_FILE:
            raise _Budget("WV104", f"YAML aliases expand to more than {MAX_NODES_PER_FILE} nodes", line, col)
        if depth > MAX_DEPTH:
            raise _Budget("WV105", f"the document nests deeper than {MAX_DEPTH} levels", line, col)
        doc.value_positions.setdefault(path, (line, col))
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, doc, path, depth)
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, doc, (*path, i), depth + 1) for i, item in enumerate(node.value)]
        assert isinstance(node, yaml.ScalarNode)
        return self._scalar(node, line, col)

    def _mapping(self, node: yaml.MappingNode, doc: Document, path: Path_, depth: int) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                merged = self.build(value_node, doc, path, depth + 1)
                for item in merged if isinstance(merged, list) else [merged]:
                    if isinstance(item, dict):
                        for k, v in item.items():
                            out.setdefault(k, v)
                continue
            key = self.build(key_node, doc, (*path, "<key>"), depth + 1)
            kline, kcol = self._pos(key_node)
            if isinstance(key, dict | list):
                raise _Budget("WV101", "a mapping key must be a plain value", kline, kcol)
            key = str(key) if not isinstance(key, str) else key
            if key in out:
                self.diagnostics.append(
                    make("WV111", f"duplicate key '{key}' (the later value would silently win)", self.file,
                         kline, kcol, hint="remove or rename one of the two keys")
                )
            doc.key_positions[(*path, key)] = (kline, kcol)
            out[key] = self.build(value_node, doc, (*path, key), depth + 1)
        doc.value_positions.pop((*path, "<key>"), None)
        return out

    def _scalar(self, node: yaml.ScalarNode, line: int, col: int) -> Any:
        value = node.value
        if node.style is not None and node.style != "":  # quoted or block scalar: always a string
            return value
        tag = node.tag
        if tag == _TAG_STR:
            return value
        if tag == _TAG_NULL:
            return None
        if tag == _TAG_BOOL:
            low = value.lower()
            if low in _BOOL_TRUE:
                return True
            if low in _BOOL_FALSE:
                return False
            self.diagnostics.append(
                make("WV106", f"'{value}' is read as the string '{value}', not a boolean (YAML 1.1 surprise)",
                     self.file, line, col, hint=f"write true/false, or quote it: \"{value}\"")
            )
            return value
        if tag == _TAG_INT:
            if ":" in value:  # YAML 1.1 sexagesimal: 1:30 would become 90
                return value
            try:
                return _constructor.construct_yaml_int(node)
            except ValueError:
                return value
        if tag == _TAG_FLOAT:
            try:
                return _constructor.construct_yaml_float(node)
            except ValueError:
                return value
        if tag == _TAG_TS:
            self.diagnostics.append(
                make("WV107", f"unquoted date/time '{value}' is kept as a string", self.file, line, col,
                     hint=f"quote it to make that explicit: \"{value}\"")
            )
            return value
        raise _Budget("WV101", f"unsupported YAML tag {tag!r}", line, col)


def _flow_depth_ok(text: str) -> tuple[bool, int]:
    """Cheap pre-scan so that deeply nested flow collections never reach the recursive parser."""
    depth = 0
    offset = 0
    for offset, ch in enumerate(text):
        if ch in "[{":
            depth += 1
            if depth > MAX_FLOW_DEPTH:
                return False, offset
        elif ch in "]}":
            depth = max(0, depth - 1)
    return True, offset


def _line_col(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    col = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return line, col


def load_file(path: Path, display: str | None = None) -> tuple[list[Document], list[Diagnostic]]:
    """Load every document in a YAML file. Never raises for bad content: returns diagnostics."""
    name = display or str(path)
    try:
        size = path.stat().st_size
    except OSError as exc:
        return [], [make("WV101", f"cannot read file: {exc.strerror}", name, 1, 1)]
    if size > MAX_FILE_BYTES:
        return [], [make("WV102", f"file is {size} bytes; the limit is {MAX_FILE_BYTES}", name, 1, 1,
                         hint="split it into several spec files")]
    raw = path.read_bytes()
    return load_text(raw, name)


def load_text(raw: bytes | str, name: str, *, line_offset: int = 0) -> tuple[list[Document], list[Diagnostic]]:
    diagnostics: list[Diagnostic] = []
    if isinstance(raw, bytes):
        if len(raw) > MAX_FILE_BYTES:
            return [], [make("WV102", f"file is {len(raw)} bytes; the limit is {MAX_FILE_BYTES}", name, 1, 1,
                             hint="split it into several spec files")]
        if b"\x00" in raw:
            off = raw.index(b"\x00")
            return [], [make("WV103", "file contains NUL bytes: it is binary, not YAML", name,
                             *_line_col(raw[:off].decode("utf-8", "replace"), off), hint="only UTF-8 text files are specs")]
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            line, col = _line_col(raw[: exc.start].decode("utf-8", "replace"), exc.start)
            return [], [make("WV103", f"file is not UTF-8 text ({exc.reason} at byte {exc.start})", name, line, col,
                             hint="save the file as UTF-8")]
    else:
        text = raw
    ok, offset = _flow_depth_ok(text)
    if not ok:
        return [], [make("WV105", f"flow collections nest deeper than {MAX_FLOW_DEPTH} levels", name,
                         *_line_col(text, offset), hint="flatten the structure")]
    documents: list[Document] = []
    builder = _Builder(name, diagnostics, line_offset)
    try:
        for index, node in enumerate(yaml.compose_all(text, Loader=_Loader)):
            if node is None:
                continue
            line, col = node.start_mark.line + 1 + line_offset, node.start_mark.column + 1
            start, end = node.start_mark.index, node.end_mark.index
            doc = Document(file=name, index=index, data=None, line=line, column=col,
                           text=" " * (col - 1) + text[start:end])
            doc.data = builder.build(node, doc, (), 0)
            documents.append(doc)
    except _Budget as exc:
        diagnostics.append(make(exc.code, str(exc), name, exc.line, exc.column,
                                hint="aliases and nesting are bounded to keep validation fast and safe"))
        return [], diagnostics
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1 + line_offset, mark.column + 1) if mark else (1 + line_offset, 1)
        problem = exc.problem or exc.context or "invalid YAML"
        diagnostics.append(make("WV101", f"YAML syntax error: {problem}", name, line, col,
                                hint="check indentation and quoting around this position"))
        return [], diagnostics
    except yaml.YAMLError as exc:
        diagnostics.append(make("WV101", f"YAML error: {exc}", name, 1, 1))
        return [], diagnostics
    except RecursionError:
        diagnostics.append(make("WV105", "the document nests too deeply to parse", name, 1, 1))
        return [], diagnostics
    return documents, diagnostics
