"""What a spec sends besides the body: query parameters, headers and path segments of an HTTP call, with
the literal value when the spec writes one, and the headers/parameters weave adds by itself (auth,
idempotency key, content negotiation, the gateway's forwarded headers).

Values travel as text: a YAML `500` is sent as `500`, `true` as `true`. A value that is a template (Jinja
`{{ … }}` over the read state, a gateway `{param}`) or a secret reference is sent, but not known.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from weave.contracts.positions import expression_position
from weave.spec.model import Integration, Project
from weave.spec.yamlload import Document

Anchor = tuple[str | int, ...]
_GATEWAY_VAR = re.compile(r"\{[^{}]*\}")
_PAGING_DEFAULTS = {"page": {"page_param": "page"}, "offset": {"offset_param": "offset", "limit_param": "limit"},
                    "cursor": {"cursor_param": "cursor"}}
# the values the connector's paginators send (weave.connectors.http.pagination): param key -> value key, default
_PAGING_VALUES = {"page_param": ("start", 1), "offset_param": (None, 0), "limit_param": ("limit", 100),
                  "size_param": ("size", None)}
IGNORED_HEADERS = frozenset({"accept", "content-type", "authorization"})  # OpenAPI 3: such parameters are ignored
GATEWAY_FORWARDED = frozenset({"accept", "accept-language", "content-type", "x-request-id", "x-weave-consumer",
                               "x-forwarded-for"})


@dataclass(frozen=True)
class Sent:
    """One query parameter, header or path segment a call sends, at the spec position that names it."""

    name: str
    location: str  # query | header | cookie | path
    step: str
    file: str
    line: int
    column: int
    value: str | None = None  # the text sent, when the spec writes it literally
    value_at: tuple[int, int] | None = None  # where that value is written (default: the name's position)

    @property
    def known(self) -> bool:
        return self.value is not None

    @property
    def value_position(self) -> tuple[int, int]:
        return self.value_at or (self.line, self.column)

    def to_dict(self) -> dict[str, Any]:  # values are left out: headers may carry anything
        return {"field": self.name, "in": self.location, "step": self.step, "file": self.file, "line": self.line,
                "column": self.column}


def text_of(value: Any, templated: str) -> tuple[bool, str | None]:
    """(sent at all, the literal text or None when only known at run time). `templated`: jinja | gateway |
    none — how the block's string values are rendered."""
    if value is None:
        return False, None  # the connector leaves None parameters out
    if isinstance(value, bool):
        return True, "true" if value else "false"
    if isinstance(value, (int, float)):
        return True, str(value)
    text = str(value)
    if "${" in text or (templated == "jinja" and ("{{" in text or "{%" in text)) or (
            templated == "gateway" and _GATEWAY_VAR.search(text)):
        return True, None
    return True, text


def mapping_uses(doc: Document, at: Anchor, block: Any, location: str, label: str, templated: str) -> list[Sent]:
    """`params:` / `query:` / `headers:` entries of an operation block (scalars: the spec language has no
    lists there; several values of one query parameter are written into the path, `?tag=a&tag=b`)."""
    out: list[Sent] = []
    if not isinstance(block, Mapping):
        return out
    for key, value in block.items():
        sent, text = text_of(value, templated)
        if not sent:
            continue
        line, col = doc.position((*at, key), key=True)
        out.append(Sent(str(key), location, label, doc.file, line, col, text, doc.position((*at, key))))
    return out


def cookie_uses(doc: Document, at: Anchor, block: Any, label: str, templated: str) -> tuple[list[Sent], bool]:
    """The cookies a `Cookie:` entry of `headers:` sends (`name=value; other=value`), each at its name in the
    header value, and whether some are only known at run time (a templated name or a templated header)."""
    out: list[Sent] = []
    opaque = False
    if not isinstance(block, Mapping):
        return out, opaque
    for key, value in block.items():
        if str(key).lower() != "cookie" or value is None:
            continue
        if not isinstance(value, str):
            continue  # a number or a boolean: no `name=value` pair
        if templated == "jinja" and "{%" in value:
            opaque = True  # a Jinja block may send any set of cookies
            continue
        offset = 0
        for part in value.split(";"):
            name, eq, raw = part.partition("=")
            known_name, name_text = text_of(name.strip(), templated)
            if name_text is None or not eq:
                opaque |= known_name and name_text is None
                offset += len(part) + 1
                continue
            start = offset + len(name) - len(name.lstrip())
            value_start = offset + len(name) + 1 + len(raw) - len(raw.lstrip())
            text = text_of(raw.strip(), templated)[1]
            if text is not None and len(text) > 1 and text[0] == text[-1] == '"':
                text = text[1:-1]  # RFC 6265: a cookie value may be quoted
            out.append(Sent(name_text, "cookie", label, doc.file, *expression_position(doc, (*at, key), value, start),
                            text, expression_position(doc, (*at, key), value, value_start) if raw.strip() else None))
            offset += len(part) + 1
    return out, opaque


