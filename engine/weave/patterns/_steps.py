"""Adapter between flows and the transform engine: pipelines built from a deployed project's specs."""

from __future__ import annotations

import tempfile
from functools import lru_cache
from pathlib import Path
from typing import Any

from weave.spec.model import Integration, Project
from weave.transforms import jmespath as jp
from weave.transforms.library import Library, Problem, _table, _transform
from weave.transforms.stdlib import weave_functions
from weave.transforms.steps import Pipeline
from weave.transforms.steps import build_pipeline as _build

__all__ = ["Pipeline", "build_pipeline", "compile_expression", "library_for"]

_FUNCTIONS = weave_functions()


@lru_cache(maxsize=4096)
def compile_expression(expression: str) -> Any:
    """A compiled JMESPath expression (with weave's library functions), cached per expression."""
    return jp.compile(expression, functions=_FUNCTIONS)


_LIBRARIES: dict[int, Library] = {}


def library_for(project: Project, assets: dict[str, str]) -> Library:
    """The transform library of a deployed project; templates are materialised once per project."""
    cached = _LIBRARIES.get(id(project))
    if cached is not None:
        return cached
    problems: list[Problem] = []
    transforms = {}
    for tspec in project.transforms.values():
        item = _transform(tspec.doc, tspec.raw, problems)
        if item is not None:
            transforms[item.name] = item
    tables = {}
    for spec in project.tables.values():
        table = _table(spec.doc, spec.raw, problems)
        if table is not None:
            tables[table.name] = table
    roots: tuple[str, ...] = ()
    if assets:
        directory = Path(tempfile.mkdtemp(prefix="weave-templates-"))
        for name, text in assets.items():
            target = directory / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text)
        roots = (str(directory / "transforms"), str(directory))
    elif project.root and (Path(project.root) / "transforms").is_dir():
        roots = (str(Path(project.root) / "transforms"),)
    library = Library(roots=roots, transforms=transforms, tables=tables, problems=tuple(problems),
                      functions=_FUNCTIONS)
    _LIBRARIES[id(project)] = library
    return library


def build_pipeline(steps: list[dict[str, Any]], services: Any, integration: Integration,
                   path: tuple[str | int, ...]) -> Pipeline:
    project: Project = services.project
    library = library_for(project, getattr(services, "assets", {}))
    doc = integration.doc
    positions = [(doc.file, doc.position((*path, i))[0]) for i in range(len(steps))]
    return _build(steps, file=doc.file, positions=positions, library=library, schemas=services.event_schema,
                  key=integration.raw.get("idempotency_key"), name=integration.name)
