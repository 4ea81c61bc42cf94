"""Follow `wsdl:import`: a WSDL document that imports other WSDL documents (messages and port types in one
file, bindings and the service in another) or XML Schema files directly.

Each `location` is read relative to the file that names it, through the contract's `reader`, each file
once (import cycles end at the first visit), at most `MAX_DOCS` documents, with the rules of
`weave.contracts.xsdimport`: never from the network (a remote location is listed in `remote`), never an
absolute path or one outside the project, parsed by `weave.contracts.xmlsafe` (no DTDs, no entities). A
missing file is a `ContractError` at the `wsdl:import` element (file and line), reported as WV701.

An imported document's `anchor` is the line of the main WSDL's `wsdl:import` that brought it in
(transitively), so diffs of what it defines point into the contract file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import PurePosixPath

from weave.contracts.model import ContractError
from weave.contracts.refs import Reader, join_relative
from weave.contracts.xmlsafe import Element
from weave.contracts.xsdimport import XSD, SchemaSource, is_remote, local_target, read_xml, schema_source

WSDL = "http://schemas.xmlsoap.org/wsdl/"
MAX_DOCS = 50


@dataclass(frozen=True)
class WsdlDoc:
    """One `wsdl:definitions` document: the main contract file or one it imports."""

    root: Element
    file: str
    anchor: int

    @property
    def namespace(self) -> str:
        return self.root.attrs.get("targetNamespace", "")


@dataclass
class WsdlSet:
    docs: list[WsdlDoc] = field(default_factory=list)
    schemas: list[SchemaSource] = field(default_factory=list)  # inline schemas, then XSD files imported directly
    remote: list[str] = field(default_factory=list)

    @property
    def files(self) -> set[str]:
        return {d.file for d in self.docs} | {s.file for s in self.schemas}


def collect_wsdl(path: str, root: Element, reader: Reader) -> WsdlSet:
    """The main WSDL and every document it imports, transitively; the inline schemas of all of them."""
    found = WsdlSet([WsdlDoc(root, path, root.line)])
    seen = {path, join_relative(path, PurePosixPath(path).name)}
    direct: list[SchemaSource] = []
    index = 0
    while index < len(found.docs):
        doc = found.docs[index]
        index += 1
        for directive in doc.root.find("import", WSDL):
            location = directive.attrs.get("location")
            if not location:
                continue
            if is_remote(location):
                found.remote.append(location)
                continue
            what = f"wsdl:import location '{location}'"
            target = local_target(doc.file, location, path, what, directive.line)
            if target in seen:
                continue
            if len(seen) >= MAX_DOCS:
                raise ContractError(f"more than {MAX_DOCS} WSDL documents are imported", doc.file, directive.line)
            seen.add(target)
            node = read_xml(target, what, directive, doc.file, reader)
            anchor = directive.line if doc.file == path else doc.anchor
            if node.ns == WSDL and node.local == "definitions":
                found.docs.append(WsdlDoc(node, target, anchor))
            elif node.ns == XSD and node.local == "schema":
                direct.append(schema_source(node, target, anchor, directive.attrs.get("namespace")))
            else:
                raise ContractError(f"{target} (from {what}) is neither a WSDL 1.1 document nor an XML Schema",
                                    target, node.line)
    for doc in found.docs:
        for types in doc.root.find("types", WSDL):
            for schema in types.find("schema", XSD):
                found.schemas.append(schema_source(schema, doc.file, schema.line if doc.file == path else doc.anchor))
    found.schemas += direct
    return found
