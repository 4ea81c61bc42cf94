"""Pin a position inside an expression string (a JMESPath key, a function call) to the spec file's line and
column, through the YAML scalar style it was written in (plain, quoted, folded `>-` or literal `|`)."""

from __future__ import annotations

from weave.spec.yamlload import Document


def expression_position(doc: Document, path: tuple[str | int, ...], expression: str,
                        offset: int) -> tuple[int, int]:
    """(line, column), 1-based, of `expression[offset]` where `expression` is the scalar at `path`.
    Falls back to the scalar's own position when the source does not line up (escapes, odd folding)."""
    line, col = doc.position(path)
    lines = doc.text.split("\n")
    index = line - doc.line
    if not 0 <= index < len(lines) or not 0 <= offset < max(len(expression), 1):
        return line, col
    src = lines[index]
    start = col - 1
    lead = src[start:start + 1]
    if lead in ('"', "'") and "\n" not in expression:
        if src[start + 1:start + 1 + len(expression)] == expression:
            return line, col + 1 + offset
        return line, col
    if lead in (">", "|"):
        remaining = offset
        base: int | None = None
        for j in range(index + 1, len(lines)):
            if not lines[j].strip():
                continue
            if base is None:
                base = len(lines[j]) - len(lines[j].lstrip())
            content = lines[j][base:]
            if remaining < len(content):
                if content[remaining] == expression[offset]:
                    return doc.line + j, base + remaining + 1
                return line, col
            remaining -= len(content) + 1
        return line, col
    if src[start:start + len(expression)] == expression:
        return line, col + offset
    return line, col
