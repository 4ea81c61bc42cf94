"""Run transform fixtures and integration test cases; return typed results (never prints).

    report = run_tests(["."])          # library under <root>/transforms + integration `tests:`
    report.ok, report.failed, report.results

`input:`/`expect:` may be `{fixture: "transform/fixture name"}`: the named fixture's input/expected
output, from any file of the library (references resolve across files).

A case passes when the pipeline's output equals `expect` (a list compares with all output
records, an object with the single output record), or, for `expect_error`, when the pipeline
fails with a message containing that text. Booleans never equal numbers.
"""

from __future__ import annotations

import difflib
import json
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from weave.errors import TransformError
from weave.transforms.library import Library, load_library
from weave.transforms.steps import Pipeline, StepError, build_pipeline


@dataclass(frozen=True)
class CaseResult:
    kind: str  # "fixture" | "integration"
    suite: str  # transform or integration name
    name: str
    file: str
    line: int
    passed: bool
    message: str = ""
    diff: str = ""
    expected: Any = None
    actual: Any = None
    seconds: float = 0.0


@dataclass(frozen=True)
class TestReport:
    results: tuple[CaseResult, ...]
    problems: tuple[str, ...] = ()  # files that could not be read, steps that do not compile...
    suites: int = 0

    @property
    def failed(self) -> list[CaseResult]:
        return [r for r in self.results if not r.passed]

    @property
    def ok(self) -> bool:
        return not self.failed and not self.problems


def same(a: Any, b: Any) -> bool:
    """Structural equality where true/false never equal 1/0."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b
    return type(a) is type(b) and bool(a == b)


def _dump(value: Any) -> list[str]:
    return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False, default=str).splitlines(keepends=True)


def unified_diff(expected: Any, actual: Any) -> str:
    lines = difflib.unified_diff(_dump(expected), _dump(actual), fromfile="expected", tofile="actual")
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines)


class FixtureRefError(LookupError):
    pass


def resolve_fixture(library: Library | None, value: Any, part: str) -> Any:
    """`{fixture: "transform/fixture name"}` (or just the fixture name when it is unique in the library)
    stands for that fixture's `input` or `expect` (`part`). Anything else is returned as is."""
    if not (isinstance(value, Mapping) and len(value) == 1 and isinstance(value.get("fixture"), str)):
        return value
    ref = value["fixture"]
    candidates = []
    for tname, definition in (library.transforms.items() if library else ()):
        for fixture in definition.fixtures:
            if ref in (f"{tname}/{fixture.name}", fixture.name):
                candidates.append(fixture)
    if len(candidates) != 1:
        why = "is ambiguous: qualify it as transform/fixture" if candidates else "does not exist"
        raise FixtureRefError(f"fixture reference {ref!r} {why}")
    found = candidates[0]
    if part == "expect" and found.expects_error:
        raise FixtureRefError(f"fixture {ref!r} expects an error, it has no output to reuse")
    return found.input if part == "input" else found.expect


def run_case(pipeline: Pipeline, case: Mapping[str, Any], *, kind: str, suite: str, file: str,
             line: int, library: Library | None = None) -> CaseResult:
    name = str(case.get("name") or f"case at line {line}")
    start = time.perf_counter()
    expect_error = case.get("expect_error")
    try:
        expected = resolve_fixture(library, case.get("expect"), "expect")
        record = resolve_fixture(library, case.get("input"), "input")
    except FixtureRefError as exc:
        return CaseResult(kind, suite, name, file, line, False, str(exc), "", case.get("expect"), None,
                          time.perf_counter() - start)

    def result(passed: bool, message: str = "", diff: str = "", actual: Any = None) -> CaseResult:
        return CaseResult(kind, suite, name, file, line, passed, message, diff, expected if expect_error is None
                          else expect_error, actual, time.perf_counter() - start)

    try:
        records = pipeline.run(record)
    except TransformError as exc:
        if expect_error is not None and str(expect_error) in str(exc):
            return result(True, actual=str(exc))
        if expect_error is not None:
            return result(False, f"expected an error containing {expect_error!r}, got: {exc}", actual=str(exc))
        return result(False, f"unexpected error: {exc}", actual=str(exc))
    if expect_error is not None:
        return result(False, f"expected an error containing {expect_error!r}, but the transform succeeded",
                      unified_diff(expect_error, records), records)
    actual: Any = records if isinstance(expected, list) else (records[0] if len(records) == 1 else records)
    if same(expected, actual):
        return result(True, actual=actual)
    return result(False, "output differs from `expect`", unified_diff(expected, actual), actual)


