"""The five integration patterns. Each is one module with the same shape:

    compile(integration, planned, project) -> Flow

The registry is this table (no registration by import side effect); modules are imported lazily.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

from weave.patterns.base import Flow, FlowServices, HttpRequest, HttpResponse, HttpRoute, Planned
from weave.spec.model import Integration, Project

PATTERN_MODULES: dict[str, str] = {
    "point-to-point": "weave.patterns.point_to_point",
    "hub-and-spoke": "weave.patterns.hub_and_spoke",
    "event-driven": "weave.patterns.event_driven",
    "api-gateway": "weave.patterns.api_gateway",
    "etl-batch": "weave.patterns.etl_batch",
}

Compiler = Callable[[Integration, Planned, Project], Flow]


def compiler_for(pattern: str) -> Compiler:
    module = PATTERN_MODULES.get(pattern)
    if module is None:
        raise ValueError(f"unknown pattern {pattern!r}; known: {', '.join(PATTERN_MODULES)}")
    compile_fn: Compiler = importlib.import_module(module).compile
    return compile_fn


__all__ = ["PATTERN_MODULES", "Flow", "FlowServices", "HttpRequest", "HttpResponse", "HttpRoute", "Planned",
           "compiler_for"]
