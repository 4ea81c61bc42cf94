"""The reference library's Pratt parser, extended to record source positions.

Function calls, comparators and slices get a `pos` (0-based column in the expression) so that
search-time errors can name where they happened. Parse errors are the reference's own
(`ParseError`, `LexerError`, `IncompleteExpressionError`, `EmptyExpressionError`); they already
carry the expression and the column.
"""

from __future__ import annotations

from typing import Any

from jmespath import parser as _ref


class PositionedParser(_ref.Parser):  # type: ignore[misc]
    _CACHE: dict[str, Any] = {}  # not used: weave caches compiled code instead

    def _token_led_lparen(self, left: dict[str, Any]) -> dict[str, Any]:
        pos = self._lookahead_token(-2)["start"]
        node: dict[str, Any] = super()._token_led_lparen(left)
        node["pos"] = pos
        return node

    def _parse_comparator(self, left: dict[str, Any], comparator: str) -> dict[str, Any]:
        pos = self._lookahead_token(-1)["start"]
        node: dict[str, Any] = super()._parse_comparator(left, comparator)
        node["pos"] = pos
        return node

    def _parse_slice_expression(self) -> dict[str, Any]:
        pos = self._lookahead_token(-1)["start"]
        node: dict[str, Any] = super()._parse_slice_expression()
        node["pos"] = pos
        return node


def parse(expression: str) -> dict[str, Any]:
    """Parse to the reference AST (dict nodes: type, children, value, and pos where useful)."""
    result = PositionedParser()._do_parse(expression)
    tree: dict[str, Any] = result.parsed
    return tree
