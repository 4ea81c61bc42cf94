"""The transform library: named transforms (`kind: transform`) and lookup tables (`kind: table`).

    lib = load_library(["transforms"])
    lib.transforms["crm-order-to-canonical"].steps
    lib.tables["country-codes"].lookup("DE")

Files are YAML (`*.yaml`, `*.yml`) anywhere under the given directories, read with the spec loader's
guards and positions, so every step and fixture knows its file and line. Other kinds in the same
files are ignored. Problems (duplicates, malformed documents) are collected, never raised.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from weave.spec.yamlload import Document, load_file
from weave.transforms.jmespath import Functions
from weave.transforms.stdlib import weave_functions

_SKIP_DIRS = {".git", "node_modules", "__pycache__", ".venv"}


@dataclass(frozen=True)
class Problem:
    file: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"


@dataclass(frozen=True)
class Fixture:
    name: str
    input: Any
    expect: Any = None
    expect_error: str | None = None
    line: int = 0

    @property
    def expects_error(self) -> bool:
        return self.expect_error is not None


@dataclass(frozen=True)
class TransformDef:
    name: str
    description: str
    steps: tuple[Mapping[str, Any], ...]
    fixtures: tuple[Fixture, ...]
    file: str
    line: int
    step_lines: tuple[int, ...]

    def positions(self) -> list[tuple[str, int]]:
        return [(self.file, line) for line in self.step_lines]


@dataclass(frozen=True)
class TableDef:
    name: str
    file: str
    line: int
    data: Mapping[str, Any]
    description: str = ""

    def lookup(self, key: Any, default: Any = None) -> Any:
        if key in self.data:
            return self.data[key]
        text = _key_text(key)
        return self.data.get(text, default) if text is not None else default

    def __contains__(self, key: Any) -> bool:
        if key in self.data:
            return True
        text = _key_text(key)
        return text is not None and text in self.data


def _key_text(key: Any) -> str | None:
    if isinstance(key, bool) or key is None:
        return None
    if isinstance(key, (int, float, str)):
        return str(key)
    return None


@dataclass(frozen=True)
class Library:
    roots: tuple[str, ...] = ()
    transforms: Mapping[str, TransformDef] = field(default_factory=dict)
    tables: Mapping[str, TableDef] = field(default_factory=dict)
    problems: tuple[Problem, ...] = ()
    functions: Functions = field(default_factory=weave_functions, compare=False)

    @property
    def template_roots(self) -> tuple[str, ...]:
        return self.roots


def _files(paths: Iterable[str | Path]) -> list[Path]:
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_file():
            out.append(p)
        elif p.is_dir():
            for f in sorted(p.rglob("*")):
                if f.suffix in (".yaml", ".yml") and f.is_file() and not (_SKIP_DIRS & set(f.parts)):
                    out.append(f)
    return out


def _display(path: Path) -> str:
    """Paths as people typed them: relative to the working directory when under it."""
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _line(doc: Document, *path: str | int) -> int:
    return doc.position(path)[0]


def _transform(doc: Document, data: dict[str, Any], problems: list[Problem]) -> TransformDef | None:
    name, steps = data.get("name"), data.get("steps")
    if not isinstance(name, str) or not name:
        problems.append(Problem(doc.file, doc.line, "a transform needs a `name:`"))
        return None
    if not isinstance(steps, list):
        problems.append(Problem(doc.file, _line(doc, "steps"), f"transform {name!r} needs a `steps:` list"))
        return None
    fixtures = []
    for i, raw in enumerate(data.get("fixtures") or []):
        line = _line(doc, "fixtures", i)
        if not isinstance(raw, dict) or "input" not in raw or not ({"expect", "expect_error"} & set(raw)):
            problems.append(Problem(doc.file, line, f"fixture {i} of {name!r} needs `input` and `expect` or `expect_error`"))
            continue
        err = raw.get("expect_error")
        fixtures.append(Fixture(
            name=str(raw.get("name") or f"fixture-{i + 1}"),
            input=raw["input"],
            expect=raw.get("expect"),
            expect_error=None if err is None else str(err),
            line=line,
        ))
    return TransformDef(
        name=name,
        description=str(data.get("description") or ""),
        steps=tuple(steps),
        fixtures=tuple(fixtures),
        file=doc.file,
        line=doc.line,
        step_lines=tuple(_line(doc, "steps", i) for i in range(len(steps))),
    )


def _table(doc: Document, data: dict[str, Any], problems: list[Problem]) -> TableDef | None:
    name = data.get("name")
    if not isinstance(name, str) or not name:
        problems.append(Problem(doc.file, doc.line, "a table needs a `name:`"))
        return None
    if isinstance(data.get("mapping"), dict):
        return TableDef(name, doc.file, doc.line, dict(data["mapping"]), str(data.get("description") or ""))
    rows, key = data.get("rows"), data.get("key")
    if isinstance(rows, list) and isinstance(key, str):
        table: dict[Any, Any] = {}
        for i, row in enumerate(rows):
            if not isinstance(row, dict) or key not in row:
                problems.append(Problem(doc.file, _line(doc, "rows", i), f"row {i} of table {name!r} has no {key!r}"))
                continue
            if row[key] in table:
                problems.append(Problem(doc.file, _line(doc, "rows", i), f"duplicate key {row[key]!r} in table {name!r}"))
            table[row[key]] = row
        return TableDef(name, doc.file, doc.line, table, str(data.get("description") or ""))
    problems.append(Problem(doc.file, doc.line, f"table {name!r} needs `mapping:` or `rows:` with `key:`"))
    return None


def load_library(paths: Iterable[str | Path]) -> Library:
    """Find every `kind: transform` and `kind: table` document under `paths`."""
    path_list = [Path(p) for p in paths]
    transforms: dict[str, TransformDef] = {}
    tables: dict[str, TableDef] = {}
    problems: list[Problem] = []
    for path in _files(path_list):
        documents, diagnostics = load_file(path, _display(path))
        for diag in diagnostics:
            if getattr(diag, "severity", "error") == "error":
                problems.append(Problem(_display(path), diag.line, f"{diag.code}: {diag.message}"))
        for doc in documents:
            data = doc.data
            if not isinstance(data, dict) or data.get("kind") not in ("transform", "table"):
                continue
            if data["kind"] == "transform":
                item = _transform(doc, data, problems)
                if item is not None:
                    if item.name in transforms:
                        first = transforms[item.name]
                        problems.append(Problem(doc.file, doc.line, f"transform {item.name!r} is also defined at {first.file}:{first.line}"))
                    else:
                        transforms[item.name] = item
            else:
                tbl = _table(doc, data, problems)
                if tbl is not None:
                    if tbl.name in tables:
                        problems.append(Problem(doc.file, doc.line, f"table {tbl.name!r} is defined twice"))
                    else:
                        tables[tbl.name] = tbl
    roots = tuple(str(p) for p in path_list if p.is_dir())
    return Library(roots=roots, transforms=transforms, tables=tables, problems=tuple(problems))
