"""Fixtures for planner tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from ._util import SpecTree


@pytest.fixture
def tree(tmp_path: Path) -> SpecTree:
    return SpecTree(tmp_path)
