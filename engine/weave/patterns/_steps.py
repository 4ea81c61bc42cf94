"""Adapter between flows and the transform engine: pipelines built from a deployed project's specs."""

from __future__ import annotations

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


def library_for(project: Project, template_dir: Path | None = None) -> Library:
    """The transform library of a project. Templates are read from `template_dir` (a deployed revision's
    materialised assets) or else from the project's own transforms/. Build it once per revision:
    `FlowServices.library()` does."""
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
    if template_dir is not None:
        roots = (str(template_dir / "transforms"), str(template_dir))
    elif project.root and (Path(project.root) / "transforms").is_dir():
        roots = (str(Path(project.root) / "transforms"),)
    return Library(roots=roots, transforms=transforms, tables=tables, problems=tuple(problems),
                   functions=_FUNCTIONS)


def build_pipeline(steps: list[dict[str, Any]], services: Any, integration: Integration,
                   path: tuple[str | int, ...]) -> Pipeline:
    library = services.library()
    doc = integration.doc
    positions = [(doc.file, doc.position((*path, i))[0]) for i in range(len(steps))]
    return _build(steps, file=doc.file, positions=positions, library=library, schemas=services.event_schema,
                  key=integration.raw.get("idempotency_key"), name=integration.name)
