"""`docs_build()`: the static integration catalog for the specs at `paths`. Never prints."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from weave.api.plan import PlanResult, plan
from weave.ownership.catalog.site import SiteResult, build_site


def docs_build(paths: Iterable[str | Path], out: str | Path = "site") -> tuple[SiteResult | None, PlanResult]:
    """(the site, or None when the specs have errors; the plan result with its diagnostics)."""
    result = plan(paths)
    if not result.ok:
        return None, result
    return build_site(result.load.project, result.plan, Path(out)), result
