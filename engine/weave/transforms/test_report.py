"""Machine-readable views of a TestReport: versioned JSON and JUnit XML (for CI)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

from weave.transforms.testing import CaseResult, TestReport

JSON_SCHEMA_VERSION = 1


def _case(r: CaseResult) -> dict[str, Any]:
    out: dict[str, Any] = {
        "kind": r.kind, "suite": r.suite, "name": r.name, "file": r.file, "line": r.line,
        "passed": r.passed, "seconds": round(r.seconds, 6),
    }
    if not r.passed:
        out.update(message=r.message, diff=r.diff, expected=r.expected, actual=r.actual)
    return out


def to_json(report: TestReport) -> dict[str, Any]:
    failed = len(report.failed)
    return {
        "schema_version": JSON_SCHEMA_VERSION,
        "ok": report.ok,
        "summary": {"cases": len(report.results), "passed": len(report.results) - failed, "failed": failed,
                    "suites": report.suites, "problems": len(report.problems)},
        "results": [_case(r) for r in report.results],
        "problems": list(report.problems),
    }


def to_junit(report: TestReport) -> str:
    root = ET.Element("testsuites", name="weave test", tests=str(len(report.results)),
                      failures=str(len(report.failed)), errors=str(len(report.problems)))
    suites: dict[tuple[str, str], ET.Element] = {}
    for r in report.results:
        key = (r.kind, r.suite)
        suite = suites.get(key)
        if suite is None:
            suite = ET.SubElement(root, "testsuite", name=f"{r.kind}:{r.suite}", file=r.file)
            suite.set("tests", "0")
            suite.set("failures", "0")
            suites[key] = suite
        suite.set("tests", str(int(suite.get("tests", "0")) + 1))
        case = ET.SubElement(suite, "testcase", classname=f"{r.kind}.{r.suite}", name=r.name, file=r.file,
                             line=str(r.line), time=f"{r.seconds:.6f}")
        if not r.passed:
            suite.set("failures", str(int(suite.get("failures", "0")) + 1))
            failure = ET.SubElement(case, "failure", message=r.message)
            failure.text = r.diff or r.message
    if report.problems:
        suite = ET.SubElement(root, "testsuite", name="problems", tests=str(len(report.problems)),
                              errors=str(len(report.problems)))
        for i, problem in enumerate(report.problems):
            case = ET.SubElement(suite, "testcase", classname="problems", name=f"problem-{i + 1}")
            ET.SubElement(case, "error", message=problem).text = problem
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
