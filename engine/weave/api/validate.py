"""`validate()`: offline checks of a spec tree. Never touches the network."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from weave.api.contracts import validate_contracts
from weave.diagnostics import Diagnostic, Severity, has_errors
from weave.ownership.codeowners import check_codeowners
from weave.plan.audit import audit_load
from weave.spec import LoadResult, load_project


@dataclass
class ValidateResult:
    load: LoadResult
    diagnostics: list[Diagnostic] = field(default_factory=list)

    @property
    def files(self) -> list[str]:
        return self.load.project.files

    @property
    def ok(self) -> bool:
        return not has_errors(self.diagnostics)

    @property
    def exit_code(self) -> int:
        return 1 if has_errors(self.diagnostics) else 0

    def count(self, severity: Severity) -> int:
        return sum(1 for d in self.diagnostics if d.severity == severity)


def validate(paths: Iterable[str | Path], *, strict_owners: bool | None = None) -> ValidateResult:
    """Load, schema-check and semantically check the specs, then run the portfolio audit."""
    load = load_project(paths, strict_owners=strict_owners)
    diagnostics = list(load.diagnostics)
    diagnostics.extend(extra_checks(load))
    diagnostics.sort(key=lambda d: d.sort_key())
    return ValidateResult(load=load, diagnostics=diagnostics)


def _check_steps(load: LoadResult) -> list[Diagnostic]:
    from weave.transforms.checks import check_project_steps

    return check_project_steps(load.project)


def extra_checks(load: LoadResult) -> list[Diagnostic]:
    """Checks that live above the spec layer (planner audit, contracts), run on a loadable project."""
    out: list[Diagnostic] = []
    for check in EXTRA_CHECKS:
        out.extend(check(load))
    return out


# Explicit list of validate-time checks from higher layers; each is `(LoadResult) -> list[Diagnostic]`.
EXTRA_CHECKS: list = [_check_steps, audit_load, validate_contracts, check_codeowners]
