"""From a loaded spec project (`weave.spec.load_project`) to a `GatewayConfig`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from weave.gateway.adapter import gateway_config_from_specs
from weave.gateway.config import GatewayConfig


def gateway_integrations(project: Any) -> list[Mapping[str, Any]]:
    """The integrations that expose routes: a `gateway:` block (the api-gateway pattern's runtime block)."""
    return [spec.raw for _, spec in sorted(project.integrations.items()) if spec.raw.get("gateway")]


def config_from_project(project: Any, settings: Mapping[str, Any] | None = None) -> GatewayConfig:
    systems = {name: spec.raw for name, spec in project.systems.items()}
    consumers = [spec.raw for _, spec in sorted(project.consumers.items())]
    merged = dict((getattr(project, "settings", None) or {}).get("gateway") or {})
    merged.update(settings or {})
    return gateway_config_from_specs(gateway_integrations(project), consumers, systems, merged)
