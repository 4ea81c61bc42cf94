"""Load a system's contract file by its format (OpenAPI, WSDL, JSON Schema), with a per-process cache that
holds until any file the contract was read from (itself or a `$ref`'d file) changes size or mtime."""

from __future__ import annotations

from pathlib import Path

from weave.contracts.model import Contract, ContractError
from weave.contracts.openapi import load_jsonschema, load_openapi
from weave.contracts.refs import Reader, read_document
from weave.contracts.wsdl import load_wsdl

_CACHE: dict[str, tuple[Contract, tuple[tuple[str, int, int], ...]]] = {}


def file_reader(path: str) -> bytes:
    return Path(path).read_bytes()


def _identity(path: str) -> tuple[str, int, int]:
    stat = Path(path).stat()
    return (path, stat.st_size, stat.st_mtime_ns)


def _is_xml(path: str) -> bool:
    return path.lower().endswith((".wsdl", ".xml"))


def load_contract(path: str, reader: Reader | None = None) -> Contract:
    """Parse a contract. Raises `ContractError` (with file and line) for anything unreadable.

    Without a `reader` the working tree is read and the result cached until any file it read (the
    contract or a `$ref`'d file) changes size or modification time."""
    if reader is not None:
        return _load(path, reader)
    key = str(Path(path).resolve())
    hit = _CACHE.get(key)
    if hit is not None:
        try:
            if all(_identity(ident[0]) == ident for ident in hit[1]):
                return hit[0]
        except OSError:
            pass
    read: list[tuple[str, int, int]] = []

    def recording(name: str) -> bytes:
        try:
            read.append(_identity(name))
        except OSError as exc:
            raise ContractError(f"contract file {name} cannot be read: {exc.strerror}", name) from None
        return file_reader(name)

    contract = _load(path, recording)
    _CACHE[key] = (contract, tuple(read))
    return contract


def _load(path: str, reader: Reader) -> Contract:
    if _is_xml(path):
        return load_wsdl(path, reader)
    doc = read_document(path, reader)  # parsed once, handed to the format's loader
    if "openapi" in doc.data:
        return load_openapi(path, reader, doc)
    if "swagger" in doc.data:
        raise ContractError("Swagger 2.0 is not supported; convert it to OpenAPI 3", path)
    return load_jsonschema(path, reader, doc)
