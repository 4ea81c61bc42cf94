"""Route matching on the raw request path, path-parameter safety, and `{param}` templates.

Matching splits the *raw* (still percent-encoded) path on "/", so an encoded slash stays inside
one segment; each parameter is then decoded and refused (400) if it could traverse or inject:
".", "..", "/", "\\", control characters (CR, LF, NUL ...) or invalid UTF-8.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, unquote_to_bytes

from weave.gateway.errors import GatewayError, bad_request

_PARAM = re.compile(r"\{([A-Za-z_][A-Za-z0-9_.-]*)\}")
_PLAIN = re.compile(r"[A-Za-z0-9_.~-]+")  # needs no percent-encoding
_UNSAFE = re.compile(r"[\x00-\x1f\x7f/\\]")
MAX_PARAM_LENGTH = 200
_CONTAINERS = (dict, list)
MATCH_CACHE = 4096  # entries in the router's match cache
PARAM_PATTERN = r"^(?!\.{1,2}$)[^/\\\x00-\x1f\x7f]+$"  # the same rule, for the OpenAPI document


def path_params(template: str) -> list[str]:
    return _PARAM.findall(template)


def _decode_param(raw: bytes) -> str:
    try:
        value = (unquote_to_bytes(raw) if b"%" in raw else raw).decode("utf-8")
    except UnicodeDecodeError:
        raise bad_request("a path parameter is not valid UTF-8", code="invalid_path") from None
    if len(value) > MAX_PARAM_LENGTH:
        raise bad_request(f"a path parameter is longer than {MAX_PARAM_LENGTH} characters", code="invalid_path")
    if not value or value in (".", "..") or _UNSAFE.search(value):
        raise bad_request("a path parameter contains a forbidden character or segment", code="invalid_path")
    return value


@dataclass(frozen=True)
class _Compiled:
    route: Any
    segments: tuple[tuple[bool, str, bytes], ...]  # (is_param, param name, literal bytes)


class Router:
    """`match(method, raw_path) -> (route, params)`; 404 for an unknown path, 405 for a known path
    with another method (with an Allow header)."""

    def __init__(self, routes: list[Any]) -> None:
        self.static: dict[tuple[str, bytes], Any] = {}
        self.dynamic: dict[int, list[_Compiled]] = {}
        # successful dynamic matches by (method, raw path): a repeated path skips splitting and decoding
        self._matched: dict[tuple[str, bytes], tuple[Any, dict[str, str]]] = {}
        for route in routes:
            if "{" not in route.path:
                self.static[(route.method, route.path.encode())] = route
                continue
            parts = route.path.strip("/").split("/")
            segments = tuple((True, m.group(1), b"") if (m := _PARAM.fullmatch(p)) else (False, "", p.encode())
                             for p in parts)
            self.dynamic.setdefault(len(segments), []).append(_Compiled(route, segments))

    def _candidates(self, raw_path: bytes) -> list[tuple[Any, dict[str, bytes]]]:
        found: list[tuple[Any, dict[str, bytes]]] = []
        parts = raw_path.strip(b"/").split(b"/")
        for compiled in self.dynamic.get(len(parts), ()):
            params: dict[str, bytes] = {}
            for (is_param, name, literal), raw in zip(compiled.segments, parts, strict=True):
                if is_param:
                    params[name] = raw
                elif raw != literal:
                    break
            else:
                found.append((compiled.route, params))
        return found

    def match(self, method: str, raw_path: bytes) -> tuple[Any, dict[str, str]]:
        """The params dict returned is shared with later matches of the same path: do not mutate it."""
        key = (method, raw_path)
        hit = self._matched.get(key)
        if hit is not None:
            return hit
        route = self.static.get(key)
        if route is not None:
            return route, {}
        candidates = self._candidates(raw_path)
        for route, raw_params in candidates:
            if route.method == method:
                found = route, {k: _decode_param(v) for k, v in raw_params.items()}
                if len(self._matched) >= MATCH_CACHE:  # bounded: a scan of distinct paths only refills it
                    self._matched.clear()
                self._matched[key] = found
                return found
        allowed = sorted({r.method for r in self.static.values() if r.path.encode() == raw_path}
                         | {r.method for r, _ in candidates})
        if allowed:
            raise GatewayError(405, "method_not_allowed", "the route does not accept this method",
                               [(b"allow", ", ".join(allowed).encode())])
        raise GatewayError(404, "not_found", "no such route")


class Template:
    """A string with `{name}` or `{call.field}` holes, rendered from a context mapping."""

    __slots__ = ("parts", "names", "static")

    def __init__(self, text: str) -> None:
        self.parts: list[tuple[bool, str]] = []
        pos = 0
        for m in _PARAM.finditer(text):
            if m.start() > pos:
                self.parts.append((False, text[pos:m.start()]))
            self.parts.append((True, m.group(1)))
            pos = m.end()
        if pos < len(text):
            self.parts.append((False, text[pos:]))
        self.names = [p for is_var, p in self.parts if is_var]
        self.static = not self.names

    @staticmethod
    def lookup(context: Mapping[str, Any], name: str) -> str:
        if name in context:
            value = context[name]
        else:
            head, _, rest = name.partition(".")
            value = context.get(head)
            for key in rest.split(".") if rest else ():
                value = value.get(key) if isinstance(value, Mapping) else None
        if value is None or isinstance(value, _CONTAINERS):
            if name.startswith("claims."):  # the caller lacks an attribute this route is scoped by
                raise GatewayError(403, "forbidden", "the credentials do not carry what this route requires")
            raise GatewayError(502, "upstream_error", "the upstream service failed")
        return str(value).lower() if isinstance(value, bool) else str(value)

    def render(self, context: Mapping[str, Any], encode: bool) -> str:
        if self.static:
            return self.parts[0][1] if self.parts else ""
        out = []
        for is_var, text in self.parts:
            if not is_var:
                out.append(text)
                continue
            value = self.lookup(context, text)
            if encode:
                if not _PLAIN.fullmatch(value):
                    value = quote(value, safe="")
            elif _UNSAFE.search(value.replace("/", "").replace("\\", "")):
                raise bad_request("a value would inject a header", code="invalid_header")
            out.append(value)
        return "".join(out)
