"""One chunk's processing between extract and load: cursor filtering, transform, rejections, counts."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from weave.errors import TransientError
from weave.etl._cursor import CursorSpec, Key
from weave.etl._types import Counts, Record, Rejected

Transform = Callable[[Record], Any]


def as_transform(transform: Any) -> Transform | None:
    """A plain callable, or anything with `.run(record) -> list[dict]` (a weave.transforms Pipeline)."""
    if transform is None:
        return None
    run = getattr(transform, "run", None)
    if callable(run):
        return run  # type: ignore[no-any-return]
    if callable(transform):
        return transform  # type: ignore[no-any-return]
    raise TypeError(f"transform must be callable or have .run(record), got {type(transform).__name__}")


@dataclass
class ChunkResult:
    rows: list[Record]
    rejected: list[Rejected]
    counts: Counts
    max_key: Key | None = None
    max_raw: list[Any] | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def _reason(exc: BaseException) -> tuple[str, str | None]:
    step = getattr(exc, "step", None)
    reason = getattr(exc, "reason", None) or str(exc) or type(exc).__name__
    if not hasattr(exc, "reason"):
        reason = f"{type(exc).__name__}: {reason}"
    return reason, step


def process(
    records: list[Record], *, chunk: int, cursor: CursorSpec | None, skip_upto: Key | None,
    transform: Transform | None,
) -> ChunkResult:
    rejected: list[Rejected] = []
    skipped = 0
    max_key: Key | None = None
    max_raw: list[Any] | None = None
    kept = records
    if cursor is not None:
        kept = []
        for r in records:
            try:
                key = cursor.key(r)
            except (KeyError, TypeError) as exc:
                rejected.append(Rejected(r, f"cursor field missing or invalid: {exc}", None, chunk))
                continue
            if skip_upto is not None and key <= skip_upto:
                skipped += 1
                continue
            if max_key is None or key > max_key:
                max_key, max_raw = key, cursor.raw(r)
            kept.append(r)
    if transform is None:
        rows = kept if kept is not records else list(records)
    else:
        rows = []
        append, extend = rows.append, rows.extend
        for r in kept:
            try:
                out = transform(r)
            except TransientError:
                raise
            except Exception as exc:  # a bad record, not a bad run: it goes to the dead-letter hook
                reason, step = _reason(exc)
                rejected.append(Rejected(r, reason, step, chunk))
                continue
            if out is None:
                skipped += 1
            elif isinstance(out, dict):
                append(out)
            elif not out:
                skipped += 1
            else:
                extend(out)
    counts = Counts(
        extracted=len(records), transformed=len(rows), loaded=0, rejected=len(rejected), skipped=skipped,
    )
    return ChunkResult(rows, rejected, counts, max_key, max_raw)
