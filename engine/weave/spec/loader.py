"""Find spec files, load every document, schema-check it, build the Project and run the semantic checks."""

from __future__ import annotations

import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from weave.diagnostics import Diagnostic, has_errors, make
from weave.spec.checks import CheckContext, run_checks
from weave.spec.model import MODEL_BY_KIND, Project
from weave.spec.schema import KINDS
from weave.spec.schemacheck import check_document
from weave.spec.yamlload import MAX_FILE_BYTES, Document, load_text

SPEC_SUFFIXES = (".yaml", ".yml")
CONFIG_FILE = "weave.toml"


@dataclass
class LoadResult:
    project: Project
    diagnostics: list[Diagnostic] = field(default_factory=list)
    documents: list[Document] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not has_errors(self.diagnostics)


def discover(paths: Iterable[str | Path]) -> list[Path]:
    """Every YAML file under the given files/directories, sorted, hidden directories skipped."""
    found: list[Path] = []
    seen: set[Path] = set()
    for entry in paths:
        path = Path(entry)
        candidates = [path] if path.is_file() else sorted(
            p for p in path.rglob("*") if p.suffix in SPEC_SUFFIXES and p.is_file()
            and not any(part.startswith(".") for part in p.relative_to(path).parts)
        )
        for candidate in candidates:
            resolved = candidate.resolve()
            if resolved not in seen:
                seen.add(resolved)
                found.append(candidate)
    return found


def find_root(paths: list[Path]) -> Path | None:
    """The project root: the nearest ancestor with weave.toml, else one that has transforms/ or specs/."""
    if not paths:
        return None
    start = paths[0].resolve()
    start = start if start.is_dir() else start.parent
    for candidate in (start, *start.parents):
        if (candidate / CONFIG_FILE).is_file():
            return candidate
    for candidate in (start, *start.parents):
        if (candidate / "transforms").is_dir() or (candidate / "specs").is_dir():
            return candidate
        if candidate == Path.home() or candidate.parent == candidate:
            break
    return start


def read_settings(root: Path | None) -> dict[str, Any]:
    if root is None or not (root / CONFIG_FILE).is_file():
        return {}
    try:
        return tomllib.loads((root / CONFIG_FILE).read_text())
    except (tomllib.TOMLDecodeError, OSError):
        return {}


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _kind_of(doc: Document) -> tuple[str | None, list[Diagnostic]]:
    data = doc.data
    if not isinstance(data, dict):
        return None, [make("WV108", "a spec document must be a mapping with a `kind:`", doc.file, doc.line,
                           doc.column, hint="start the document with `kind: integration` (or system, event, owner)")]
    if "kind" not in data:
        return None, [make("WV109", "this document has no `kind:`", doc.file, doc.line, doc.column,
                           hint=f"add `kind:` with one of: {', '.join(KINDS)}")]
    kind = data["kind"]
    if kind not in KINDS:
        import difflib

        close = difflib.get_close_matches(str(kind), KINDS, n=1)
        line, col = doc.position(("kind",))
        return None, [make("WV110", f"unknown kind {kind!r}", doc.file, line, col,
                           hint=f"did you mean '{close[0]}'?" if close else f"one of: {', '.join(KINDS)}")]
    return str(kind), []


def load_project(
    paths: Iterable[str | Path],
    *,
    strict_owners: bool | None = None,
    include_transforms: bool = True,
) -> LoadResult:
    """Load and check every spec under `paths`. Never raises for bad specs: everything is a diagnostic."""
    path_list = [Path(p) for p in paths]
    root = find_root(path_list)
    settings = read_settings(root)
    files = discover(path_list)
    if include_transforms and root is not None and (root / "transforms").is_dir():
        known = {f.resolve() for f in files}
        files += [p for p in discover([root / "transforms"]) if p.resolve() not in known]
    if not files:
        where = ", ".join(map(str, path_list)) or "."
        result = LoadResult(project=Project(root=str(root) if root else None, settings=settings))
        result.diagnostics.append(make("WV112", f"no spec files (*.yaml, *.yml) found under {where}", where, 1, 1,
                                       hint="point weave at the directory that holds your specs"))
        return result
    sources: list[tuple[str, bytes | list[Diagnostic], int]] = []
    for path in files:
        display = _display(path)
        try:
            size = path.stat().st_size
            if size > MAX_FILE_BYTES:
                sources.append((display, [make("WV102", f"file is {size} bytes; the limit is {MAX_FILE_BYTES}",
                                               display, 1, 1, hint="split it into several spec files")], 0))
                continue
            sources.append((display, path.read_bytes(), 0))
        except OSError as exc:
            sources.append((display, [make("WV101", f"cannot read file: {exc.strerror}", display, 1, 1,
                                           hint="check the file's permissions")], 0))
    return _build(sources, root=str(root) if root else None, settings=settings, strict_owners=strict_owners)


def load_sources(documents: list[dict[str, Any]], *, root: str | None = None,
                 settings: dict[str, Any] | None = None, strict_owners: bool | None = None) -> LoadResult:
    """Load a project from stored documents (`{file, line, text}`, a deployed revision's snapshot),
    with their original files and positions intact."""
    sources: list[tuple[str, bytes | list[Diagnostic], int]] = [
        (str(d["file"]), str(d["text"]).encode(), int(d.get("line", 1)) - 1) for d in documents
    ]
    return _build(sources, root=root, settings=settings or {}, strict_owners=strict_owners)


def snapshot_documents(result: LoadResult) -> list[dict[str, Any]]:
    """The documents of a loaded project as storable records (kind, name, file, line, text)."""
    out = []
    for doc in result.documents:
        data = doc.data if isinstance(doc.data, dict) else {}
        out.append({"kind": data.get("kind"), "name": data.get("name"), "file": doc.file, "line": doc.line,
                    "text": doc.text})
    return out


def _build(sources: list[tuple[str, bytes | list[Diagnostic], int]], *, root: str | None,
           settings: dict[str, Any], strict_owners: bool | None) -> LoadResult:
    project = Project(root=root, settings=settings)
    result = LoadResult(project=project)
    ctx = CheckContext(strict_owners=bool(strict_owners if strict_owners is not None
                                          else settings.get("ownership", {}).get("strict", False)))
    for display, content, line_offset in sources:
        if display not in project.files:
            project.files.append(display)
        if isinstance(content, list):
            result.diagnostics.extend(content)
            continue
        documents, diags = load_text(content, display, line_offset=line_offset)
        result.diagnostics.extend(diags)
        for doc in documents:
            result.documents.append(doc)
            kind, kind_diags = _kind_of(doc)
            result.diagnostics.extend(kind_diags)
            if kind is None:
                continue
            result.diagnostics.extend(check_document(doc))
            name = doc.data.get("name")
            if not isinstance(name, str):
                continue
            spec = MODEL_BY_KIND[kind](kind=kind, name=name, raw=doc.data, doc=doc)
            table = project.table_for(kind)
            if name in table:
                ctx.seen_duplicates.append((kind, spec))
            else:
                table[name] = spec
    project.settings["transforms_loaded"] = bool(project.transforms)
    result.diagnostics.extend(run_checks(project, ctx))
    result.diagnostics.sort(key=lambda d: d.sort_key())
    return result
