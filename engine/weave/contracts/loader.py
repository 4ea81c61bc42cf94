"""Load a system's contract file by its format (OpenAPI, WSDL, JSON Schema), with a per-process cache keyed
by the file's identity (path, size, mtime), so `weave validate` reads each contract once."""

from __future__ import annotations

from pathlib import Path

from weave.contracts.model import Contract, ContractError
from weave.contracts.openapi import load_jsonschema, load_openapi
from weave.contracts.refs import Reader, read_document
from weave.contracts.wsdl import load_wsdl

_CACHE: dict[tuple[str, int, int], Contract] = {}


def file_reader(path: str) -> bytes:
    return Path(path).read_bytes()


def _is_xml(path: str) -> bool:
    return path.lower().endswith((".wsdl", ".xml"))


def load_contract(path: str, reader: Reader | None = None) -> Contract:
    """Parse a contract. Raises `ContractError` (with file and line) for anything unreadable."""
    if reader is None:
        try:
            stat = Path(path).stat()
        except OSError as exc:
            raise ContractError(f"contract file {path} cannot be read: {exc.strerror}", path) from None
        key = (str(Path(path).resolve()), stat.st_size, stat.st_mtime_ns)
        if key in _CACHE:
            return _CACHE[key]
        contract = _load(path, file_reader)
        _CACHE[key] = contract
        return contract
    return _load(path, reader)


def _load(path: str, reader: Reader) -> Contract:
    if _is_xml(path):
        return load_wsdl(path, reader)
    doc = read_document(path, reader)  # parsed once, handed to the format's loader
    if "openapi" in doc.data:
        return load_openapi(path, reader, doc)
    if "swagger" in doc.data:
        raise ContractError("Swagger 2.0 is not supported; convert it to OpenAPI 3", path)
    return load_jsonschema(path, reader, doc)
