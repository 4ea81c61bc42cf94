"""compile(): parse, generate, exec once, cache."""

from __future__ import annotations

import builtins
import warnings
from functools import lru_cache
from typing import Any

from weave.transforms.jmespath.codegen import generate, make_fallback
from weave.transforms.jmespath.functions import Functions
from weave.transforms.jmespath.interp import interpreter
from weave.transforms.jmespath.parser import parse

_DEFAULT = Functions()
CACHE_SIZE = 1024


class CompiledExpression:
    """A compiled JMESPath expression. `search(data)` is a plain function attribute (no method
    dispatch on the hot path)."""

    __slots__ = ("expression", "search", "source")

    def __init__(self, expression: str, source: str, namespace: dict[str, Any]) -> None:
        self.expression = expression
        self.source = source
        with warnings.catch_warnings():  # e.g. `null`[0] compiles to None[0]: guarded, never run
            warnings.simplefilter("ignore", SyntaxWarning)
            code = builtins.compile(source, f"<jmespath {expression[:60]!r}>", "exec")
        namespace["_fallback"] = make_fallback(namespace, self)
        exec(code, namespace)
        self.search = namespace["search"]

    @classmethod
    def interpreted(cls, expression: str, search: Any) -> CompiledExpression:
        obj = cls.__new__(cls)
        obj.expression, obj.source, obj.search = expression, "", search
        return obj

    def __repr__(self) -> str:
        return f"CompiledExpression({self.expression!r})"


@lru_cache(maxsize=CACHE_SIZE)
def _compile(expression: str, functions: Functions, version: int) -> CompiledExpression:
    tree = parse(expression)
    try:
        source, namespace = generate(tree, expression, functions)
        return CompiledExpression(expression, source, namespace)
    except (SyntaxError, RecursionError, MemoryError):
        # nesting beyond what Python's compiler takes: interpret (same results, same errors)
        return CompiledExpression.interpreted(expression, interpreter(tree, expression, functions))


def compile(expression: str, functions: Functions | None = None) -> CompiledExpression:
    """Compile `expression` (cached). Raises the reference's parse errors for bad syntax."""
    if not isinstance(expression, str):
        raise TypeError(f"a JMESPath expression must be a string, not {type(expression).__name__}")
    fns = functions or _DEFAULT
    return _compile(expression, fns, fns.version)


def search(expression: str, data: Any, functions: Functions | None = None) -> Any:
    return compile(expression, functions).search(data)


def clear_cache() -> None:
    _compile.cache_clear()
