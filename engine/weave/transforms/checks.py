"""Spec-checker hook: compile every `steps:` list of a loaded project and report diagnostics.

    from weave.transforms.checks import check_project_steps
    diagnostics += check_project_steps(project)        # WV312, WV307, WV601, WV603

Covers integration `steps:`, every `deliver[].steps:` and every `kind: transform` in the project,
with the position of the offending step. Unlike the reference library, unknown functions and wrong
arity are found here, offline, instead of on the first record.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from weave.diagnostics import Diagnostic, make
from weave.transforms.library import Library, load_library
from weave.transforms.steps import check_steps

_HINTS = {
    "WV312": "check the expression with `weave test` (JMESPath, or Jinja for templates)",
    "WV307": "define it with `kind: transform` under transforms/",
    "WV601": "see docs/design/transforms.md for the step kinds and their arguments",
}


def _step_lists(spec: Any) -> Iterator[tuple[tuple[str | int, ...], list[Any]]]:
    raw = spec.raw
    if isinstance(raw.get("steps"), list):
        yield ("steps",), raw["steps"]
    for i, entry in enumerate(raw.get("deliver") or []):
        if isinstance(entry, dict) and isinstance(entry.get("steps"), list):
            yield ("deliver", i, "steps"), entry["steps"]


def check_project_steps(project: Any, library: Library | None = None) -> list[Diagnostic]:
    """Diagnostics for every step list of `project` (a weave.spec.Project)."""
    if library is None:
        root = Path(project.root) if getattr(project, "root", None) else None
        library = load_library([root / "transforms"] if root and (root / "transforms").is_dir() else [])

    def schemas(name: str) -> Any:
        event = project.events.get(name)
        return event.schema if event is not None else None

    out: list[Diagnostic] = []
    specs = [*project.integrations.values(), *project.transforms.values()]
    for spec in specs:
        for path, steps in _step_lists(spec):
            def position(i: int, spec: Any = spec, path: tuple[str | int, ...] = path) -> tuple[str, int]:
                loc = spec.pos(*path, i)
                return loc.file, loc.line

            for err in check_steps(steps, file=spec.doc.file, positions=position, library=library, schemas=schemas):
                index = err.index or 0
                loc = spec.pos(*path, index)
                hint = _HINTS.get(err.code)
                step = steps[index] if index < len(steps) else None
                if err.code == "WV307" and isinstance(step, dict) and isinstance(step.get("use"), str):
                    loc = spec.pos(*path, index, "use")
                    close = difflib.get_close_matches(step["use"], list(library.transforms), n=1, cutoff=0.6)
                    hint = f"did you mean '{close[0]}'?" if close else hint
                out.append(make(err.code, f"{spec.kind} {spec.name!r} step {index + 1}: {err.reason}",
                                loc.file, loc.line, loc.column, hint=hint))
        if spec.kind == "transform" and not spec.raw.get("fixtures"):
            loc = spec.loc
            out.append(make("WV603", f"transform {spec.name!r} has no fixtures", loc.file, loc.line, loc.column,
                            hint="add `fixtures: [{name, input, expect}]` so `weave test` covers it"))
    return out
