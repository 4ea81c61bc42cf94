"""WSDL 1.1 (document/literal) → `Contract`: operations of the port types, with the XSD element types of
their input and output messages converted to JSON Schema (see `weave.contracts.model`).

XSD support: global and local elements, named and anonymous complex types (sequence, all, choice,
complexContent extension and restriction), named model groups (`xs:group ref`, optional when the reference is) and attribute
groups (`xs:attributeGroup ref`), simple types with enumerations, minOccurs/maxOccurs, attributes (as `@name`,
the way the SOAP connector's XML → dict conversion names them). `xs:import`/`xs:include`/`xs:redefine`
of schema files are followed (weave.contracts.xsdimport), and so is `wsdl:import` of other WSDL documents
(weave.contracts.wsdlimport); what an imported file defines has the `x-line` of the main WSDL's import that
brought it in, so diffs point into the contract file.

Names are qualified: a type, element or message is found by (namespace, local name), the namespace read
through the referring element's prefixes, so two schemas may define the same local name in different target
namespaces. Only an unqualified reference in no namespace (no prefix, no default namespace — or the WSDL
namespace as the default) falls back to the referring schema's own target namespace, then to the one
definition of that local name.
"""

from __future__ import annotations

from typing import Any

from weave.contracts.model import Contract, ContractError, Operation, Schema
from weave.contracts.refs import Reader
from weave.contracts.wsdlimport import WSDL, WsdlDoc, collect_wsdl
from weave.contracts.xmlsafe import Element, XmlError, parse_xml
from weave.contracts.xsdimport import XSD, Schemas, collect_schemas

MAX_TYPE_DEPTH = 32
QName = tuple[str, str]


def find_qualified(table: dict[QName, Element], name: QName, home: str) -> Element | None:
    """`table[name]`; for a reference in no namespace, the `home` namespace's, then the only such local name.
    A reference in the WSDL namespace itself (`<definitions xmlns="…/wsdl/">` with `message="PutIn"`) can name
    nothing there, so it is read as one in no namespace."""
    hit = table.get(name)
    if hit is not None or (name[0] and name[0] != WSDL):
        return hit
    hit = table.get((home, name[1]))
    if hit is not None:
        return hit
    same = [node for (_, local), node in table.items() if local == name[1]]
    return same[0] if len(same) == 1 else None


