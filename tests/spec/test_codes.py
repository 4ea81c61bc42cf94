"""One test per diagnostic code: each fixture file names the code and the exact line:column expected."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from weave.api import validate
from weave.codes import CODES
from weave.diagnostics import Severity
from weave.spec.yamlload import MAX_FILE_BYTES, load_text

CASES = Path(__file__).parent / "cases"
EXPECT_RE = re.compile(r"^# expect: (?P<code>WV\d{3})(?: (?P<line>\d+):(?P<col>\d+))?$")


def _cases() -> list[Path]:
    return sorted(CASES.glob("WV*.yaml"))


@pytest.mark.parametrize("case", _cases(), ids=lambda p: p.stem)
def test_fixture_reports_code_at_position(case: Path) -> None:
    match = EXPECT_RE.match(case.read_text().splitlines()[0])
    assert match, f"{case.name} lacks an '# expect: CODE LINE:COL' header"
    result = validate([case])
    found = [(d.code, d.line, d.column) for d in result.diagnostics]
    code = match["code"]
    assert code == case.stem
    assert (code, int(match["line"]), int(match["col"])) in found, found
    diag = next(d for d in result.diagnostics if d.code == code)
    assert diag.file.endswith(case.name)
    assert diag.hint, "every diagnostic carries a hint"
    assert diag.severity == Severity(CODES[code].severity) or code in {"WV308"}


def test_large_file_refused_without_parsing() -> None:
    docs, diags = load_text(b"a: b\n" * (MAX_FILE_BYTES // 5 + 10), "big.yaml")
    assert docs == [] and [(d.code, d.line, d.column) for d in diags] == [("WV102", 1, 1)]


def test_binary_file_refused() -> None:
    docs, diags = load_text(b"kind: system\nname: \x00\x01\x02", "bin.yaml")
    assert docs == [] and [(d.code, d.line, d.column) for d in diags] == [("WV103", 2, 7)]


def test_invalid_utf8_refused() -> None:
    docs, diags = load_text(b"kind: system\nname: \xff\xfe", "latin.yaml")
    assert [(d.code, d.line, d.column) for d in diags] == [("WV103", 2, 7)]


def test_deep_flow_nesting_refused_fast() -> None:
    docs, diags = load_text(b"a: " + b"[" * 100_000 + b"]" * 100_000, "deep.yaml")
    assert docs == [] and diags[0].code == "WV105" and diags[0].line == 1


def test_deep_block_nesting_refused() -> None:
    text = "".join("  " * i + f"k{i}:\n" for i in range(80)) + "  " * 80 + "x: 1\n"
    docs, diags = load_text(text.encode(), "deepblock.yaml")
    assert docs == [] and diags[0].code == "WV105"


def test_no_specs_found(tmp_path: Path) -> None:
    result = validate([tmp_path])
    assert [d.code for d in result.diagnostics] == ["WV112"]
    assert result.exit_code == 1


def test_every_registered_code_has_a_test() -> None:
    fixture_codes = {p.stem for p in _cases()}
    generated = {"WV102", "WV103", "WV105", "WV112"}
    pending = {"WV307"}  # covered in test_checks.py (needs a transforms/ library)
    assert set(CODES) - fixture_codes - generated - pending - {c for c in CODES if c >= "WV500"} == set()


def test_all_errors_collected_not_only_the_first() -> None:
    result = validate([CASES / "WV201.yaml", CASES / "WV204.yaml", CASES / "WV203.yaml"])
    assert {"WV201", "WV204", "WV203"} <= {d.code for d in result.diagnostics}