def path_uses(doc: Document, at: Anchor, path: str, label: str) -> tuple[list[Sent], list[Sent]]:
    """(segments, query parameters written into the path after `?`), each at its place in the path scalar."""
    segments: list[Sent] = []
    head, _, query = path.partition("?")
    offset = 0
    for part in head.split("/"):
        if part:
            segments.append(Sent(part, "path", label, doc.file, *expression_position(doc, at, path, offset),
                                 value=part))
        offset += len(part) + 1
    params: list[Sent] = []
    start = len(head) + 1
    for name, value in parse_qsl(query, keep_blank_values=True):
        if not name:
            continue
        where = path.find(name, start)
        pos = expression_position(doc, at, path, where if where >= 0 else 0)
        equals = path.find("=", where) if where >= 0 else -1
        value_at = expression_position(doc, at, path, equals + 1) if equals >= 0 and value else None
        params.append(Sent(name, "query", label, doc.file, *pos, value, value_at))
        start = max(start, where + len(name))
    return segments, params


def extract_query(spec: Integration, op: Mapping[str, Any], style: str) -> list[Sent]:
    """Query parameters a read sends: `params`, the pagination's parameters (explicit or the connector's
    defaults, with the numbers the paginator sends) and the batch cursor's `param`."""
    doc = spec.doc
    out = [s for s in mapping_uses(doc, ("extract", style, "params"), op.get("params"), "query",
                                   f"extract.{style}.params", "jinja") if "." not in s.name]

    def add(name: Any, at: Anchor, label: str, value: str | None = None,
            value_at: tuple[int, int] | None = None) -> None:
        if isinstance(name, str) and name and "." not in name:
            out.append(Sent(name, "query", label, doc.file, *doc.position(at), value, value_at))

    paging = op.get("pagination")
    if isinstance(paging, Mapping):
        config = {**_PAGING_DEFAULTS.get(str(paging.get("type")), {}), **paging}
        for key in ("page_param", "size_param", "offset_param", "limit_param", "cursor_param"):
            if key not in config:
                continue
            where = ("extract", style, "pagination", key if key in paging else "type")
            value_key, default = _PAGING_VALUES.get(key, (None, None))
            value = paging.get(value_key, default) if value_key else default
            if key == "size_param" and not value:
                continue  # the page size is only sent with a `size:`
            value_at = (doc.position(("extract", style, "pagination", value_key))
                        if value_key is not None and value_key in paging else None)
            add(config[key], where, f"extract.{style}.pagination",
                str(value) if isinstance(value, int) and not isinstance(value, bool) else None, value_at)
    batch = spec.raw.get("batch")
    cursor = batch.get("cursor") if isinstance(batch, Mapping) else None
    if isinstance(cursor, Mapping):
        add(cursor.get("param"), ("batch", "cursor", "param"), "batch.cursor")
    return out


def _auth(project: Project, system: str) -> Mapping[str, Any]:
    spec = project.systems.get(system)
    api = spec.raw.get("api") if spec is not None else None
    auth = api.get("auth") if isinstance(api, Mapping) else None
    return auth if isinstance(auth, Mapping) else {}


def implicit(project: Project, spec: Integration, system: str, role: str,
             op: Mapping[str, Any]) -> tuple[frozenset[str], frozenset[str]]:
    """(header names in lower case, query names) weave sends on this call without the spec listing them."""
    auth = _auth(project, system)
    kind = str(auth.get("type", "none")).replace("_", "-")
    headers = {"accept", "authorization"} if kind != "none" else {"accept"}
    query: set[str] = set()
    if kind == "api-key":
        if auth.get("in") == "query":
            query.add(str(auth.get("param", "api_key")))
        else:
            headers.add(str(auth.get("header", "X-API-Key")).lower())
    if role == "write":
        headers.add("content-type")
        key_header = op.get("idempotency_header", "Idempotency-Key")
        if key_header and spec.raw.get("idempotency_key"):
            headers.add(str(key_header).lower())
    elif role == "read" and op.get("body") is not None:
        headers.add("content-type")
    elif role == "proxy":
        headers |= GATEWAY_FORWARDED
    return frozenset(headers), frozenset(query)


def supplies(sent: Sent | None, auto_headers: frozenset[str], auto_query: frozenset[str], location: str,
             name: str, opaque_cookies: bool = False) -> bool:
    """Whether a call supplies parameter `name` in `location`: the spec sends it, or weave does (a cookie:
    the spec's `Cookie` header names it, or has a part only known at run time)."""
    if sent is not None or location == "path":
        return True
    if location == "cookie":
        return opaque_cookies
    if location == "header":
        return name.lower() in IGNORED_HEADERS or name.lower() in auto_headers
    return name in auto_query


def find_sent(sents: tuple[Sent, ...], location: str, name: str) -> Sent | None:
    fold = location == "header"
    for sent in sents:
        if sent.location == location and (sent.name.lower() == name.lower() if fold else sent.name == name):
            return sent
    return None


def route_query(route: Mapping[str, Any]) -> frozenset[str]:
    """The query parameters a gateway route lets clients pass through to its upstream."""
    names = route.get("query")
    return frozenset(str(n) for n in names) if isinstance(names, list) else frozenset()
