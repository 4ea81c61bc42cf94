"""build_pipeline(): compile a list of step dicts once into a Pipeline; Pipeline.run(record) -> records."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from jmespath import exceptions as jexc

from weave.errors import TransformError
from weave.transforms import jmespath as jp
from weave.transforms.jinja import TemplateEngine
from weave.transforms.library import Library
from weave.transforms.stdlib import weave_functions
from weave.transforms.steps.errors import StepError
from weave.transforms.steps.kinds import KINDS, MANY, BuildFailure, Context, RecordFailure, StepFn

Positions = Sequence[tuple[str | None, int | None]] | Callable[[int], tuple[str | None, int | None]]
_DEFAULT_FUNCTIONS = weave_functions()
_KEY_FIELDS = ("id", "key", "uuid")


@dataclass(frozen=True)
class CompiledStep:
    index: int
    kind: str
    fn: StepFn
    many: bool
    file: str | None
    line: int | None

    @property
    def label(self) -> str:
        return f"#{self.index + 1} {self.kind}"


def default_record_key(record: Any) -> Any:
    if not isinstance(record, dict):
        return None
    for name in _KEY_FIELDS:
        if record.get(name) is not None:
            return record[name]
    for name, value in record.items():
        if name.endswith("_id") and isinstance(value, (str, int)):
            return value
    return None


class Pipeline:
    """Compiled steps. `run(record)` returns the output records: `[]` when a filter drops the
    record, several when a split fans it out. A failing record raises TransformError naming the
    step, the spec file and line, and the record's key; the input record is never modified."""

    def __init__(self, steps: Sequence[CompiledStep], *, key: Callable[[Any], Any] | None = None,
                 name: str | None = None) -> None:
        self.steps = tuple(steps)
        self.name = name
        self._key = key or default_record_key
        self._simple = not any(s.many for s in self.steps)

    def __len__(self) -> int:
        return len(self.steps)

    def run(self, record: Any) -> list[dict[str, Any]]:
        if not isinstance(record, dict):
            raise TransformError(f"a record must be an object, got {type(record).__name__}", file=None)
        if self._simple:
            current: Any = record
            for step in self.steps:
                try:
                    current = step.fn(current)
                except Exception as exc:  # every failure becomes a per-record TransformError
                    raise self._failure(step, exc, record) from exc
                if current is None:
                    return []
            return [current]
        records: list[Any] = [record]
        for step in self.steps:
            out: list[Any] = []
            for item in records:
                try:
                    result = step.fn(item)
                except Exception as exc:
                    raise self._failure(step, exc, record) from exc
                if step.many:
                    out.extend(result)
                elif result is not None:
                    out.append(result)
            records = out
            if not records:
                break
        return records

    run_many = run

    def record_key(self, record: Any) -> Any:
        try:
            return self._key(record)
        except Exception:
            return None

    def _failure(self, step: CompiledStep, exc: BaseException, record: Any) -> TransformError:
        key = self.record_key(record)
        if isinstance(exc, TransformError):  # from a `use:` transform: keep its innermost position
            return TransformError(exc.reason, step=f"{step.label} > {exc.step}", file=exc.file or step.file,
                                  line=exc.line if exc.file else step.line, record_key=key)
        if isinstance(exc, RecordFailure):
            reason = str(exc)
        elif isinstance(exc, (jexc.JMESPathError, TypeError, ValueError)):
            reason = f"expression failed: {exc}"
        else:
            reason = f"{type(exc).__name__}: {exc}"
        return TransformError(reason, step=step.label, file=step.file, line=step.line, record_key=key)


