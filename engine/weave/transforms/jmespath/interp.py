"""Fallback for expressions too deep for Python's compiler: the reference tree interpreter, with
weave's call sites (custom functions, positioned errors) in place of the reference's function table.

Only used when the generated source does not compile (`too many nested parentheses`, recursion
limits); results and errors are the same as compiled code's.
"""

from __future__ import annotations

from typing import Any

from jmespath import visitor

from weave.transforms.jmespath import runtime
from weave.transforms.jmespath.functions import Functions, _Expression


class _Interpreter(visitor.TreeInterpreter):  # type: ignore[misc]
    def __init__(self, expression: str, functions: Functions) -> None:
        super().__init__()
        self._expression = expression
        self._registry = functions
        self._sites: dict[int, Any] = {}

    def visit_expref(self, node: dict[str, Any], value: Any) -> Any:
        child = node["children"][0]
        return _Expression(lambda x: self.visit(child, x))

    def visit_function_expression(self, node: dict[str, Any], value: Any) -> Any:
        args = [self.visit(child, value) for child in node["children"]]
        site = self._sites.get(id(node))
        if site is None:
            fdef = self._registry.lookup(node["value"])
            pos = node.get("pos", 0)
            site = (runtime.make_unknown(node["value"], self._expression, pos) if fdef is None
                    else runtime.make_call(fdef, len(args), self._expression, pos))
            self._sites[id(node)] = site
        return site(*args)

    def visit_comparator(self, node: dict[str, Any], value: Any) -> Any:
        try:
            return super().visit_comparator(node, value)
        except TypeError as exc:
            raise runtime.positioned(exc, self._expression, node.get("pos", 0)) from None

    def visit_slice(self, node: dict[str, Any], value: Any) -> Any:
        try:
            return super().visit_slice(node, value)
        except ValueError as exc:
            raise runtime.positioned(exc, self._expression, node.get("pos", 0)) from None


def interpreter(tree: dict[str, Any], expression: str, functions: Functions) -> Any:
    interp = _Interpreter(expression, functions)

    def search(value: Any) -> Any:
        return interp.visit(tree, value)

    return search
