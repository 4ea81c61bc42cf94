"""OpenAPI 3.x (YAML or JSON) → `Contract`: one operation per path and method, `$ref`s resolved."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from weave.contracts.model import Contract, ContractError, Operation, Schema
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
            operations[key] = Operation(
                key=key,
                name=str(op.get("operationId") or key),
                method=method.upper(),
                path=str(raw_path),
                request=_request(op, resolver, path),
                response=_response(op, resolver, path),
                line=doc.position(("paths", raw_path, method), key=True)[0],
                read_only=method in ("get", "head", "options"),
                query=_query(item.get("parameters"), op.get("parameters"), resolver, path),
            )
    return Contract(file=path, format="openapi", version=str(info.get("version")) if info.get("version") else None,
                    operations=operations, title=str(info.get("title")) if info.get("title") else None)


def _query(shared: Any, own: Any, resolver: Resolver, base: str) -> frozenset[str] | None:
    names: set[str] = set()
    declared = False
    for params in (shared, own):
        if not isinstance(params, list):
            continue
        for param in params:
            param = resolver.resolve(param, base) if isinstance(param, Mapping) else None
            if isinstance(param, Mapping):
                declared = True
                if param.get("in") == "query" and isinstance(param.get("name"), str):
                    names.add(param["name"])
    return frozenset(names) if declared else None


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
