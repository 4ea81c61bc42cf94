"""Pagination styles: none, page, offset, cursor, link (RFC 8288 `Link: <…>; rel="next"`).

A paginator turns a resume state into the next request (`request(state) -> (url or None, params)`)
and a response into the next state (`advance(...) -> state or None` when there are no more pages).
States are plain JSON dicts so the runtime can store them as cursors. Table: `PAGINATOR_MAP`.
"""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Mapping
from typing import Any

import jmespath

from weave.errors import TerminalError


def _compile(expr: str | None, what: str) -> Any:
    if expr is None:
        return None
    try:
        return jmespath.compile(expr)
    except jmespath.exceptions.ParseError as exc:
        raise TerminalError(f"pagination `{what}: {expr}` is not a valid JMESPath expression: {exc}") from None


class Paginator:
    def __init__(self, config: Mapping[str, Any]) -> None:
        self.config = config

    def request(self, state: Mapping[str, Any]) -> tuple[str | None, dict[str, Any]]:
        return None, {}

    def advance(
        self, state: Mapping[str, Any], body: Any, records: list[Any], headers: Mapping[str, str], url: str
    ) -> dict[str, Any] | None:
        return None

    def body_cursor(self, state: Mapping[str, Any]) -> tuple[list[str], Any] | None:
        """(dotted path inside the JSON request body, value) when the cursor travels in the body."""
        return None


class NoPagination(Paginator):
    pass


class PagePagination(Paginator):
    """`{type: page, page_param: page, size_param: per_page, size: 100, start: 1, total_pages: meta.pages}`"""

    def __init__(self, config: Mapping[str, Any]) -> None:
        super().__init__(config)
        self.page_param = str(config.get("page_param", "page"))
        self.size_param = config.get("size_param")
        self.size = int(config["size"]) if config.get("size") else None
        self.start = int(config.get("start", 1))
        self.total_pages = _compile(config.get("total_pages"), "total_pages")

    def request(self, state: Mapping[str, Any]) -> tuple[str | None, dict[str, Any]]:
        params: dict[str, Any] = {self.page_param: int(state.get("page", self.start))}
        if self.size_param and self.size:
            params[str(self.size_param)] = self.size
        return None, params

    def advance(self, state, body, records, headers, url):  # type: ignore[no-untyped-def]
        page = int(state.get("page", self.start))
        if not records or (self.size is not None and len(records) < self.size):
            return None
        if self.total_pages is not None:
            total = self.total_pages.search(body)
            if isinstance(total, int) and page - self.start + 1 >= total:
                return None
        return {"page": page + 1}


class OffsetPagination(Paginator):
    """`{type: offset, offset_param: offset, limit_param: limit, limit: 100, total: meta.total}`"""

    def __init__(self, config: Mapping[str, Any]) -> None:
        super().__init__(config)
        self.offset_param = str(config.get("offset_param", "offset"))
        self.limit_param = str(config.get("limit_param", "limit"))
        self.limit = int(config.get("limit", 100))
        self.total = _compile(config.get("total"), "total")

    def request(self, state: Mapping[str, Any]) -> tuple[str | None, dict[str, Any]]:
        return None, {self.offset_param: int(state.get("offset", 0)), self.limit_param: self.limit}

    def advance(self, state, body, records, headers, url):  # type: ignore[no-untyped-def]
        offset = int(state.get("offset", 0)) + len(records)
        if not records or len(records) < self.limit:
            return None
        if self.total is not None:
            total = self.total.search(body)
            if isinstance(total, int) and offset >= total:
                return None
        return {"offset": offset}


class CursorPagination(Paginator):
    """`{type: cursor, cursor_param: cursor, next: meta.next}`; `next` is a JMESPath over the body.
    A next value that is a URL (absolute or starting with `/`) is followed as-is. With `in: body` the
    cursor is set at the dotted `cursor_param` inside the JSON request body (GraphQL: `variables.after`;
    null on the first page)."""

    def __init__(self, config: Mapping[str, Any]) -> None:
        super().__init__(config)
        if not config.get("next"):
            raise TerminalError("cursor pagination needs `next:` (a JMESPath to the next cursor, e.g. meta.next)")
        self.cursor_param = str(config.get("cursor_param", "cursor"))
        self.in_body = config.get("in", "query") == "body"
        self.next = _compile(str(config["next"]), "next")

    def request(self, state: Mapping[str, Any]) -> tuple[str | None, dict[str, Any]]:
        if state.get("url"):
            return str(state["url"]), {}
        if state.get("cursor") is not None and not self.in_body:
            return None, {self.cursor_param: state["cursor"]}
        return None, {}

    def body_cursor(self, state: Mapping[str, Any]) -> tuple[list[str], Any] | None:
        if not self.in_body:
            return None
        return self.cursor_param.split("."), state.get("cursor")

    def advance(self, state, body, records, headers, url):  # type: ignore[no-untyped-def]
        nxt = self.next.search(body)
        if nxt in (None, "", False):
            return None
        if isinstance(nxt, str) and (nxt.startswith(("http://", "https://", "/"))):
            target = urllib.parse.urljoin(url, nxt)
            return None if target == state.get("url") else {"url": target}
        if nxt == state.get("cursor"):
            return None  # a server repeating its cursor would loop forever
        return {"cursor": nxt}


_LINK_RE = re.compile(r"<([^>]*)>\s*((?:;\s*[^;,]+)*)")


def parse_link_header(value: str | None) -> dict[str, str]:
    """rel → URL from an RFC 8288 Link header."""
    links: dict[str, str] = {}
    if not value:
        return links
    for match in _LINK_RE.finditer(value):
        target, params = match.group(1), match.group(2)
        for param in params.split(";"):
            name, _, val = param.strip().partition("=")
            if name.strip().lower() == "rel":
                for rel in val.strip().strip('"').split():
                    links.setdefault(rel.lower(), target)
    return links


class LinkPagination(Paginator):
    """`{type: link}`: follow `Link: <url>; rel="next"` until there is none."""

    def request(self, state: Mapping[str, Any]) -> tuple[str | None, dict[str, Any]]:
        return (str(state["url"]) if state.get("url") else None), {}

    def advance(self, state, body, records, headers, url):  # type: ignore[no-untyped-def]
        nxt = parse_link_header(headers.get("link")).get("next")
        if not nxt:
            return None
        target = urllib.parse.urljoin(url, nxt)
        return None if target in (url, state.get("url")) else {"url": target}


PAGINATOR_MAP: dict[str, type[Paginator]] = {
    "none": NoPagination,
    "page": PagePagination,
    "offset": OffsetPagination,
    "cursor": CursorPagination,
    "link": LinkPagination,
}


def build_paginator(config: Mapping[str, Any] | None) -> Paginator:
    config = config or {"type": "none"}
    kind = str(config.get("type", "none"))
    cls = PAGINATOR_MAP.get(kind)
    if cls is None:
        raise TerminalError(f"unknown pagination type {kind!r}; known types: {', '.join(sorted(PAGINATOR_MAP))}")
    return cls(config)
