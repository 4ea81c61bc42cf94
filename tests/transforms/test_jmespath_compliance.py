"""The official JMESPath compliance suite, read from ../shared/jmespath-compliance (not copied)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jmespath as reference
import pytest
from jmespath import exceptions as jexc

from weave.transforms import jmespath as wj

SUITE = Path(__file__).resolve().parents[2].parent / "shared" / "jmespath-compliance"

# compliance error names -> the exception the reference raises for them
ERROR_TYPES: dict[str, tuple[type[BaseException], ...]] = {
    "syntax": (jexc.ParseError, jexc.EmptyExpressionError),
    "invalid-type": (jexc.JMESPathTypeError,),
    "invalid-value": (ValueError,),
    "invalid-arity": (jexc.ArityError,),
    "unknown-function": (jexc.UnknownFunctionError,),
}


def _cases(include_bench_file: bool) -> list[tuple[str, Any, dict[str, Any]]]:
    out = []
    for path in sorted(SUITE.glob("*.json")):
        if (path.name == "benchmarks.json") != include_bench_file:
            continue
        for gi, group in enumerate(json.loads(path.read_text())):
            for ci, case in enumerate(group["cases"]):
                if "result" in case or "error" in case:
                    out.append((f"{path.stem}-{gi}-{ci}", group["given"], case))
    return out


MAIN = _cases(False)
BENCH = _cases(True)


def test_suite_is_complete() -> None:
    assert SUITE.is_dir(), SUITE
    assert len(MAIN) == 892
    assert sum("result" in c for _, _, c in MAIN) == 742
    assert sum("error" in c for _, _, c in MAIN) == 150
    assert len(MAIN) + len(BENCH) == 902


def _run(given: Any, case: dict[str, Any]) -> None:
    expression = case["expression"]
    if "result" in case:
        got = wj.compile(expression).search(given)
        assert got == case["result"], (expression, got)
        assert json.dumps(got, sort_keys=True) == json.dumps(case["result"], sort_keys=True)
        return
    kinds = ERROR_TYPES[case["error"]]
    with pytest.raises(kinds) as info:
        wj.compile(expression).search(given)
    # identical to the reference: same exception class and the same leading message
    with pytest.raises(BaseException) as ref_info:
        reference.compile(expression).search(given)
    assert isinstance(info.value, type(ref_info.value)), (type(info.value), type(ref_info.value))
    assert str(info.value).startswith(str(ref_info.value))


@pytest.mark.parametrize(("given", "case"), [(g, c) for _, g, c in MAIN], ids=[i for i, _, _ in MAIN])
def test_compliance(given: Any, case: dict[str, Any]) -> None:
    _run(given, case)


@pytest.mark.parametrize(("given", "case"), [(g, c) for _, g, c in BENCH], ids=[i for i, _, _ in BENCH])
def test_compliance_benchmarks_file(given: Any, case: dict[str, Any]) -> None:
    _run(given, case)


def test_every_case_checked_in_one_pass() -> None:
    """All 892 cases in one loop, counted, so the count cannot drift from what actually ran."""
    passed = 0
    for _, given, case in MAIN:
        _run(given, case)
        passed += 1
    assert passed == 892
