"""`$ref` resolution for OpenAPI and JSON Schema documents: local refs (`#/components/...`) and relative
files (`schemas.yaml#/Account`, `common.json`), offline only. A URL ref is an error, never fetched.

Every document is read through `reader(path) -> bytes`, so the same code reads the working tree or a git
revision (`weave validate --against-ref`). Recursive schemas are cut at the cycle with `{"x-recursive": ref}`
(read as "anything"), so resolution always ends.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import unquote

from weave.contracts.model import ContractError
from weave.spec.yamlload import Document, load_text

Reader = Callable[[str], bytes]
MAX_DEPTH = 64


def read_document(path: str, reader: Reader) -> Document:
    """Parse one YAML or JSON file (JSON is read by the YAML loader: positions and hostile-input guards)."""
    try:
        raw = reader(path)
    except OSError as exc:
        raise ContractError(f"cannot read {path}: {exc.strerror or exc}", path) from None
    except KeyError:
        raise ContractError(f"{path} does not exist", path) from None
    docs, diags = load_text(raw, path)
    errors = [d for d in diags if d.severity == "error"]
    if errors:
        raise ContractError(errors[0].message, path, errors[0].line)
    if len(docs) != 1 or not isinstance(docs[0].data, dict):
        raise ContractError("a contract file holds exactly one mapping document", path)
    return docs[0]


def pointer(data: Any, fragment: str, file: str) -> Any:
    """RFC 6901 JSON pointer (`/components/schemas/Order`) into `data`."""
    node = data
    if not fragment or fragment == "/":
        return node
    for raw in fragment.lstrip("/").split("/"):
        key = unquote(raw).replace("~1", "/").replace("~0", "~")
        if isinstance(node, Mapping) and key in node:
            node = node[key]
        elif isinstance(node, list) and key.isdigit() and int(key) < len(node):
            node = node[int(key)]
        else:
            raise ContractError(f"$ref '#{fragment}' points at nothing", file)
    return node


class Resolver:
    """Resolves `$ref`s starting from one root document; other files are loaded on first use."""

    def __init__(self, root: str, reader: Reader, document: Document | None = None) -> None:
        self.root = root
        self.reader = reader
        self.documents: dict[str, Document] = {}
        if document is not None:
            self.documents[str(PurePosixPath(root))] = document

    def document(self, path: str) -> Document:
        key = str(PurePosixPath(path))
        if key not in self.documents:
            self.documents[key] = read_document(key, self.reader)
        return self.documents[key]

    def target(self, ref: str, base: str) -> tuple[str, str]:
        if "://" in ref or ref.startswith("//"):
            raise ContractError(f"$ref {ref!r} is remote; weave reads contracts offline only (copy it next to "
                                f"the contract and use a relative path)", base)
        file_part, _, fragment = ref.partition("#")
        file = base if not file_part else _join(base, file_part)
        return file, fragment

    def resolve(self, node: Any, base: str, stack: tuple[str, ...] = ()) -> Any:
        """`node` with every `$ref` inside replaced by its (resolved) target."""
        if len(stack) > MAX_DEPTH:
            raise ContractError("$refs nest deeper than the limit", base)
        if isinstance(node, Mapping):
            ref = node.get("$ref")
            if isinstance(ref, str):
                file, fragment = self.target(ref, base)
                ident = f"{file}#{fragment}"
                if ident in stack:
                    return {"x-recursive": ident}
                target = pointer(self.document(file).data, fragment, file)
                resolved = self.resolve(target, file, (*stack, ident))
                siblings = {k: v for k, v in node.items() if k != "$ref"}
                if siblings and isinstance(resolved, Mapping):  # OpenAPI 3.1: siblings next to $ref apply too
                    return {**resolved, **{k: self.resolve(v, base, stack) for k, v in siblings.items()}}
                return resolved
            return {k: self.resolve(v, base, stack) for k, v in node.items()}
        if isinstance(node, list):
            return [self.resolve(v, base, stack) for v in node]
        return node


def join_relative(base: str, relative: str) -> str:
    """`relative` (a `$ref` file or an XSD schemaLocation) resolved against the file `base` it appears in."""
    return _join(base, relative)


def _join(base: str, relative: str) -> str:
    parts: list[str] = []
    for part in (*PurePosixPath(base).parent.parts, *PurePosixPath(relative).parts):
        if part == "..":
            if parts and parts[-1] not in ("..", "/"):
                parts.pop()
            else:
                parts.append(part)
        elif part != ".":
            parts.append(part)
    return str(PurePosixPath(*parts)) if parts else "."
