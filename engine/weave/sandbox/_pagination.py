"""The four pagination styles of the simulated list endpoints, chosen with `?style=`.

Every style answers ``{"data": [...], "meta": {...}}`` (``link`` also sets a ``Link`` header):

- ``page``:   ``?page=1&per_page=50``  → meta ``{style, page, per_page, total, total_pages}``
- ``offset``: ``?offset=0&limit=50``   → meta ``{style, offset, limit, total}``
- ``cursor``: ``?cursor=…&limit=50``   → meta ``{style, limit, next}`` (``next`` is null on the last page)
- ``link``:   ``?page=1&per_page=50``  → meta ``{style, page, per_page}``; header
  ``Link: <…page=2…>; rel="next", <…page=N…>; rel="last"`` (no ``next`` on the last page)

Records are ordered by ``(updated_at, id)``; a cursor names the last record returned, so records
created or updated while a client pages through appear after it instead of shifting pages.
"""

from __future__ import annotations

import base64
import bisect
from collections.abc import Sequence
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

from weave.sandbox._http import HttpError, int_param, json_response

STYLES = ("page", "offset", "cursor", "link")
MAX_PAGE = 1000


def sort_key(record: dict[str, Any]) -> tuple[str, str]:
    return (str(record.get("updated_at", "")), str(record.get("id", "")))


def encode_cursor(key: Sequence[Any]) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(list(key))).decode().rstrip("=")


def decode_cursor(cursor: str) -> list[Any]:
    try:
        value = orjson.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, orjson.JSONDecodeError):
        raise HttpError(400, "invalid_cursor", "cursor is not one this service issued") from None
    if not isinstance(value, list):
        raise HttpError(400, "invalid_cursor", "cursor is not one this service issued")
    return value


def style_of(request: Request, default: str) -> str:
    style = request.query_params.get("style", default)
    if style not in STYLES:
        raise HttpError(400, "invalid_parameter", f"style must be one of {list(STYLES)}")
    return style


def link_header(request: Request, links: dict[str, int], size_param: str, size: int) -> str:
    parts = []
    for rel, page in links.items():
        url = request.url.include_query_params(page=page, **{size_param: size})
        parts.append(f'<{url}>; rel="{rel}"')
    return ", ".join(parts)


def paginate(request: Request, records: Sequence[dict[str, Any]], default_style: str = "cursor",
             default_size: int = 50) -> Response:
    """Answer one page of `records` (already filtered and sorted by `sort_key`)."""
    style = style_of(request, default_style)
    total = len(records)
    if style in ("page", "link"):
        per_page = int_param(request, "per_page", default_size, 1, MAX_PAGE)
        page = int_param(request, "page", 1, 1)
        start = (page - 1) * per_page
        data = list(records[start:start + per_page])
        pages = max((total + per_page - 1) // per_page, 1)
        if style == "page":
            meta = {"style": style, "page": page, "per_page": per_page, "total": total, "total_pages": pages}
            return json_response({"data": data, "meta": meta})
        links = {"first": 1, "last": pages}
        if page < pages:
            links["next"] = page + 1
        if page > 1:
            links["prev"] = page - 1
        headers = {"Link": link_header(request, links, "per_page", per_page), "X-Total-Count": str(total)}
        return json_response({"data": data, "meta": {"style": style, "page": page, "per_page": per_page}}, 200,
                             headers)
    limit = int_param(request, "limit", default_size, 1, MAX_PAGE)
    if style == "offset":
        offset = int_param(request, "offset", 0)
        data = list(records[offset:offset + limit])
        return json_response({"data": data, "meta": {"style": style, "offset": offset, "limit": limit,
                                                     "total": total}})
    start = 0
    cursor = request.query_params.get("cursor")
    if cursor:
        after = tuple(str(v) for v in decode_cursor(cursor))
        start = bisect.bisect_right([sort_key(r) for r in records], after)
    data = list(records[start:start + limit])
    next_cursor = encode_cursor(sort_key(data[-1])) if data and start + limit < total else None
    return json_response({"data": data, "meta": {"style": style, "limit": limit, "next": next_cursor}})
