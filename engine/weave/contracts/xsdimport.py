"""Follow `xs:import`, `xs:include` and `xs:redefine` of a WSDL's schemas: each `schemaLocation` is read
relative to the file that names it, through the same `reader` as the WSDL (working tree or git revision),
each file once (import cycles end there), at most `MAX_FILES` files.

A missing or unreadable file is a `ContractError` at the importing element (file and line). A remote
location (`http://…`) is never fetched: it is listed in `remote`, and a type only it could define is
reported as undefined with that list. An absolute location, or one that climbs out of the project (the
working directory, or the main contract's directory when it lies outside), is refused the same way.

Each schema keeps its effective target namespace: its own `targetNamespace`, or — for an included or
redefined schema without one (a "chameleon" include) — the including schema's.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from weave.contracts.model import ContractError
from weave.contracts.refs import Reader, join_relative
from weave.contracts.xmlsafe import Element, XmlError, parse_xml

XSD = "http://www.w3.org/2001/XMLSchema"
MAX_FILES = 200
_DIRECTIVES = ("import", "include", "redefine")


@dataclass(frozen=True)
class SchemaSource:
    """One `xs:schema` element, the file it is in, the line of the main WSDL that brought it in, and its
    effective target namespace."""

    schema: Element
    file: str
    anchor: int
    namespace: str = ""


@dataclass
class Schemas:
    sources: list[SchemaSource] = field(default_factory=list)
    remote: list[str] = field(default_factory=list)

    @property
    def files(self) -> list[str]:
        return list(dict.fromkeys(s.file for s in self.sources))


def is_remote(location: str) -> bool:
    """A network location (never fetched). `file:` URLs are not remote: they are refused as absolute."""
    return ("://" in location or location.startswith("//")) and not location.lower().startswith("file:")


def local_target(importer: str, location: str, main: str, what: str, line: int) -> str:
    """The file `location` names, relative to `importer`; refused when absolute or outside the project."""
    if location.startswith(("/", "\\")) or location.lower().startswith("file:") or (
            len(location) > 1 and location[1] == ":"):
        raise ContractError(f"{what} is an absolute location; weave reads imports relative to the importing "
                            "file only", importer, line)
    target = join_relative(importer, location)
    if not _inside(target, main):
        raise ContractError(f"{what} names {target}, which is outside the project", importer, line)
    return target


_PROJECT_MARKERS = ("weave.toml", ".git")


def project_root(main: str) -> str:
    """Where a contract's imports may reach: the working directory when the contract lies inside it, else
    the nearest directory above the contract holding `weave.toml` or `.git` (validate run from elsewhere),
    else the contract's own directory."""
    cwd = os.getcwd()
    main_abs = os.path.normpath(os.path.join(cwd, main))
    if main_abs.startswith(cwd.rstrip(os.sep) + os.sep):
        return cwd
    folder = os.path.dirname(main_abs)
    while True:
        if any(os.path.exists(os.path.join(folder, marker)) for marker in _PROJECT_MARKERS):
            return folder
        parent = os.path.dirname(folder)
        if parent == folder:
            return os.path.dirname(main_abs)
        folder = parent


def _inside(target: str, main: str) -> bool:
    root = project_root(main)
    full = os.path.normpath(os.path.join(os.getcwd(), target))
    return full == root or full.startswith(root.rstrip(os.sep) + os.sep)


def schema_source(schema: Element, file: str, anchor: int, namespace: str | None = None) -> SchemaSource:
    own = schema.attrs.get("targetNamespace")
    return SchemaSource(schema, file, anchor, own if own is not None else namespace or "")


def collect_schemas(path: str, inline: list[SchemaSource], reader: Reader, read: set[str] | None = None) -> Schemas:
    """The WSDL's inline schemas (and schema files `wsdl:import`ed) and every schema file they import or
    include, transitively. `read`: files already read (the WSDL documents), never read again."""
    found = Schemas(list(inline))
    seen = set(read or ()) | {join_relative(path, PurePosixPath(path).name)}
    seen |= {s.file for s in inline if s.file != path}
    index = 0
    while index < len(found.sources):
        source = found.sources[index]
        index += 1
        for directive in source.schema.children:
            location = directive.attrs.get("schemaLocation")
            if directive.ns != XSD or directive.local not in _DIRECTIVES or not location:
                continue
            if is_remote(location):
                found.remote.append(location)
                continue
            what = f"xs:{directive.local} schemaLocation '{location}'"
            target = local_target(source.file, location, path, what, directive.line)
            if target in seen:
                continue  # already read: a cycle, or a second import of the same file
            if len(seen) >= MAX_FILES:
                raise ContractError(f"more than {MAX_FILES} schema files are imported", source.file, directive.line)
            seen.add(target)
            schema = read_xml(target, what, directive, source.file, reader)
            if schema.ns != XSD or schema.local != "schema":
                raise ContractError(f"{target} (from {what}) is not an XML Schema (expected xs:schema)", target,
                                    schema.line)
            anchor = source.anchor if source.file != path else directive.line
            chameleon = source.namespace if directive.local != "import" else None
            found.sources.append(schema_source(schema, target, anchor, chameleon))
    return found


def read_xml(target: str, what: str, directive: Element, importer: str, reader: Reader) -> Element:
    """The root element of the file an import directive names (a `ContractError` at the directive if it is
    missing, at the file's own line if it is not well-formed XML)."""
    try:
        raw = reader(target)
    except (KeyError, OSError, ContractError):
        raise ContractError(f"{what} names {target}, which does not exist or cannot be read", importer,
                            directive.line) from None
    try:
        return parse_xml(raw)
    except XmlError as exc:
        raise ContractError(f"{target} (from {what}): {exc}", target, exc.line) from None
