"""Connectors and delivery stay below the runtime: no imports of runtime, patterns, cli, api or sandbox."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ENGINE = Path(__file__).resolve().parents[2] / "engine" / "weave"
FORBIDDEN = {
    "connectors": ("weave.runtime", "weave.patterns", "weave.cli", "weave.api", "weave.sandbox", "weave.state"),
    "delivery": ("weave.runtime", "weave.patterns", "weave.cli", "weave.api", "weave.sandbox", "weave.connectors"),
}


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_no_upward_imports(package: str) -> None:
    files = sorted((ENGINE / package).rglob("*.py"))
    assert files
    bad = [
        f"{path.relative_to(ENGINE)} imports {name}"
        for path in files
        for name in imported_modules(path)
        if any(name == f or name.startswith(f + ".") for f in FORBIDDEN[package])
    ]
    assert bad == []


def test_registry_targets_import_lazily() -> None:
    import subprocess
    import sys

    from weave.connectors.registry import TABLE, connector_class

    for style, target in TABLE.items():
        cls = connector_class(style)
        assert f"{cls.__module__}:{cls.__name__}" == target
    # importing the package (as validation does) loads no connector, no HTTP client, no database driver
    code = ("import sys, weave.connectors, weave.connectors.sql; "
            "print(sorted(m for m in ('aiohttp', 'psycopg', 'weave.connectors.http', 'weave.connectors.soap') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "[]"