class _Types:
    def __init__(self, schemas: Schemas, main: str) -> None:
        self.elements: dict[QName, Element] = {}
        self.complex: dict[QName, Element] = {}
        self.simple: dict[QName, Element] = {}
        self.groups: dict[QName, Element] = {}  # xs:group (named model groups)
        self.attribute_groups: dict[QName, Element] = {}
        self.remote = schemas.remote
        self.lines: dict[int, int] = {}  # id(element of an imported file) -> the WSDL line that imported it
        self.files: dict[int, str] = {}  # id(element of an imported file) -> that file
        self.homes: dict[int, str] = {}  # id(schema element) -> its schema's target namespace
        for source in schemas.sources:
            schema = source.schema
            for node in schema.iter():
                self.homes[id(node)] = source.namespace
                if source.file != main:
                    self.lines[id(node)] = source.anchor
                    self.files[id(node)] = source.file
            for child in schema.children:
                if child.ns != XSD or "name" not in child.attrs:
                    continue
                table = {"element": self.elements, "complexType": self.complex, "simpleType": self.simple,
                         "group": self.groups, "attributeGroup": self.attribute_groups}.get(child.local)
                if table is not None:
                    table.setdefault((source.namespace, child.attrs["name"]), child)

    def find(self, table: dict[QName, Element], node: Element, qname: str, home: str | None = None) -> Element | None:
        return find_qualified(table, node.qname(qname), self.homes.get(id(node), "") if home is None else home)

    def element(self, node: Element, depth: int = 0) -> Schema:
        if "ref" in node.attrs:
            target = self.find(self.elements, node, node.attrs["ref"])
            return self.element(target, depth + 1) if target is not None and depth < MAX_TYPE_DEPTH else {}
        if "type" in node.attrs:
            return self.named_type(node, node.attrs["type"], depth)
        inline = node.find("complexType", XSD) or node.find("simpleType", XSD)
        if inline:
            return self.complex_type(inline[0], depth) if inline[0].local == "complexType" else self.simple_type(inline[0])
        return {"type": "string", "x-xsd": "anyType"}

    def named_type(self, node: Element, qname: str, depth: int) -> Schema:
        ns, local = node.qname(qname)
        if ns == XSD:
            return {"type": "string", "x-xsd": local}
        if depth >= MAX_TYPE_DEPTH:
            return {"x-recursive": local}
        found = self.find(self.complex, node, qname)
        if found is not None:
            return {**self.complex_type(found, depth + 1), "x-type": local}
        found = self.find(self.simple, node, qname)
        if found is not None:
            return self.simple_type(found)
        remote = f" (remote schemaLocations are not read: {', '.join(self.remote)})" if self.remote else ""
        elsewhere = sorted({n for n, name in (*self.complex, *self.simple) if name == local and n != ns})
        other = f"; '{local}' is defined in namespace {', '.join(elsewhere)} only" if ns and elsewhere else ""
        raise ContractError(f"type {qname!r} (namespace {ns or 'none'}) is not defined in the WSDL's schemas or the "
                            f"files they import{other}{remote}", self.files.get(id(node), ""), node.line)

    def simple_type(self, node: Element) -> Schema:
        restriction = node.find("restriction", XSD)
        base = restriction[0].qname(restriction[0].attrs.get("base", "xs:string"))[1] if restriction else "string"
        out: dict[str, Any] = {"type": "string", "x-xsd": base}
        values = [e.attrs.get("value", "") for e in restriction[0].find("enumeration", XSD)] if restriction else []
        if values:
            out["enum"] = values
        return out

    def complex_type(self, node: Element, depth: int) -> Schema:
        props: dict[str, Any] = {}
        required: list[str] = []
        open_content = False
        for ext in node.iter("extension", XSD):
            base = ext.attrs.get("base")
            if base:
                inherited = self.named_type(ext, base, depth + 1)
                props.update(inherited.get("properties", {}))
                required.extend(inherited.get("required", []))
        for group in node.children:
            if group.local in ("sequence", "all", "choice") and group.ns == XSD:
                open_content |= self._particles(group, props, required, depth, group.local == "choice")
            elif group.local == "complexContent":
                for derived in group.children:
                    if derived.ns != XSD or derived.local not in ("extension", "restriction"):
                        continue
                    if derived.local == "restriction" and derived.attrs.get("base"):
                        # a restriction restates the content (its particles below) and keeps the base's attributes
                        parent = self.named_type(derived, derived.attrs["base"], depth + 1)
                        for name, schema in parent.get("properties", {}).items():
                            if name.startswith("@"):
                                props.setdefault(name, schema)
                        required.extend(n for n in parent.get("required", []) if n.startswith("@"))
                    open_content |= self._particles(derived, props, required, depth, False)
        self._attributes(node, props, required, depth)
        out: dict[str, Any] = {"type": "object", "properties": props, "additionalProperties": open_content}
        if required:
            out["required"] = sorted(set(required), key=required.index)
        return out

    def _attributes(self, node: Element, props: dict[str, Any], required: list[str], depth: int) -> None:
        """The attributes of a complex type, those of the attribute groups it references included."""
        for attr in node.iter("attribute", XSD):
            if "name" in attr.attrs:
                props["@" + attr.attrs["name"]] = self.named_type(attr, attr.attrs.get("type", "xs:string"), depth)
                if attr.attrs.get("use") == "required":
                    required.append("@" + attr.attrs["name"])
        for ref in node.iter("attributeGroup", XSD):
            target = self.find(self.attribute_groups, ref, ref.attrs["ref"]) if "ref" in ref.attrs else None
            if target is not None and depth < MAX_TYPE_DEPTH:
                self._attributes(target, props, required, depth + 1)

    def _particles(self, group: Element, props: dict[str, Any], required: list[str], depth: int,
                   choice: bool) -> bool:
        open_content = False
        for item in group.children:
            if item.ns != XSD:
                continue
            if item.local == "any":
                open_content = True
            elif item.local in ("sequence", "choice", "all"):
                open_content |= self._particles(item, props, required, depth, choice or item.local == "choice")
            elif item.local == "group" and "ref" in item.attrs:  # a named model group: its particles, in place
                target = self.find(self.groups, item, item.attrs["ref"])
                optional = choice or item.attrs.get("minOccurs", "1") == "0"
                for inner in (target.children if target is not None and depth < MAX_TYPE_DEPTH else []):
                    if inner.ns == XSD and inner.local in ("sequence", "choice", "all"):
                        open_content |= self._particles(inner, props, required, depth + 1,
                                                        optional or inner.local == "choice")
            elif item.local == "element":
                name = item.attrs.get("name") or item.qname(item.attrs.get("ref", ""))[1]
                schema = self.element(item, depth + 1)
                many = item.attrs.get("maxOccurs", "1") not in ("0", "1")
                line = self.lines.get(id(item), item.line)
                schema = {**schema, "x-line": line}
                props[name] = {"type": "array", "items": schema, "x-line": line} if many else schema
                if not choice and item.attrs.get("minOccurs", "1") != "0":
                    required.append(name)
        return open_content


