"""Literal values of array and object parameters, read the way the server reads them (OpenAPI `style` and
`explode`), checked against the parameter's schema:

    array, form + explode (query/cookie default)   ?status=a&status=b        each value is one item
    array, form, explode: false                    ?status=a,b               items split at `,`
    array, spaceDelimited / pipeDelimited          ?status=a%20b / a|b
    array, simple (path/header default)            X-Ids: 1,2                items split at `,`
    object, form/simple, explode: false            ?filter=role,admin,n,3    name,value pairs
    object, simple, explode: true                  X-Filter: role=admin,n=3
    object, form + explode (query default)         ?role=admin&n=3           each property its own key
    object, deepObject                             ?filter[role]=admin
    path, label: scalar / array / object           .5   .a,b (explode: .a.b)   .role,admin (explode: .role=admin)
    path, matrix: scalar / array / object          ;id=5   ;ids=a,b (explode: ;ids=a;ids=b)
                                                   ;filter=role,admin (explode: ;role=admin;n=3)

Arrays of objects are not followed: such values stay unchecked. Parameters described by `content` are one
document of their media type (JSON is checked by weave.contracts.paramcontent).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from weave.contracts.model import Param, Schema
from weave.contracts.paramcontent import content_problems, is_json
from weave.contracts.paramvalues import describe, value_problem
from weave.contracts.schemas import closed, element, properties, required, types

_DELIMITERS = {"form": ",", "simple": ",", "spaceDelimited": " ", "pipeDelimited": "|"}
_PREFIXED = ("label", "matrix")  # path styles whose values carry a prefix: `.` and `;name=`


def prefixed(param: Param) -> bool:
    """A path parameter in style label or matrix (its values are read by `prefixed_parts`)."""
    return param.location == "path" and param.wire_style in _PREFIXED


def prefixed_parts(param: Param, text: str) -> list[str] | str:
    """The parts of a label or matrix path value after its prefix (one for a scalar; the items of an array; for an
    object `name,value,...` or, exploded, `name=value` each), or why the server could not read it."""
    kind, name, style = shape(param.schema), param.name, param.wire_style
    if style == "label":
        if not text.startswith("."):
            return "which lacks the leading '.' of style label"
        body = text[1:]
        if kind == "scalar":
            return [body]
        return body.split("." if param.exploded else ",") if body else []
    if param.exploded and kind == "array":  # ;ids=1;ids=2
        parts = [part.partition("=") for part in text.split(";")[1:]] if text.startswith(";") else []
        if not parts or any(key != name or not eq for key, eq, _ in parts):
            return f"which is not a list of ;{name}=value (style matrix, explode true)"
        return [value for _, _, value in parts]
    if param.exploded and kind == "object":  # ;role=admin;n=3
        if not text.startswith(";"):
            return "which lacks the leading ';' of style matrix"
        return text[1:].split(";") if text[1:] else []
    head = f";{name}="
    if text == f";{name}":  # an empty value
        return [""] if kind == "scalar" else []
    if not text.startswith(head):
        return f"which lacks the prefix '{head}' of style matrix"
    body = text[len(head):]
    return [body] if kind == "scalar" else (body.split(",") if body else [])


def shape(schema: Schema) -> str:
    """array | object | scalar (the kinds a parameter's schema allows, arrays and objects first)."""
    kinds = types(schema) - {"null"}
    if "array" in kinds:
        return "array"
    if "object" in kinds or (not kinds and properties(schema)):
        return "object"
    return "scalar"


def array_items(param: Param, texts: Sequence[str]) -> list[tuple[int, str]] | None:
    """(index of the sent value, item text) of every item the values carry; None when the style is not read
    (a label or matrix value without its prefix is not read either: `array_problems` reports it)."""
    style = param.wire_style
    if prefixed(param):
        found: list[tuple[int, str]] = []
        for index, text in enumerate(texts):
            parts = prefixed_parts(param, text)
            if isinstance(parts, str):
                return None
            found += [(index, part) for part in parts]
        return found
    if style not in _DELIMITERS:
        return None
    if style == "form" and param.exploded:
        return list(enumerate(texts))
    delimiter = _DELIMITERS[style]
    return [(index, item) for index, text in enumerate(texts) if text for item in text.split(delimiter)]


def value_problems(param: Param, sent: Sequence[tuple[str, str | None]]) -> list[tuple[int, str]]:
    """(index into `sent`, why) for what a call sends for `param`. `sent` holds (key, text, None when only known
    at run time); the key is the parameter's name, or for an object a deepObject `name[property]` or the
    property an exploded form object sends as its own key. Unknown values are not checked, and an object or
    array with an unknown part is not checked as a whole (required properties, item counts)."""
    hidden = param.location in ("header", "cookie")  # such values are not echoed
    if param.media is not None:  # one document of the media type: JSON is checked, others are not read
        return [(i, problem) for i, (_, text) in enumerate(sent) if text is not None
                for problem in content_problems(param, text)]
    kind = shape(param.schema)
    if kind == "scalar":
        out: list[tuple[int, str]] = []
        for i, (_, text) in enumerate(sent):
            if text is None:
                continue
            parts = prefixed_parts(param, text) if prefixed(param) else [text]
            problem = parts if isinstance(parts, str) else value_problem(param.schema, parts[0])
            if problem is not None:
                out.append((i, problem))
        return out
    if kind == "array":
        known = [(i, text) for i, (_, text) in enumerate(sent) if text is not None]
        found = array_problems(param, [text for _, text in known], hidden, len(known) == len(sent))
        return [(known[j][0], problem) for j, problem in found]
    return _object_problems(param, sent, hidden)


def _object_problems(param: Param, sent: Sequence[tuple[str, str | None]], hidden: bool) -> list[tuple[int, str]]:
    pairs: list[tuple[str, str]] = []
    owners: list[int] = []
    names: set[str] = set()
    complete = True
    out: list[tuple[int, str]] = []
    exploded_form = param.location == "query" and param.wire_style == "form" and param.exploded
    for index, (key, text) in enumerate(sent):
        if key == param.name and not exploded_form and param.wire_style != "deepObject":
            parsed = object_pairs(param, text) if text is not None else None
            if parsed is None or isinstance(parsed, str) or param.wire_style not in ("form", "simple", *_PREFIXED):
                complete = False
                if isinstance(parsed, str):
                    out.append((index, parsed))
                continue
            pairs += parsed
            owners += [index] * len(parsed)
            continue
        if key == param.name:
            complete = False  # a key the style does not use for this object: not read here
            continue
        prop = key[len(param.name) + 1:-1] if param.wire_style == "deepObject" else key
        names.add(prop)
        if text is not None:
            pairs.append((prop, text))
            owners.append(index)
    names |= {name for name, _ in pairs}
    for index, problem in object_problems(param, pairs, hidden, names if complete else None):
        out.append((owners[index] if index >= 0 else 0, problem))
    return out


def array_problems(param: Param, texts: Sequence[str], hidden: bool, complete: bool = True) -> list[tuple[int, str]]:
    """(index of the sent value, why) for the values of an array parameter (item counts only when `complete`)."""
    if prefixed(param):
        unread = [(index, why) for index, text in enumerate(texts) if isinstance(why := prefixed_parts(param, text), str)]
        if unread:
            return unread
    found = array_items(param, texts)
    if found is None:
        return []
    out: list[tuple[int, str]] = []
    schema = element(param.schema) or {}
    if shape(schema) == "scalar":
        for position, (index, item) in enumerate(found):
            problem = value_problem(schema, item)
            if problem is not None:
                label = f"item {position + 1}" if hidden else f"item '{item}'"
                note = ""
                if param.wire_style == "form" and param.exploded and "," in item:
                    note = (f" (the contract reads one item per `{param.name}=` (style form, explode true): "
                            f"repeat the parameter for several values)")
                out.append((index, f"{label}: {problem}{note}"))
    count = len(found)
    low, high = param.schema.get("minItems"), param.schema.get("maxItems")
    if not complete:
        return out
    if isinstance(low, int) and count < low and texts:
        out.append((0, f"{count} item{'s' * (count != 1)}, fewer than minItems {low}"))
    if isinstance(high, int) and count > high and texts:
        out.append((0, f"{count} items, more than maxItems {high}"))
    return out


def object_pairs(param: Param, text: str) -> list[tuple[str, str]] | str:
    """The (property, value) pairs one value of an object parameter carries, or why it cannot be read."""
    style = param.wire_style
    if prefixed(param):
        found = prefixed_parts(param, text)
        if isinstance(found, str):
            return found
        parts = found
    elif style not in ("form", "simple"):
        return []
    else:
        parts = text.split(",") if text else []
    if param.exploded and (style == "simple" or prefixed(param)):
        pairs = [part.partition("=") for part in parts]
        if any(not eq for _, eq, _ in pairs):
            return f"which is not a list of name=value pairs (style {style}, explode true)"
        return [(name, value) for name, _, value in pairs]
    if len(parts) % 2:
        return f"which is not a list of name,value pairs (style {style}, explode false)"
    return list(zip(parts[::2], parts[1::2], strict=True))


def object_problems(param: Param, pairs: Sequence[tuple[str, str]], hidden: bool,
                    present: set[str] | None) -> list[tuple[int, str]]:
    """(index of the pair, why) for the properties of an object parameter; index -1: the object as a whole
    (a required property missing from `present`, the names sent; None: not known)."""
    props = properties(param.schema)
    extra = param.schema.get("additionalProperties")
    out: list[tuple[int, str]] = []
    for index, (name, value) in enumerate(pairs):
        schema = props.get(name)
        if schema is None and isinstance(extra, Mapping):
            schema = extra
        if schema is None:
            if closed(param.schema):
                out.append((index, f"which has no property '{name}' (declared: {', '.join(sorted(props)) or 'none'})"))
            continue
        if shape(schema) != "scalar":
            continue
        problem = value_problem(schema, value)
        if problem is not None:
            shown = f"property '{name}'" if hidden else f"property '{name}' = '{value}'"
            out.append((index, f"{shown}: {problem}"))
    missing = sorted(required(param.schema) - present) if present is not None else []
    if missing:
        out.append((-1, f"which lacks the required propert{'ies' if len(missing) > 1 else 'y'} {', '.join(missing)}"))
    return out


def describe_param(param: Param) -> str:
    """What a parameter accepts, for hints: its type, and how several values are sent."""
    if param.media is not None:
        what = describe(param.schema) if not properties(param.schema) else "an object (" + ", ".join(
            f"{name}: {describe(sub)}" for name, sub in properties(param.schema).items()) + ")"
        return f"{param.media} of {what}" if is_json(param.media) else f"a {param.media} value"
    kind = shape(param.schema)
    if kind == "array":
        items = describe(element(param.schema) or {})
        style = param.wire_style
        if style == "form" and param.exploded:
            how = f"`{param.name}=a&{param.name}=b`"
        elif prefixed(param):
            how = {("label", False): "`.a,b`", ("label", True): "`.a.b`", ("matrix", False): f"`;{param.name}=a,b`",
                   ("matrix", True): f"`;{param.name}=a;{param.name}=b`"}[(style, param.exploded)]
        elif style in _DELIMITERS:
            how = f"`a{_DELIMITERS[style]}b`"
        else:
            return f"an array of {items}"
        return f"an array of {items}, sent as {how} (style {style}, explode {str(param.exploded).lower()})"
    if kind == "object":
        props = properties(param.schema)
        listed = ", ".join(f"{name}: {describe(sub)}" for name, sub in props.items()) or "any properties"
        return f"an object ({listed}), style {param.wire_style}, explode {str(param.exploded).lower()}"
    if prefixed(param):
        how = "`.value`" if param.wire_style == "label" else f"`;{param.name}=value`"
        return f"{describe(param.schema)}, sent as {how} (style {param.wire_style})"
    return describe(param.schema)
