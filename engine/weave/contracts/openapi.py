"""OpenAPI 3.x (YAML or JSON) → `Contract`: one operation per path and method, `$ref`s resolved."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from weave.contracts.model import Contract, ContractError, Operation, Param, Schema
from weave.contracts.refs import Reader, Resolver
from weave.spec.yamlload import Document

METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
_JSON_TYPES = ("application/json", "application/*+json", "*/*")


def load_openapi(path: str, reader: Reader, doc: Document | None = None) -> Contract:
    resolver = Resolver(path, reader, doc)
    doc = resolver.document(path)
    data = doc.data
    version = str(data.get("openapi", ""))
    if not version.startswith("3."):
        raise ContractError(f"only OpenAPI 3.x is supported (this file says openapi: {version or '?'})", path,
                            doc.position(("openapi",))[0])
    info = data.get("info") if isinstance(data.get("info"), Mapping) else {}
    operations: dict[str, Operation] = {}
    paths = data.get("paths") if isinstance(data.get("paths"), Mapping) else {}
    for raw_path, item in paths.items():
        if not isinstance(item, Mapping):
            continue
        item = resolver.resolve(item, path) if "$ref" in item else item
        for method in METHODS:
            op = item.get(method)
            if not isinstance(op, Mapping):
                continue
            key = f"{method.upper()} {raw_path}"
            params, declared = _params(item.get("parameters"), op.get("parameters"), resolver, path, doc,
                                       ("paths", raw_path, method))
            operations[key] = Operation(
                key=key,
                name=str(op.get("operationId") or key),
                method=method.upper(),
                path=str(raw_path),
                request=_request(op, resolver, path),
                response=_response(op, resolver, path),
                line=doc.position(("paths", raw_path, method), key=True)[0],
                read_only=method in ("get", "head", "options"),
                query=frozenset(p.name for p in params if p.location == "query") if declared else None,
                params=params,
            )
    return Contract(file=path, format="openapi", version=str(info.get("version")) if info.get("version") else None,
                    operations=operations, title=str(info.get("title")) if info.get("title") else None)


def _params(shared: Any, own: Any, resolver: Resolver, base: str, doc: Document,
            at: tuple[str, ...]) -> tuple[tuple[Param, ...], bool]:
    """The operation's parameters (its own override the path item's of the same name and `in`), and whether
    any are declared at all. A parameter described by `content` instead of `schema` gets its media type's schema
    and `media` (its value is one document of that type, see weave.contracts.paramcontent)."""
    found: dict[tuple[str, str], Param] = {}
    declared = False
    for params, where in ((shared, at[:2]), (own, at)):
        if not isinstance(params, list):
            continue
        for index, raw in enumerate(params):
            param = resolver.resolve(raw, base) if isinstance(raw, Mapping) else None
            if not isinstance(param, Mapping):
                continue
            declared = True
            name, location = param.get("name"), param.get("in")
            if not isinstance(name, str) or location not in ("path", "query", "header", "cookie"):
                continue
            schema: Schema = param["schema"] if isinstance(param.get("schema"), Mapping) else {}
            content = param.get("content")
            media = None
            if not schema and isinstance(content, Mapping) and content:  # one media type (OpenAPI: exactly one)
                media = str(next(iter(content)))
                schema = _media_schema({media: content[media]}, resolver, base) or {}
            key = (name.lower() if location == "header" else name, str(location))
            style = param.get("style") if isinstance(param.get("style"), str) else None
            explode = param.get("explode") if isinstance(param.get("explode"), bool) else None
            found[key] = Param(name, str(location), location == "path" or param.get("required") is True, schema,
                               doc.position((*where, "parameters", index))[0], style, explode, media)
    return tuple(found.values()), declared


def _media_schema(content: Any, resolver: Resolver, base: str) -> Schema | None:
    if not isinstance(content, Mapping) or not content:
        return None
    for media in (*_JSON_TYPES, *content.keys()):
        entry = content.get(media)
        if isinstance(entry, Mapping) and isinstance(entry.get("schema"), Mapping):
            resolved = resolver.resolve(entry["schema"], base)
            return resolved if isinstance(resolved, Mapping) else None
    return None


def _request(op: Mapping[str, Any], resolver: Resolver, base: str) -> Schema | None:
    body = op.get("requestBody")
    if not isinstance(body, Mapping):
        return None
    body = resolver.resolve(body, base)
    return _media_schema(body.get("content"), resolver, base)


def _response(op: Mapping[str, Any], resolver: Resolver, base: str) -> Schema | None:
    responses = op.get("responses")
    if not isinstance(responses, Mapping):
        return None
    for code in sorted(str(c) for c in responses):
        if code.startswith("2") or code == "2XX":
            entry = responses.get(code, responses.get(int(code) if code.isdigit() else code))
            entry = resolver.resolve(entry, base) if isinstance(entry, Mapping) else None
            if isinstance(entry, Mapping):
                return _media_schema(entry.get("content"), resolver, base)
    return None


def load_jsonschema(path: str, reader: Reader, doc: Document | None = None) -> Contract:
    """A JSON Schema file (events, files): one document shape, `$ref`s resolved."""
    resolver = Resolver(path, reader, doc)
    doc = resolver.document(path)
    schema = resolver.resolve(doc.data, path)
    version = schema.get("version") or schema.get("$id")
    return Contract(file=path, format="jsonschema", version=str(version) if version else None, operations={},
                    schema=schema, title=str(schema.get("title")) if schema.get("title") else None)
