"""Follow `xs:import`, `xs:include` and `xs:redefine` of a WSDL's schemas: each `schemaLocation` is read
relative to the file that names it, through the same `reader` as the WSDL (working tree or git revision),
each file once (import cycles end there), at most `MAX_FILES` files.

A missing or unreadable file is a `ContractError` at the importing element (file and line). A remote
location (`http://…`) is never fetched: it is listed in `remote`, and a type only it could define is
reported as undefined with that list.
"""

from __future__ import annotations

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
    """One `xs:schema` element, the file it is in, and the line of the WSDL that brought it in."""

    schema: Element
    file: str
    anchor: int


@dataclass
class Schemas:
    sources: list[SchemaSource] = field(default_factory=list)
    remote: list[str] = field(default_factory=list)

    @property
    def files(self) -> list[str]:
        return list(dict.fromkeys(s.file for s in self.sources))


def collect_schemas(path: str, inline: list[Element], reader: Reader) -> Schemas:
    """The WSDL's inline schemas and every schema file they import or include, transitively."""
    found = Schemas([SchemaSource(schema, path, schema.line) for schema in inline])
    seen = {join_relative(path, PurePosixPath(path).name)}
    index = 0
    while index < len(found.sources):
        source = found.sources[index]
        index += 1
        for directive in source.schema.children:
            location = directive.attrs.get("schemaLocation")
            if directive.ns != XSD or directive.local not in _DIRECTIVES or not location:
                continue
            if "://" in location or location.startswith("//"):
                found.remote.append(location)
                continue
            target = join_relative(source.file, location)
            if target in seen:
                continue  # already read: a cycle, or a second import of the same file
            if len(seen) >= MAX_FILES:
                raise ContractError(f"more than {MAX_FILES} schema files are imported", source.file, directive.line)
            seen.add(target)
            schema = _read(target, location, directive, source.file, reader)
            anchor = source.anchor if source.file != path else directive.line
            found.sources.append(SchemaSource(schema, target, anchor))
    return found


def _read(target: str, location: str, directive: Element, importer: str, reader: Reader) -> Element:
    what = f"xs:{directive.local} schemaLocation '{location}'"
    try:
        raw = reader(target)
    except (KeyError, OSError, ContractError):
        raise ContractError(f"{what} names {target}, which does not exist or cannot be read", importer,
                            directive.line) from None
    try:
        root = parse_xml(raw)
    except XmlError as exc:
        raise ContractError(f"{target} (from {what}): {exc}", target, exc.line) from None
    if root.ns != XSD or root.local != "schema":
        raise ContractError(f"{target} (from {what}) is not an XML Schema (expected xs:schema)", target, root.line)
    return root
