"""Library calls behind every CLI command. They return typed results and never print."""

from weave.api.plan import (
    ExplainResult,
    GraphResult,
    ImpactResult,
    InventoryResult,
    PlanResult,
    UnknownName,
    explain,
    graph,
    impact,
    inventory,
    plan,
)
from weave.api.validate import ValidateResult, validate

__all__ = [
    "ExplainResult",
    "GraphResult",
    "ImpactResult",
    "InventoryResult",
    "PlanResult",
    "UnknownName",
    "ValidateResult",
    "explain",
    "graph",
    "impact",
    "inventory",
    "plan",
    "validate",
]