def run_library(library: Library, *, names: Iterable[str] | None = None) -> list[CaseResult | str]:
    """Every fixture of every transform (or of `names`). Strings are build problems."""
    out: list[CaseResult | str] = []
    wanted = set(names) if names is not None else None
    for name, definition in sorted(library.transforms.items()):
        if wanted is not None and name not in wanted:
            continue
        try:
            pipeline = build_pipeline(definition.steps, file=definition.file, positions=definition.positions(),
                                      library=library, name=name)
        except StepError as exc:
            out.append(f"{exc.file or definition.file}:{exc.line or definition.line}: {exc.code} transform {name!r}: {exc.reason}")
            continue
        if not definition.fixtures:
            out.append(f"{definition.file}:{definition.line}: WV603 transform {name!r} has no fixtures")
        for fixture in definition.fixtures:
            case = {"name": fixture.name, "input": fixture.input, "expect": fixture.expect,
                    "expect_error": fixture.expect_error}
            out.append(run_case(pipeline, case, kind="fixture", suite=name, file=definition.file, line=fixture.line,
                                library=library))
    return out


def run_integrations(integrations: Iterable[Any], library: Library,
                     schemas: Callable[[str], Mapping[str, Any] | None] | None = None) -> list[CaseResult | str]:
    """Each integration's `tests:` through its `steps:` (spec objects from weave.spec.load_project)."""
    out: list[CaseResult | str] = []
    for spec in integrations:
        tests = spec.raw.get("tests") or []
        if not tests:
            continue
        steps = spec.raw.get("steps") or []
        file = spec.doc.file
        try:
            pipeline = build_pipeline(
                steps, file=file, positions=lambda i, s=spec: (s.doc.file, s.pos("steps", i).line),
                library=library, schemas=schemas, key=spec.raw.get("idempotency_key"), name=spec.name,
            )
        except StepError as exc:
            out.append(f"{exc.file or file}:{exc.line or spec.loc.line}: {exc.code} integration {spec.name!r}: {exc.reason}")
            continue
        for i, case in enumerate(tests):
            line = spec.pos("tests", i).line
            if not isinstance(case, Mapping) or "input" not in case:
                out.append(f"{file}:{line}: WV601 test {i + 1} of {spec.name!r} needs `input` and `expect`")
                continue
            out.append(run_case(pipeline, case, kind="integration", suite=spec.name, file=file, line=line,
                                library=library))
    return out


@dataclass
class _Collected:
    results: list[CaseResult] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def add(self, items: list[CaseResult | str]) -> None:
        for item in items:
            (self.problems if isinstance(item, str) else self.results).append(item)  # type: ignore[arg-type]


def _library_dirs(paths: list[Path]) -> list[Path]:
    """transforms/ directories: given directly, inside a given directory, or at the project root."""
    found: list[Path] = []
    for p in paths:
        base = p if p.is_dir() else p.parent
        for candidate in (base, base / "transforms", *[a / "transforms" for a in base.resolve().parents]):
            if candidate.name == "transforms" and candidate.is_dir():
                if candidate.resolve() not in {f.resolve() for f in found}:
                    found.append(candidate)
                break
    return found


def run_tests(paths: Iterable[str | Path], *, match: str | None = None) -> TestReport:
    """Run every transform fixture and every integration test case found under `paths`
    (only cases whose `suite :: name` contains `match`, when given)."""
    from weave.spec import load_project  # spec sits below transforms; imported lazily (it is heavier)

    path_list = [Path(p) for p in paths] or [Path(".")]
    collected = _Collected()
    missing = [str(p) for p in path_list if not p.exists()]
    if missing:
        return TestReport((), tuple(f"{m}: no such file or directory" for m in missing))
    library = load_library(_library_dirs(path_list))
    collected.problems.extend(str(p) for p in library.problems)
    in_scope = [p.resolve() for p in path_list]
    selected = [n for n, t in library.transforms.items() if _under(Path(t.file).resolve(), in_scope)]
    collected.add(run_library(library, names=selected))
    loaded = load_project(path_list)
    project = loaded.project
    for diag in loaded.diagnostics:
        if diag.severity == "error" and diag.code in ("WV101", "WV102", "WV103", "WV104", "WV105"):
            collected.problems.append(f"{diag.file}:{diag.line}: {diag.code} {diag.message}")

    def schemas(name: str) -> Mapping[str, Any] | None:
        event = project.events.get(name)
        return event.schema if event is not None else None

    integrations = [s for s in project.integrations.values() if _under(Path(s.doc.file).resolve(), in_scope)]
    collected.add(run_integrations(integrations, library, schemas))
    results = collected.results
    if match:
        results = [r for r in results if match.lower() in f"{r.suite} :: {r.name}".lower()]
    suites = len({(r.kind, r.suite) for r in results})
    return TestReport(tuple(results), tuple(collected.problems), suites)


def _under(path: Path, roots: list[Path]) -> bool:
    return any(path == r or r in path.parents for r in roots)
