"""A small, safe XML reader: a tree of elements with line numbers, DTDs and entities refused.

The standard library's expat is used directly (like defusedxml's `forbid_dtd`): any DOCTYPE, entity
declaration or external reference is an error, so no entity expansion and no network access can happen.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from xml.parsers import expat

MAX_BYTES = 5 * 1024 * 1024
MAX_DEPTH = 200


class XmlError(Exception):
    def __init__(self, message: str, line: int = 1) -> None:
        super().__init__(message)
        self.line = line


@dataclass
class Element:
    ns: str
    local: str
    attrs: dict[str, str]
    line: int
    nsmap: dict[str, str]  # prefixes in scope ("" = default namespace)
    children: list[Element] = field(default_factory=list)
    text: str = ""

    def find(self, local: str, ns: str | None = None) -> list[Element]:
        return [c for c in self.children if c.local == local and (ns is None or c.ns == ns)]

    def iter(self, local: str | None = None, ns: str | None = None) -> list[Element]:
        out: list[Element] = []
        stack = [self]
        while stack:
            node = stack.pop()
            if (local is None or node.local == local) and (ns is None or node.ns == ns):
                out.append(node)
            stack.extend(reversed(node.children))
        return out

    def qname(self, value: str) -> tuple[str, str]:
        """(namespace, local) of a QName attribute value such as `tns:Customer`."""
        prefix, _, local = value.rpartition(":")
        return self.nsmap.get(prefix, ""), local


def parse_xml(data: bytes | str) -> Element:
    raw = data.encode() if isinstance(data, str) else data
    if len(raw) > MAX_BYTES:
        raise XmlError(f"the document is {len(raw)} bytes; the limit is {MAX_BYTES}")
    parser = expat.ParserCreate(namespace_separator=" ")
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    stack: list[Element] = []
    root: list[Element] = []
    pending_ns: dict[str, str] = {}

    def refuse(*_: object) -> None:
        raise XmlError("DTDs and entity declarations are not allowed", parser.CurrentLineNumber)

    def ns_start(prefix: str | None, uri: str | None) -> None:
        pending_ns[prefix or ""] = uri or ""

    def start(name: str, attrs: dict[str, str]) -> None:
        if len(stack) >= MAX_DEPTH:
            raise XmlError(f"elements nest deeper than {MAX_DEPTH}", parser.CurrentLineNumber)
        ns, _, local = name.rpartition(" ")
        nsmap = {**(stack[-1].nsmap if stack else {}), **pending_ns}
        pending_ns.clear()
        plain = {k.rpartition(" ")[2]: v for k, v in attrs.items()}
        element = Element(ns, local, plain, parser.CurrentLineNumber, nsmap)
        if stack:
            stack[-1].children.append(element)
        else:
            root.append(element)
        stack.append(element)

    def end(_: str) -> None:
        stack.pop()

    def text(value: str) -> None:
        if stack:
            stack[-1].text += value

    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    parser.UnparsedEntityDeclHandler = refuse
    parser.ExternalEntityRefHandler = refuse  # type: ignore[assignment]
    parser.StartNamespaceDeclHandler = ns_start
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = text
    try:
        parser.Parse(raw, True)
    except expat.ExpatError as exc:
        raise XmlError(f"not well-formed XML: {expat.ErrorString(exc.code)}", exc.lineno) from None
    if not root:
        raise XmlError("the document has no root element")
    return root[0]
