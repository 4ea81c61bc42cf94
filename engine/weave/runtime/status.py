"""Health of every integration, in one place: for `weave status`, /status/api and the status page."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

WINDOW_SECONDS = 15 * 60
STATUS_FORMAT = "weave.status/v1"
RUNS_PATTERN = "etl-batch"  # the integrations with a run history (weave.etl records every batch run)


def health_of(row: dict[str, Any]) -> str:
    """ok | degraded | failing | idle — the same rule everywhere."""
    if row["failed"] and not row["delivered"]:
        return "failing"
    if row["error_rate"] > 0.05 or row["dlq_depth"] > 0 or (row.get("lag") or 0) > 1000:
        return "degraded"
    if not row["delivered"] and not row["last_success_at"]:
        return "idle"
    return "ok"


async def integration_rows(state: Any, plan: dict[str, Any], extra: dict[str, dict[str, Any]] | None = None
                           ) -> list[dict[str, Any]]:
    """One row per deployed integration, from the state store (works without a running server)."""
    now = time.time()
    stats = {s.integration: s for s in await state.delivery_stats_all(now - WINDOW_SECONDS)}
    dlq = {s.integration: s for s in await state.dlq_stats()}
    rows = []
    for entry in plan.get("integrations", []):
        name = entry["name"]
        s = stats.get(name)
        d = dlq.get(name)
        row: dict[str, Any] = {
            "name": name,
            "patterns": entry.get("patterns", []),
            "owner": entry.get("owner"),
            "delivered": s.delivered if s else 0,
            "failed": s.failed if s else 0,
            "error_rate": round(s.error_rate, 4) if s else 0.0,
            "last_success_at": s.last_success_at if s else None,
            "dlq_depth": d.depth if d else 0,
            "dlq_oldest_age_s": round(d.oldest_age_s, 1) if d and d.oldest_age_s is not None else None,
            "lag": None,
        }
        row.update((extra or {}).get(name, {}))
        row["health"] = health_of(row)
        rows.append(row)
    return rows


def run_fields(run: Any) -> dict[str, Any]:
    """A run row (`weave.state.RunRecord`) as the status reports it."""
    return {"id": run.id, "kind": run.kind, "status": run.status, "started_at": run.started_at,
            "finished_at": run.finished_at, "counts": run.counts, "error": run.error}


async def last_runs(state: Any, plan: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Each deployed batch integration's newest run, after closing the runs whose worker died.

    The one path of `weave status`, `/status/api` and the status page: `weave.etl.reap_stale_runs` (as `weave runs`
    and the next run of a job do) first, so a killed worker's run shows `abandoned` wherever it is read. Cheap
    enough for every status request, no throttle needed: with nothing stale, the reap is one read of the
    `running` rows (no write, no SQLite write lock), then one index lookup per batch integration.
    """
    from weave.etl import reap_stale_runs

    await reap_stale_runs(state)
    out: dict[str, dict[str, Any]] = {}
    for entry in plan.get("integrations", []):
        if RUNS_PATTERN in entry.get("patterns", []):
            newest = await state.runs(entry["name"], limit=1)
            if newest:
                out[entry["name"]] = run_fields(newest[0])
    return out


async def collect_status(supervisor: Any) -> dict[str, Any]:
    current = supervisor.current
    revision = await supervisor.state.get_revision(current.id) if current else None
    extra: dict[str, dict[str, Any]] = {}
    if current is not None:
        for flow in current.flows:
            status = getattr(flow, "status_fields", None)
            if status is not None:
                extra.setdefault(flow.name, {}).update(await status())
    plan = revision.plan if revision else {}
    rows = await integration_rows(supervisor.state, plan, extra)
    runs = await last_runs(supervisor.state, plan)
    for row in rows:
        if row["name"] in runs:
            row["last_run"] = runs[row["name"]]
    return {"format": STATUS_FORMAT, "revision": current.id if current else 0, "worker": supervisor.worker_id,
            "integrations": rows, "skipped": current.skipped if current else {},
            "topology": _topology(revision)}


def _topology(revision: Any) -> dict[str, Any]:
    """Systems and integration edges, for the status page's picture."""
    if revision is None:
        return {"nodes": [], "edges": []}
    systems: set[str] = set()
    edges = []
    for doc in (revision.specs or {}).get("documents", []):
        if doc.get("kind") == "system":
            systems.add(str(doc["name"]))
    from weave.spec import load_sources

    project = load_sources((revision.specs or {}).get("documents", [])).project
    patterns = {e["name"]: e.get("patterns", []) for e in (revision.plan or {}).get("integrations", [])}
    for integration in project.integrations.values():
        if integration.name not in patterns:
            continue  # in the specs but not deployed (a scoped apply)
        # a subscriber is drawn from its event, a publisher to it: the picture follows the data
        source = f"event:{integration.subscribes_to}" if integration.subscribes_to else integration.source
        systems.add(source)
        targets = integration.targets or ((f"event:{integration.publishes}",) if integration.publishes else ())
        for target in targets:
            systems.add(target)
            edges.append({"integration": integration.name, "source": source, "target": target,
                          "pattern": (patterns.get(integration.name) or ["?"])[0]})
    return {"nodes": sorted(s for s in systems if s), "edges": edges}


async def integration_detail(supervisor: Any, name: str) -> dict[str, Any] | None:
    current = supervisor.current
    if current is None or current.services is None:
        return None
    project = current.services.project
    integration = project.integrations.get(name)
    if integration is None:
        return None
    owner = project.owners.get(integration.owner or "")
    from weave.etl import reap_stale_runs

    await reap_stale_runs(supervisor.state)  # as last_runs: a killed worker's run is shown `abandoned`
    runs = await supervisor.state.runs(name, limit=10)
    dlq = await supervisor.state.dlq_list(name, limit=20)
    patterns = sorted({f.pattern for f in current.flows if f.name == name})
    return {"name": name, "owner": integration.owner, "contacts": owner.contacts if owner else None,
            "patterns": patterns, "description": integration.raw.get("description"),
            "runs": [run_fields(r) for r in runs],
            "skipped": {k: v for k, v in current.skipped.items() if k.split("/")[0] == name},
            "dlq": [{"id": e.id, "target": e.target, "attempts": e.attempts, "error": e.error[:500], "key": e.key,
                     "correlation_id": e.headers.get("correlation_id"), "created_at": e.created_at} for e in dlq]}


def topology_svg(revision: Any) -> str:
    """The planner's topology picture of the deployed integrations (the page colours it by live health)."""
    from weave.plan.graph import build_topology, to_svg
    from weave.plan.planner import Plan, plan_project
    from weave.spec import load_sources

    if revision is None:
        return '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 400 60"><text x="10" y="30">nothing deployed</text></svg>'
    snapshot = revision.specs or {}
    project = load_sources(snapshot.get("documents", []), root=snapshot.get("root"),
                           settings=snapshot.get("settings")).project
    deployed = {e["name"] for e in (revision.plan or {}).get("integrations", [])}
    planned = plan_project(project)
    plan = Plan(integrations=tuple(i for i in planned.integrations if i.name in deployed), limits=planned.limits)
    return to_svg(build_topology(project, plan), plan)


def render_status_page() -> str:
    return (Path(__file__).parent / "status_page.html").read_text()