def load_wsdl(path: str, reader: Reader) -> Contract:
    try:
        raw = reader(path)
    except KeyError:
        raise ContractError(f"{path} does not exist", path) from None
    except OSError as exc:
        raise ContractError(f"cannot read {path}: {exc.strerror or exc}", path) from None
    try:
        root = parse_xml(raw)
    except XmlError as exc:
        raise ContractError(str(exc), path, exc.line) from None
    if root.ns != WSDL or root.local != "definitions":
        raise ContractError("not a WSDL 1.1 document (expected wsdl:definitions)", path, root.line)
    wsdl = collect_wsdl(path, root, reader)
    schemas = collect_schemas(path, wsdl.schemas, reader, wsdl.files)
    schemas.remote[:0] = wsdl.remote
    types = _Types(schemas, path)
    messages: dict[QName, Element] = {}  # message -> the element of its (first) part
    for doc in wsdl.docs:
        for message in doc.root.find("message", WSDL):
            parts = message.find("part", WSDL)
            element = parts[0].attrs.get("element") if parts else None
            found = types.find(types.elements, parts[0], element, doc.namespace) if parts and element else None
            if found is not None:
                messages.setdefault((doc.namespace, message.attrs.get("name", "")), found)
    operations: dict[str, Operation] = {}
    for doc in wsdl.docs:
        try:
            operations.update(_operations(doc, path, messages, types))
        except ContractError as exc:
            raise ContractError(str(exc), exc.file or doc.file, exc.line) from None
    from urllib.parse import urlsplit

    addresses = [a.attrs["location"] for d in wsdl.docs for a in d.root.iter("address") if a.attrs.get("location")]
    return Contract(file=path, format="wsdl", version=root.attrs.get("targetNamespace"), operations=operations,
                    title=root.attrs.get("name"), endpoint=urlsplit(addresses[0]).path or None if addresses else None)


def _operations(doc: WsdlDoc, main: str, messages: dict[QName, Element],
                types: _Types) -> dict[str, Operation]:
    operations: dict[str, Operation] = {}
    for port_type in doc.root.find("portType", WSDL):
        for op in port_type.find("operation", WSDL):
            name = op.attrs.get("name", "")
            request = _message_schema(op, "input", messages, types, doc.namespace)
            response = _message_schema(op, "output", messages, types, doc.namespace, wrap=True)
            operations[name] = Operation(key=name, name=name, request=request, response=response,
                                         line=op.line if doc.file == main else doc.anchor,
                                         read_only=name.startswith(("Get", "List", "Find", "Search")))
    return operations


def _message_schema(op: Element, which: str, messages: dict[QName, Element], types: _Types, home: str,
                    wrap: bool = False) -> Schema | None:
    ref = op.find(which, WSDL)
    if not ref:
        return None
    element = find_qualified(messages, ref[0].qname(ref[0].attrs.get("message", "")), home)
    if element is None:
        return None
    schema = types.element(element)
    if wrap:  # responses are read from the Body: {OpResponse: {...}}
        name = element.attrs.get("name", "")
        return {"type": "object", "properties": {name: schema}, "required": [name], "additionalProperties": False}
    return schema
