"""Response transforms: a few declarative steps, compiled once per route.

    - drop: [cost_price, "lines[].cost_price", internal.notes]   remove fields (a[] walks a list)
    - pick: [id, total, lines]                                  keep only these top-level fields
    - rename: {total_gross: total}                              rename top-level fields
    - map: "{id: id, total: total, lines: lines[].{sku: sku}}"  reshape with a JMESPath expression

`drop`, `pick` and `rename` apply to each element when the document is a list. A step list that
does not compile raises `TransformSpecError` naming the step index.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import jmespath
from jmespath.exceptions import JMESPathError

Step = Callable[[Any], Any]
_ITER = object()


class TransformSpecError(ValueError):
    pass


def _parse_path(path: str) -> list[Any]:
    tokens: list[Any] = []
    for part in path.split("."):
        iterate = part.endswith("[]")
        name = part[:-2] if iterate else part
        if not name or "[" in name or "]" in name:
            raise TransformSpecError(f"drop path {path!r} is not like a.b or lines[].cost_price")
        tokens.append(name)
        if iterate:
            tokens.append(_ITER)
    return tokens


def _drop_one(doc: Any, tokens: list[Any], i: int) -> None:
    token = tokens[i]
    last = i == len(tokens) - 1
    if token is _ITER:
        if isinstance(doc, list):
            for item in doc:
                _drop_one(item, tokens, i + 1)
        return
    if not isinstance(doc, dict):
        return
    if last:
        doc.pop(token, None)
    elif token in doc:
        _drop_one(doc[token], tokens, i + 1)


def _each(fn: Callable[[dict[str, Any]], Any]) -> Step:
    def step(doc: Any) -> Any:
        if isinstance(doc, list):
            return [fn(item) if isinstance(item, dict) else item for item in doc]
        return fn(doc) if isinstance(doc, dict) else doc

    return step


def _compile_step(index: int, step: Mapping[str, Any]) -> Step:
    if not isinstance(step, Mapping) or len(step) != 1:
        raise TransformSpecError(f"response step {index} must have exactly one of drop, pick, rename, map")
    kind, arg = next(iter(step.items()))
    if kind == "drop":
        paths = [arg] if isinstance(arg, str) else list(arg)
        parsed = [_parse_path(p) for p in paths]
        top = tuple(t[0] for t in parsed if len(t) == 1)  # top-level keys: a plain pop, no walk
        nested = [t for t in parsed if len(t) > 1]

        def drop(doc: dict[str, Any]) -> dict[str, Any]:
            for name in top:
                doc.pop(name, None)
            for tokens in nested:
                _drop_one(doc, tokens, 0)
            return doc

        if not nested and len(top) == 1:
            only = top[0]

            def drop_key(doc: Any) -> Any:  # the commonest step (hide one field): _each(drop) inlined
                if type(doc) is dict:
                    doc.pop(only, None)
                    return doc
                if isinstance(doc, list):
                    return [drop(item) if isinstance(item, dict) else item for item in doc]
                return drop(doc) if isinstance(doc, dict) else doc

            return drop_key
        if not nested:
            def drop_top(doc: Any) -> Any:  # _each(drop) inlined for the common case
                if isinstance(doc, dict):
                    for name in top:
                        doc.pop(name, None)
                    return doc
                if isinstance(doc, list):
                    return [drop(item) if isinstance(item, dict) else item for item in doc]
                return doc

            return drop_top
        return _each(drop)
    if kind == "pick":
        keep = tuple([arg] if isinstance(arg, str) else arg)
        return _each(lambda doc: {k: doc[k] for k in keep if k in doc})
    if kind == "rename":
        if not isinstance(arg, Mapping):
            raise TransformSpecError(f"response step {index}: rename takes a mapping old: new")
        pairs = tuple(arg.items())

        def rename(doc: dict[str, Any]) -> dict[str, Any]:
            for old, new in pairs:
                if old in doc:
                    doc[new] = doc.pop(old)
            return doc

        return _each(rename)
    if kind == "map":
        try:
            expression = jmespath.compile(str(arg))
        except JMESPathError as exc:
            raise TransformSpecError(f"response step {index}: map expression does not compile: {exc}") from None
        return expression.search
    raise TransformSpecError(f"response step {index}: unknown step {kind!r} (known: drop, pick, rename, map)")


def compile_steps(steps: Sequence[Mapping[str, Any]]) -> Step | None:
    """One callable applying every step in order (mutating the parsed document), or None."""
    compiled = [_compile_step(i, s) for i, s in enumerate(steps)]
    if not compiled:
        return None
    if len(compiled) == 1:
        return compiled[0]

    def run(doc: Any) -> Any:
        for fn in compiled:
            doc = fn(doc)
        return doc

    return run
