"""Render diagnostics as json, GitHub annotations or SARIF. (Rich text lives in the CLI layer.)"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from weave import __version__
from weave.codes import CODES
from weave.diagnostics import Diagnostic, Severity

JSON_SCHEMA_VERSION = "weave.diagnostics/v1"


def to_json(diagnostics: list[Diagnostic], files: list[str] | None = None) -> str:
    counts = {s.value: sum(1 for d in diagnostics if d.severity == s) for s in Severity}
    payload: dict[str, Any] = {
        "schema_version": JSON_SCHEMA_VERSION,
        "diagnostics": [d.to_dict() for d in diagnostics],
        "summary": {"files": len(files or []), **counts},
    }
    if files is not None:
        by_file: dict[str, list[str]] = {f: [] for f in files}
        for d in diagnostics:
            by_file.setdefault(d.file, []).append(d.code)
        payload["files"] = [{"file": f, "ok": not any(
            d.file == f and d.severity == Severity.ERROR for d in diagnostics), "codes": codes}
            for f, codes in by_file.items()]
    return json.dumps(payload, indent=2)


def _escape_github(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def to_github(diagnostics: list[Diagnostic], files: list[str] | None = None) -> str:
    lines = []
    for d in diagnostics:
        level = {"error": "error", "warning": "warning"}.get(d.severity.value, "notice")
        message = d.message + (f" ({d.hint})" if d.hint else "")
        lines.append(f"::{level} file={d.file},line={d.line},col={d.column},title={d.code} {d.name}::"
                     f"{_escape_github(message)}")
    return "\n".join(lines)


def to_sarif(diagnostics: list[Diagnostic], files: list[str] | None = None) -> str:
    used = sorted({d.code for d in diagnostics})
    rules = [
        {"id": code, "name": CODES[code].name, "shortDescription": {"text": CODES[code].summary},
         "defaultConfiguration": {"level": {"info": "note"}.get(CODES[code].severity, CODES[code].severity)}}
        for code in used if code in CODES
    ]
    results = [
        {
            "ruleId": d.code,
            "level": {"info": "note"}.get(d.severity.value, d.severity.value),
            "message": {"text": d.message + (f" Hint: {d.hint}" if d.hint else "")},
            "locations": [{"physicalLocation": {"artifactLocation": {"uri": d.file},
                                                "region": {"startLine": d.line, "startColumn": d.column}}}],
        }
        for d in diagnostics
    ]
    sarif = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{"tool": {"driver": {"name": "weave", "version": __version__, "rules": rules}},
                  "results": results}],
    }
    return json.dumps(sarif, indent=2)


FORMATS: dict[str, Callable[[list[Diagnostic], list[str] | None], str]] = {
    "json": to_json,
    "github": to_github,
    "sarif": to_sarif,
}


def render_diagnostics(fmt: str, diagnostics: list[Diagnostic], files: list[str] | None = None) -> str:
    return FORMATS[fmt](diagnostics, files)
