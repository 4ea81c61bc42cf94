"""`check_live()`: the separate, networked connectivity check (`weave check --live`). Offline `validate`
never calls this.

For every system the chosen integrations involve: resolve its secret references from the environment
(names are reported, never values), build its connector, make one safe read-only probe, and report
reachability, authentication, latency and the contract version. The probe is the connector's `probe()`
(an `api.probe` of the spec, else a read-only GET of the contract without path parameters); a SOAP system
whose contract has a read-only operation without required parameters is probed with that operation, so
its credentials are really exercised.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from weave.errors import WeaveError
from weave.secrets import REF_RE, SecretError, contains_reference, resolve
from weave.spec import LoadResult, load_project
from weave.spec.model import Project, System

NO_ENDPOINT_STYLES = frozenset({"proprietary"})


@dataclass(frozen=True)
class SystemCheck:
    system: str
    style: str
    ok: bool
    reachable: bool | None  # None: not probed
    auth: str  # ok | failed | unverified | none | not-checked
    latency_ms: float | None = None
    status: int | None = None
    probe: str | None = None  # what was called, e.g. "GET /api/accounts?limit=1"
    contract: str | None = None
    contract_version: str | None = None
    declared_version: str | None = None  # the spec's api.version
    missing_secrets: tuple[str, ...] = ()
    message: str = ""

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["missing_secrets"] = list(self.missing_secrets)
        return out


@dataclass(frozen=True)
class IntegrationCheck:
    integration: str
    owner: str | None
    systems: tuple[str, ...]
    ok: bool
    problems: tuple[str, ...] = ()  # "erp: auth failed (401)", one per failing system

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"integration": self.integration, "owner": self.owner, "systems": list(self.systems),
                               "ok": self.ok}
        if self.problems:
            out["problems"] = list(self.problems)
        return out


@dataclass
class LiveReport:
    systems: dict[str, SystemCheck] = field(default_factory=dict)
    integrations: list[IntegrationCheck] = field(default_factory=list)
    error: str | None = None

    @property
    def exit_code(self) -> int:
        """0 everything reachable and authenticated, 1 a problem, 2 bad arguments."""
        if self.error:
            return 2
        return 0 if all(s.ok for s in self.systems.values()) else 1


def _systems_of(project: Project, names: Iterable[str]) -> dict[str, list[str]]:
    """system -> the chosen integrations that involve it (source, targets, hub, gateway upstreams)."""
    out: dict[str, list[str]] = {}
    for name in names:
        spec = project.integrations[name]
        involved = set(spec.systems)
        hub = spec.raw.get("hub")
        if isinstance(hub, str):
            involved.add(hub)
        gateway = spec.raw.get("gateway")
        for route in (gateway.get("routes") or []) if isinstance(gateway, Mapping) else []:
            for up in [route.get("upstream"), *(route.get("compose") or [])] if isinstance(route, Mapping) else []:
                if isinstance(up, Mapping) and isinstance(up.get("system"), str):
                    involved.add(up["system"])
        for system in sorted(s for s in involved if s):
            out.setdefault(system, []).append(name)
    return out


def _missing_secrets(raw: Any) -> list[str]:
    """The references (`${env:NAME}`) that do not resolve; names only, never values."""
    missing: list[str] = []
    if isinstance(raw, Mapping):
        for value in raw.values():
            missing += _missing_secrets(value)
    elif isinstance(raw, list):
        for value in raw:
            missing += _missing_secrets(value)
    elif contains_reference(raw):
        for ref in REF_RE.finditer(raw):
            try:
                resolve(ref.group(0))
            except SecretError:
                missing.append(ref.group(0))
    return missing


def _api(system: System) -> dict[str, Any]:
    api = system.raw.get("api")
    return dict(api) if isinstance(api, Mapping) else {}


def _contract(system: System) -> Any:
    from weave.contracts.loader import load_contract
    from weave.contracts.model import ContractError
    from weave.contracts.resolve import contract_path

    path = contract_path(system)
    if path is None:
        return None, None
    try:
        return path, load_contract(path)
    except ContractError:
        return path, None


def _probe_plan(system: System, contract: Any) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """(extra connector options, a SOAP read-only operation to call instead of probe())."""
    api = _api(system)
    if api.get("probe") or contract is None:
        return None, None
    if contract.format == "openapi":
        path = contract.probe_path()
        if path:
            return {"probe": {"method": "GET", "path": path + ("?limit=1" if "?" not in path else "")}}, None
    if contract.format == "wsdl":
        from weave.contracts.schemas import required

        for op in contract.operations.values():
            if op.read_only and op.request is not None and not required(op.request):
                return None, {"operation": op.name, "namespace": contract.version or "urn:weave", "params": {},
                              **({"path": contract.endpoint} if contract.endpoint else {})}
    return None, None


async def _check_system(project: Project, name: str) -> SystemCheck:
    from weave.connectors.registry import create_connector
    from weave.runtime.connect import system_config

    spec = project.systems.get(name)
    if spec is None:
        return SystemCheck(name, "?", False, None, "not-checked", message="not declared by any spec")
    api = _api(spec)
    path, contract = _contract(spec)
    base = SystemCheck(name, spec.style, True, None, "not-checked", contract=path,
                       contract_version=getattr(contract, "version", None),
                       declared_version=str(api["version"]) if api.get("version") else None)
    if spec.style in NO_ENDPOINT_STYLES or not api.get("base_url"):
        return replace(base, message="no endpoint to probe (no api.base_url)")
    missing = _missing_secrets({"base_url": api.get("base_url"), "auth": api.get("auth")})
    if missing:
        return replace(base, ok=False, auth="not-checked", missing_secrets=tuple(missing),
                       message="not set in the environment: " + ", ".join(missing))
    options, soap_op = _probe_plan(spec, contract)
    try:
        config = system_config(project, name)
    except WeaveError as exc:
        return replace(base, ok=False, message=str(exc))
    if options:
        config = replace(config, options={**config.options, **options})
    has_auth = bool(api.get("auth")) and (api.get("auth") or {}).get("type", "none") != "none"
    connector = create_connector(config)
    try:
        if soap_op is not None:
            return await _soap_probe(base, connector, soap_op, has_auth)
        result = await connector.probe()
    finally:
        await connector.aclose()
    probed = (config.options.get("probe") or {})
    label = f"{str(probed.get('method', 'GET')).upper()} {probed.get('path', '/')}"
    auth = "none" if not has_auth else ("failed" if result.auth_ok is False else
                                        ("ok" if result.ok and result.status and result.status < 400 else "unverified"))
    return replace(base, ok=result.ok and auth != "failed", reachable=result.status is not None,
                   auth=auth, latency_ms=_round(result.latency_ms), status=result.status, probe=label,
                   message=result.message)


async def _soap_probe(base: SystemCheck, connector: Any, op: dict[str, Any], has_auth: bool) -> SystemCheck:
    start = time.perf_counter()
    label = f"SOAP {op['operation']} (read-only)"
    try:
        async for _ in connector.read(op):
            break
    except WeaveError as exc:
        status = getattr(exc, "status", None)
        latency = _round((time.perf_counter() - start) * 1000)
        auth = "failed" if status in (401, 403) else ("unverified" if status is None else "ok")
        return replace(base, ok=False, reachable=status is not None, auth=auth if has_auth else "none",
                       latency_ms=latency, status=status, probe=label, message=str(exc)[:300])
    latency = _round((time.perf_counter() - start) * 1000)
    return replace(base, ok=True, reachable=True, auth="ok" if has_auth else "none", latency_ms=latency,
                   status=200, probe=label, message="reachable")


def _problem(check: SystemCheck) -> str:
    if check.missing_secrets:
        return f"{check.system}: not set: {', '.join(check.missing_secrets)}"
    if check.auth == "failed":
        return f"{check.system}: auth failed ({check.status})"
    if not check.reachable:
        return f"{check.system}: unreachable"
    return f"{check.system}: {check.message[:120] or 'failed'}"


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


async def check_live(paths: Iterable[str | Path], integrations: Iterable[str] = (), *,
                     load: LoadResult | None = None) -> LiveReport:
    """Probe every system the chosen integrations (default: all) involve, concurrently."""
    load = load or load_project(paths)
    project = load.project
    chosen = list(integrations) or sorted(project.integrations)
    unknown = [n for n in chosen if n not in project.integrations]
    if unknown:
        return LiveReport(error=f"unknown integration(s): {', '.join(unknown)}")
    involved = _systems_of(project, chosen)
    results = await asyncio.gather(*(_check_system(project, name) for name in involved))
    report = LiveReport(systems={r.system: r for r in results})
    for name in chosen:
        spec = project.integrations[name]
        systems = tuple(s for s, users in involved.items() if name in users)
        problems = tuple(_problem(report.systems[s]) for s in systems if not report.systems[s].ok)
        report.integrations.append(IntegrationCheck(name, spec.owner, systems, not problems, problems))
    return report
