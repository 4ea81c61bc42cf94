"""Generate Python source from a JMESPath AST.

Every AST node becomes one Python *expression*; intermediate values are bound with `:=` so nothing
is evaluated twice. Two variants of the same expression are generated:

* fast: field access is a bare `x[name]`, and a flatten feeding a field projection is skipped.
  On JSON data (plain dict/list/str/int/float/bool/None) the fast variant either computes exactly
  what the safe one does or raises (KeyError for a missing key, TypeError for a non-object, ...).
* `_safe`: the reference's semantics: field access checks the type first (`None` for non-objects).

`search(v)` runs the fast variant and, on any exception, re-runs the record through `_safe` (which
raises the real error, if there is one). The fast variant has no side effects, so this is safe;
after many fallbacks (data where fields are often missing) `search` switches to `_safe` for good.
Input data must not be dict subclasses with `__missing__` (defaultdict): `x[name]` would insert.
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable
from typing import Any

from weave.transforms.jmespath import runtime
from weave.transforms.jmespath.functions import STANDARD, Functions, _Expression
from weave.transforms.jmespath.sites import SPECIALISED

_NAME = re.compile(r"^[A-Za-z_][A-Za-z_0-9]*$")
_ORDERING = {"lt": operator.lt, "gt": operator.gt, "lte": operator.le, "gte": operator.ge}
# nodes whose value is always a Python bool or None: Python truthiness equals JMESPath truthiness
_BOOLISH = {"comparator", "not_expression"}
_NOLIT = object()
FALLBACKS_BEFORE_SAFE = 256


class _Scope:
    """Temporaries for one generated function."""

    def __init__(self) -> None:
        self.count = 0

    def temp(self) -> str:
        self.count += 1
        return f"_t{self.count}"


class Generator:
    def __init__(self, expression: str, functions: Functions, namespace: dict[str, Any]) -> None:
        self.expression = expression
        self.functions = functions
        self.ns = namespace
        self.defs: list[str] = []
        self.fast = True
        self.scope = _Scope()
        self._consts = 0
        self.nonnull: set[str] = set()

    # -- helpers ------------------------------------------------------------------------------

    def const(self, value: Any, prefix: str = "_k") -> str:
        self._consts += 1
        name = f"{prefix}{self._consts}"
        self.ns[name] = value
        return name

    def literal(self, value: Any) -> str:
        if value is None or isinstance(value, (bool, str)):
            return repr(value)
        if type(value) is int:
            return repr(value) if value >= 0 else f"({value!r})"
        if type(value) is float and math.isfinite(value):
            return repr(value) if value >= 0 else f"({value!r})"
        return self.const(value)

    def bind(self, x: str) -> tuple[str, str]:
        """(first use, later uses) for input `x`; binds to a temporary unless it is a name."""
        if _NAME.match(x):
            return x, x
        t = self.scope.temp()
        return f"({t} := {x})", t

    def named(self, x: str, build: Callable[[str], str]) -> str:
        """Build an expression that uses `x` several times, binding it first when needed."""
        if _NAME.match(x):
            return build(x)
        t = self.scope.temp()
        return f"({build(t)} if ({t} := {x}) is not _U else None)"

    def truthy(self, node: dict[str, Any], value: str) -> str:
        if node["type"] in _BOOLISH:
            return value
        t = self.scope.temp()
        return f"(({t} := {value}) or ({t} == 0 and {t} is not False))"

    # -- entry points -------------------------------------------------------------------------

    def function(self, name: str, node: dict[str, Any], fast: bool) -> str:
        saved = (self.fast, self.scope, self.nonnull)
        self.fast, self.scope, self.nonnull = fast, _Scope(), set()
        body = self.gen(node, "v")
        self.defs.append(f"def {name}(v):\n    return {body}\n")
        self.fast, self.scope, self.nonnull = saved
        return name

    # -- nodes --------------------------------------------------------------------------------

    def gen(self, node: dict[str, Any], x: str) -> str:
        method = getattr(self, "n_" + node["type"])
        result: str = method(node, x)
        return result

    def n_field(self, node: dict[str, Any], x: str) -> str:
        key = repr(node["value"])
        if self.fast:
            return f"{x}[{key}]"
        first, t = self.bind(x)
        return f"({t}.get({key}) if type({first}) is dict else _field({t}, {key}))"

    def _fold(self, node: dict[str, Any], x: str) -> str:
        for child in node["children"]:
            if _ignores_input(child) and not _NAME.match(x):
                # `a.b | `1``: the left side still runs (it may raise), its value is unused
                x = f"({self.gen(child, x)} if {x} is not _U else None)"
            else:
                x = self.gen(child, x)
        return x

    n_subexpression = _fold
    n_index_expression = _fold
    n_pipe = _fold

    def n_identity(self, node: dict[str, Any], x: str) -> str:
        return x

    n_current = n_identity

    def n_literal(self, node: dict[str, Any], x: str) -> str:
        return self.literal(node["value"])

    def n_index(self, node: dict[str, Any], x: str) -> str:
        i = node["value"]
        first, t = self.bind(x)
        bound = f"{i} < len({t})" if i >= 0 else f"{-i} <= len({t})"
        return f"({t}[{i}] if isinstance({first}, list) and {bound} else None)"

    def n_slice(self, node: dict[str, Any], x: str) -> str:
        start, stop, step = node["children"]
        if step == 0:
            fail = self.const(runtime.make_slice_error(self.expression, node.get("pos", 0)), "_s")
            return f"({fail}() if isinstance({x}, list) else None)"
        first, t = self.bind(x)
        parts = ":".join("" if p is None else f"({p})" for p in (start, stop, step))
        return f"({t}[{parts}] if isinstance({first}, list) else None)"

    def n_comparator(self, node: dict[str, Any], x: str) -> str:
        op = node["value"]
        left_node, right_node = node["children"]

        def build(name: str) -> str:
            left, right = self.gen(left_node, name), self.gen(right_node, name)
            if op in ("eq", "ne"):
                lit: Any = _NOLIT
                if right_node["type"] == "literal":
                    lit, other = right_node["value"], left
                elif left_node["type"] == "literal":
                    lit, other = left_node["value"], right
                if isinstance(lit, (str, list, dict)):
                    # no 0/1-vs-bool special case can apply: plain equality is the reference's
                    return f"({other} {'==' if op == 'eq' else '!='} {self.literal(lit)})"
                if lit is None:
                    return f"({other} {'is' if op == 'eq' else 'is not'} None)"
                call = f"_eq({left}, {right})"
                return call if op == "eq" else f"(not {call})"
            site = self.const(runtime.make_ordering(_ORDERING[op], self.expression, node.get("pos", 0)), "_c")
            return f"{site}({left}, {right})"

        return self.named(x, build)

    def n_expref(self, node: dict[str, Any], x: str) -> str:
        fname = self.function(self.const(None, "_x"), node["children"][0], self.fast)
        holder = self.const(None, "_e")
        self.defs.append(f"{holder} = _Expression({fname})\n")
        return holder

    def n_function_expression(self, node: dict[str, Any], x: str) -> str:
        name, children = node["value"], node["children"]
        pos = node.get("pos", 0)
        fdef = self.functions.lookup(name)
        if fdef is None:
            site = runtime.make_unknown(name, self.expression, pos)
        else:
            site = runtime.make_call(fdef, len(children), self.expression, pos)
            special = SPECIALISED.get((name, len(children)))
            if special is not None and fdef is STANDARD.get(name):
                site = special(site)
        site_name = self.const(site, "_f")
        inline = self._inline_join(name, fdef, children, site_name, x)
        if inline is not None:
            return inline

        def build(name_: str) -> str:
            return f"{site_name}({', '.join(self.gen(c, name_) for c in children)})"

        uses = sum(1 for c in children if not _ignores_input(c))
        return self.named(x, build) if uses > 1 else build(x)

    def _inline_join(
        self, name: str, fdef: Any, children: list[dict[str, Any]], site: str, x: str
    ) -> str | None:
        """join('sep', [a, b]) over a known non-null input: join in place, no list built."""
        if name != "join" or fdef is not STANDARD["join"] or len(children) != 2:
            return None
        sep, arr = children
        if sep["type"] != "literal" or type(sep["value"]) is not str:
            return None
        if arr["type"] != "multi_select_list" or x not in self.nonnull:
            return None
        temps = [self.scope.temp() for _ in arr["children"]]
        checks = " & ".join(f"(type({t} := {self.gen(c, x)}) is str)" for t, c in zip(temps, arr["children"], strict=True))
        sep_lit = self.literal(sep["value"])
        items = ", ".join(temps)
        return f"({sep_lit}.join(({items},)) if {checks} else {site}({sep_lit}, [{items}]))"

    def _projection(self, base: str, right: dict[str, Any], cond: dict[str, Any] | None, kind: str) -> str:
        tb, e = self.scope.temp(), self.scope.temp()
        head = ""
        if cond is not None:
            head = f" if {self.truthy(cond, self.gen(cond, e))}"
        if right["type"] == "identity":
            body = f"[{e} for {e} in {tb}{head} if {e} is not None]"
        else:
            r, value = self.scope.temp(), self.gen(right, e)
            if ":=" in value:  # no walrus allowed in a comprehension's iterable: bind in the condition
                body = f"[{r} for {e} in {tb}{head} if ({r} := {value}) is not None]"
            else:  # `for r in (x,)` compiles to a plain local assignment
                body = f"[{r} for {e} in {tb}{head} for {r} in ({value},) if {r} is not None]"
        if kind == "flat":
            return f"({body} if ({tb} := {base}) is not None else None)"
        if kind == "values":
            return f"({body} if ({tb} := _values_of({base})) is not None else None)"
        return f"({body} if isinstance(({tb} := {base}), list) else None)"

    def n_projection(self, node: dict[str, Any], x: str) -> str:
        left, right = node["children"]
        if left["type"] == "flatten" and self.fast and _starts_with_field(right):
            # fast variant: a nested list (or any non-object) element fails the first field
            # access and sends the record to the safe variant, which flattens for real
            return self._projection(self.gen(left["children"][0], x), right, None, "list")
        if left["type"] == "flatten":
            # iterate the flattened list without copying it when it holds no nested lists
            base = self.gen(left["children"][0], x)
            return self._projection(f"_flatten_view({base})", right, None, "flat")
        return self._projection(self.gen(left, x), right, None, "list")

    def n_value_projection(self, node: dict[str, Any], x: str) -> str:
        left, right = node["children"]
        return self._projection(self.gen(left, x), right, None, "values")

    def n_filter_projection(self, node: dict[str, Any], x: str) -> str:
        left, right, cond = node["children"]
        return self._projection(self.gen(left, x), right, cond, "list")

    def n_flatten(self, node: dict[str, Any], x: str) -> str:
        return f"_flatten({self.gen(node['children'][0], x)})"

    def _multi(self, x: str, children: list[dict[str, Any]], render: Callable[[str], str]) -> str:
        if self.fast and _NAME.match(x) and any(_starts_with_field(c) for c in children):
            # fast variant: a null input fails a child's `x[...]` (every child is evaluated) and the
            # record takes the safe path; so inside the body `x` is known not to be null
            known = x in self.nonnull
            self.nonnull.add(x)
            try:
                return render(x)
            finally:
                if not known:
                    self.nonnull.discard(x)
        first, t = self.bind(x)
        known = t in self.nonnull
        self.nonnull.add(t)
        try:
            body = render(t)
        finally:
            if not known:
                self.nonnull.discard(t)
        if known:
            return body
        return f"(None if {first} is None else {body})"

    def n_multi_select_dict(self, node: dict[str, Any], x: str) -> str:
        def render(t: str) -> str:
            items = ", ".join(f"{c['value']!r}: {self.gen(c['children'][0], t)}" for c in node["children"])
            return f"{{{items}}}"

        return self._multi(x, [c["children"][0] for c in node["children"]], render)

    def n_multi_select_list(self, node: dict[str, Any], x: str) -> str:
        def render(t: str) -> str:
            return f"[{', '.join(self.gen(c, t) for c in node['children'])}]"

        return self._multi(x, node["children"], render)

    def n_or_expression(self, node: dict[str, Any], x: str) -> str:
        left, right = node["children"]

        def build(name: str) -> str:
            t = self.scope.temp()
            cond = self.truthy(left, f"({t} := {self.gen(left, name)})")
            return f"({t} if {cond} else {self.gen(right, name)})"

        return self.named(x, build)

    def n_and_expression(self, node: dict[str, Any], x: str) -> str:
        left, right = node["children"]

        def build(name: str) -> str:
            t = self.scope.temp()
            cond = self.truthy(left, f"({t} := {self.gen(left, name)})")
            return f"({self.gen(right, name)} if {cond} else {t})"

        return self.named(x, build)

    def n_not_expression(self, node: dict[str, Any], x: str) -> str:
        child = node["children"][0]
        return f"(not {self.truthy(child, self.gen(child, x))})"


def base_namespace() -> dict[str, Any]:
    return {
        "__builtins__": {},
        "Exception": Exception,
        "isinstance": isinstance,
        "len": len,
        "list": list,
        "dict": dict,
        "str": str,
        "type": type,
        "_U": _UNSET,
        "_field": runtime.field,
        "_values_of": runtime.values_of,
        "_flatten": runtime.flatten,
        "_flatten_view": runtime.flatten_view,
        "_eq": runtime.equals,
        "_Expression": _Expression,
    }


class _Unset:
    pass


_UNSET = _Unset()


def generate(tree: dict[str, Any], expression: str, functions: Functions) -> tuple[str, dict[str, Any]]:
    """Return (python source, namespace) defining `search(v)`."""
    ns = base_namespace()
    gen = Generator(expression, functions, ns)
    gen.function("_safe", tree, fast=False)
    if _has_field(tree):
        gen.function("_fast", tree, fast=True)
        body = gen.defs.pop().split("return ", 1)[1]
        gen.defs.append(
            "def search(v):\n"
            "    try:\n"
            f"        return {body}"
            "    except Exception:\n"
            "        return _fallback(v)\n"
        )
    else:
        gen.defs.append("search = _safe\n")
    return "\n".join(gen.defs), ns


def _ignores_input(node: dict[str, Any]) -> bool:
    """True when a node's value does not depend on (and does not evaluate) its input."""
    kind = node["type"]
    if kind in ("literal", "expref"):
        return True
    if kind in ("function_expression", "comparator", "or_expression", "and_expression", "not_expression"):
        return all(_ignores_input(c) for c in node["children"])
    if kind in ("subexpression", "index_expression", "pipe", "projection", "value_projection",
                "filter_projection", "flatten"):
        return _ignores_input(node["children"][0])
    return False


def _starts_with_field(node: dict[str, Any]) -> bool:
    if node["type"] == "field":
        return True
    if node["type"] in ("subexpression", "index_expression", "pipe"):
        return _starts_with_field(node["children"][0])
    return False


def _has_field(node: Any) -> bool:
    if isinstance(node, dict):
        if node.get("type") == "field":
            return True
        return any(_has_field(c) for c in node.get("children", ()))
    return False


def make_fallback(ns: dict[str, Any], owner: Any) -> Callable[[Any], Any]:
    """Called when the fast variant hit a non-object; after many, the owner switches to `_safe`."""
    count = 0

    def fallback(v: Any) -> Any:
        nonlocal count
        count += 1
        if count >= FALLBACKS_BEFORE_SAFE:
            owner.search = ns["_safe"]
        return ns["_safe"](v)

    return fallback
