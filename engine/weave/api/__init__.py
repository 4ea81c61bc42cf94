"""Library calls behind every CLI command. They return typed results and never print."""

from weave.api.plan import (
    ExplainResult,
    ImpactResult,
    InventoryResult,
    PlanResult,
    UnknownName,
    explain,
    impact,
    inventory,
    plan,
)
from weave.api.validate import ValidateResult, validate

__all__ = [
    "ExplainResult",
    "ImpactResult",
    "InventoryResult",
    "PlanResult",
    "UnknownName",
    "ValidateResult",
    "explain",
    "impact",
    "inventory",
    "plan",
    "validate",
]