class _Builder:
    def __init__(self, library: Library | None, functions: jp.Functions, templates: TemplateEngine,
                 schemas: Callable[[str], Mapping[str, Any] | None] | None) -> None:
        self.library = library
        self.functions = functions
        self.templates = templates
        self.schemas = schemas
        self.nested: dict[str, Pipeline] = {}
        self.in_progress: list[str] = []

    def context(self) -> Context:
        return Context(self.functions, self.templates, self.library, self.schemas, self.use)

    def use(self, name: str) -> Pipeline:
        if name in self.nested:
            return self.nested[name]
        if self.library is None or name not in self.library.transforms:
            known = ", ".join(sorted(self.library.transforms)) if self.library else "no transforms/ library loaded"
            raise BuildFailure(f"unknown transform {name!r} (known: {known})", "WV307")
        if name in self.in_progress:
            raise BuildFailure(f"transform {name!r} uses itself: {' -> '.join([*self.in_progress, name])}")
        definition = self.library.transforms[name]
        self.in_progress.append(name)
        try:
            pipeline = self.build(definition.steps, definition.positions(), definition.file, None, name)
        finally:
            self.in_progress.pop()
        self.nested[name] = pipeline
        return pipeline

    def build(self, steps: Sequence[Any], positions: Positions | None, file: str | None,
              key: Callable[[Any], Any] | None, name: str | None) -> Pipeline:
        if not isinstance(steps, (list, tuple)):
            raise StepError("steps must be a list", file=file)
        ctx = self.context()
        compiled = []
        for i, raw in enumerate(steps):
            step_file, line = _position(positions, i, file)
            kind = None
            try:
                if not isinstance(raw, Mapping) or len(raw) != 1:
                    raise BuildFailure(f"a step is a mapping with exactly one key, one of: {', '.join(KINDS)}")
                ((kind, arg),) = raw.items()
                builder = KINDS.get(kind)
                if builder is None:
                    raise BuildFailure(f"unknown step {kind!r}; expected one of: {', '.join(KINDS)}")
                fn = builder(arg, ctx)
            except BuildFailure as exc:
                raise StepError(str(exc), code=exc.code, index=i, kind=kind, file=step_file, line=line) from None
            except StepError as exc:  # from a nested `use:` transform
                if exc.index is None:
                    raise
                raise StepError(f"in transform {raw.get('use')!r}: {exc}", code=exc.code, index=i, kind=kind,
                                file=step_file, line=line) from None
            compiled.append(CompiledStep(i, kind, fn, kind in MANY, step_file, line))
        return Pipeline(compiled, key=key, name=name)


def _position(positions: Positions | None, i: int, file: str | None) -> tuple[str | None, int | None]:
    if positions is None:
        return file, None
    if callable(positions):
        f, line = positions(i)
        return f or file, line
    if i < len(positions):
        f, line = positions[i]
        return f or file, line
    return file, None


def build_pipeline(
    steps: Sequence[Mapping[str, Any]],
    *,
    file: str | None = None,
    positions: Positions | None = None,
    library: Library | None = None,
    functions: jp.Functions | None = None,
    templates: TemplateEngine | None = None,
    schemas: Callable[[str], Mapping[str, Any] | None] | None = None,
    key: str | Callable[[Any], Any] | None = None,
    name: str | None = None,
) -> Pipeline:
    """Compile `steps` (already parsed from YAML). Raises StepError (with `.code`) if a step does
    not compile. `positions[i]` (or `positions(i)`) is the (file, line) of step i; `key` is the
    JMESPath (or function) that names a record in errors; `schemas(event)` resolves `validate: {event}`."""
    fns = functions or (library.functions if library is not None else _DEFAULT_FUNCTIONS)
    engine = templates or TemplateEngine(library.template_roots if library is not None else ())
    key_fn: Callable[[Any], Any] | None
    if isinstance(key, str):
        try:
            key_fn = jp.compile(key, functions=fns).search
        except jexc.JMESPathError as exc:
            raise StepError(f"invalid record key expression {key!r}: {exc}", code="WV312", file=file) from None
    else:
        key_fn = key
    return _Builder(library, fns, engine, schemas).build(steps, positions, file, key_fn, name)


def check_steps(
    steps: Sequence[Any],
    *,
    file: str | None = None,
    positions: Positions | None = None,
    library: Library | None = None,
    schemas: Callable[[str], Mapping[str, Any] | None] | None = None,
) -> list[StepError]:
    """Every build error of `steps` (not only the first), for the spec checker (WV312, WV307, WV601)."""
    if not isinstance(steps, (list, tuple)):
        return [StepError("steps must be a list", file=file)]
    errors: list[StepError] = []
    for i, step in enumerate(steps):
        one = [step]

        def at(_: int, i: int = i) -> tuple[str | None, int | None]:
            return _position(positions, i, file)

        try:
            build_pipeline(one, file=file, positions=at, library=library, schemas=schemas)
        except StepError as exc:
            exc.index = i
            errors.append(exc)
    return errors
