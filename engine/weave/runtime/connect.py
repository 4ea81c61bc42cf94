"""Build a system's connector for a running flow (URLs resolved from references, secrets left to the
connector, which resolves them per request)."""

from __future__ import annotations

from typing import Any

from weave.connectors.base import SystemConfig
from weave.connectors.registry import create_connector
from weave.errors import TerminalError
from weave.patterns._steps import library_for
from weave.secrets import resolve
from weave.spec.model import Project


def system_config(project: Project, system: str, template_roots: tuple[str, ...] = ()) -> SystemConfig:
    spec = project.systems.get(system)
    if spec is None:
        raise TerminalError(f"system {system!r} is not declared in the deployed revision")
    raw = dict(spec.raw)
    api = dict(raw.get("api") or {})
    if api.get("base_url"):
        api["base_url"] = resolve(api["base_url"])
    raw["api"] = api
    base_dir: str | None = project.root
    if api.get("style") == "soap":  # envelopes are templates from transforms/ (materialised per revision)
        roots = template_roots or library_for(project).template_roots
        base_dir = roots[0] if roots else project.root
    return SystemConfig.from_spec(system, raw, base_dir=base_dir)


def connector_for_system(project: Project, system: str, services: Any) -> Any:
    return create_connector(system_config(project, system, services.library().template_roots))
