"""JMESPath compiled to Python.

    from weave.transforms import jmespath
    expr = jmespath.compile("{id: id, total: sum(orders[].amount)}")
    expr.search(record)

Results and errors are those of the reference `jmespath` library (1.1): parse errors are the
reference's exceptions (they name the expression and the column); search-time errors derive from
the exception the reference raises in the same case and add `.expression` and `.position`.
Compiled expressions are cached (LRU) per (expression, function registry).
"""

from __future__ import annotations

from weave.transforms.jmespath.compiler import (
    CompiledExpression,
    clear_cache,
    compile,
    search,
)
from weave.transforms.jmespath.functions import STANDARD, Functions
from weave.transforms.jmespath.runtime import SearchErrorMixin

__all__ = ["CompiledExpression", "Functions", "STANDARD", "SearchErrorMixin", "clear_cache", "compile", "search"]
