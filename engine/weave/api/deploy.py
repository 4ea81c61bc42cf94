"""Deploy as a value: `plan_deploy()` diffs specs against the deployed revision, `apply_deploy()` writes
the plan as a new revision (under a lock, refusing stale plans), `rollback()` restores an old one.

A saved plan (`weave plan --out plan.json`) holds everything apply needs, and is applied exactly as saved.
Revisions hold spec *documents* (secret references only, never values), the planner's choices and
git metadata.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from weave.diagnostics import Diagnostic, has_errors, make
from weave.patterns import Planned, compiler_for
from weave.plan.planner import Plan, plan_project
from weave.spec import LoadResult, load_project, load_sources, snapshot_documents
from weave.state import RevisionMeta

PLAN_FORMAT = "weave.deploy-plan/v1"
SNAPSHOT_FORMAT = "weave.snapshot/v1"
LOCK_NAME = "apply"


@dataclass(frozen=True)
class FieldChange:
    path: str
    old: Any
    new: Any


@dataclass(frozen=True)
class Change:
    action: str  # "+" create, "~" update, "-" delete
    integration: str
    owner: str | None
    patterns_before: tuple[str, ...] = ()
    patterns_after: tuple[str, ...] = ()
    fields: tuple[FieldChange, ...] = ()

    @property
    def architecture_change(self) -> str | None:
        if self.action == "~" and self.patterns_before and self.patterns_before != self.patterns_after:
            return (f"{self.integration}: {' + '.join(self.patterns_before)} → {' + '.join(self.patterns_after)}")
        return None

    def to_dict(self) -> dict[str, Any]:
        return {"action": {"+": "create", "~": "update", "-": "delete"}[self.action], "symbol": self.action,
                "integration": self.integration, "owner": self.owner,
                "patterns_before": list(self.patterns_before), "patterns_after": list(self.patterns_after),
                "architecture_change": self.architecture_change,
                "fields": [{"path": f.path, "old": f.old, "new": f.new} for f in self.fields]}


@dataclass
class DeployPlan:
    base_revision: int
    changes: list[Change]
    specs: dict[str, Any]  # the snapshot to store
    plan: dict[str, Any]  # planner choices to store
    scope: dict[str, Any] = field(default_factory=dict)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    other_changes: list[str] = field(default_factory=list)  # systems/events/... added, changed, removed
    contract_changes: list[Diagnostic] = field(default_factory=list)  # vs the contracts of the applied revision

    @property
    def has_changes(self) -> bool:
        return bool(self.changes or self.other_changes)

    @property
    def ok(self) -> bool:
        return not has_errors(self.diagnostics)

    def to_json(self) -> dict[str, Any]:
        return {"format": PLAN_FORMAT, "base_revision": self.base_revision, "scope": self.scope,
                "changes": [c.to_dict() for c in self.changes], "other_changes": self.other_changes,
                "summary": {a: sum(1 for c in self.changes if c.action == s)
                            for a, s in (("create", "+"), ("update", "~"), ("delete", "-"))},
                "diagnostics": [d.to_dict() for d in self.diagnostics],
                "contract_changes": [d.to_dict() for d in self.contract_changes],
                "specs": self.specs, "plan": self.plan}

    @classmethod
    def from_json(cls, payload: dict[str, Any]) -> DeployPlan:
        if payload.get("format") != PLAN_FORMAT:
            raise ValueError(f"not a weave plan file (format {payload.get('format')!r}, expected {PLAN_FORMAT})")
        changes = [Change(c["symbol"], c["integration"], c.get("owner"), tuple(c["patterns_before"]),
                          tuple(c["patterns_after"]),
                          tuple(FieldChange(f["path"], f["old"], f["new"]) for f in c["fields"]))
                   for c in payload["changes"]]
        return cls(base_revision=int(payload["base_revision"]), changes=changes, specs=payload["specs"],
                   plan=payload["plan"], scope=payload.get("scope", {}),
                   other_changes=list(payload.get("other_changes", [])))


def plan_json(plan: Plan) -> dict[str, Any]:
    return {"integrations": [{"name": p.name, "patterns": list(p.patterns), "owner": p.owner,
                              "framework": list(p.framework_patterns),
                              "override": p.override.pattern if p.override else None}
                             for p in plan.integrations]}


def _flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for k, v in value.items():
            out.update(_flatten(v, f"{prefix}.{k}" if prefix else str(k)))
        return out or {prefix: {}}
    return {prefix: value}


def _field_changes(old: dict[str, Any], new: dict[str, Any]) -> tuple[FieldChange, ...]:
    a, b = _flatten(old), _flatten(new)
    return tuple(FieldChange(k, a.get(k), b.get(k)) for k in sorted(set(a) | set(b)) if a.get(k) != b.get(k))


def _documents_by_key(specs: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(str(d["kind"]), str(d["name"])): d for d in specs.get("documents", []) if d.get("kind") and d.get("name")}


def _in_scope(doc: dict[str, Any], raw: dict[str, Any] | None, only: set[str], owner: str | None) -> bool:
    if doc.get("kind") != "integration":
        return False
    if only and str(doc["name"]) not in only:
        return False
    return not (owner and (raw or {}).get("owner") != owner)


def _runnable_diagnostics(load: LoadResult, plan: Plan, names: Iterable[str]) -> list[Diagnostic]:
    out = []
    for name in names:
        item = plan.get(name)
        integration = load.project.integrations.get(name)
        if item is None or integration is None:
            continue
        for pattern in item.patterns:
            why = getattr(compiler_for(pattern)(integration, Planned(item.patterns), load.project), "not_runnable",
                          None)
            if why:
                loc = integration.key_pos("name")
                out.append(make("WV901", f"integration '{name}' cannot run as {pattern}: {why}", loc.file,
                                loc.line, loc.column, hint="add the runtime blocks this pattern needs, "
                                "or apply with --allow-incomplete to deploy it as documentation only"))
    return out


def plan_deploy(paths: Iterable[str | Path], current: Any, *, only: Iterable[str] = (), owner: str | None = None,
                allow_incomplete: bool = False) -> DeployPlan:
    """Diff the specs under `paths` against `current` (a stored Revision or None)."""
    from weave.api.validate import extra_checks

    load = load_project(paths)
    # apply refuses what `weave validate` refuses: steps, contracts and the audit run here too
    diagnostics = [*load.diagnostics, *extra_checks(load)]
    base_specs: dict[str, Any] = current.specs if current is not None else {"documents": []}
    base_plan = {e["name"]: tuple(e["patterns"]) for e in (current.plan or {}).get("integrations", [])} \
        if current is not None else {}
    base_docs = _documents_by_key(base_specs)
    new_docs = {(d["kind"], d["name"]): d for d in snapshot_documents(load) if d["kind"] and d["name"]}
    new_raw = {("integration", n): i.raw for n, i in load.project.integrations.items()}
    only_set = set(only)
    scoped = bool(only_set or owner)
    unknown = only_set - {n for (k, n) in new_docs if k == "integration"} - {n for (k, n) in base_docs
                                                                              if k == "integration"}
    for name in sorted(unknown):
        diagnostics.append(make("WV902", f"--only names unknown integration '{name}'", "<command line>", 1, 1,
                                hint="see `weave inventory` for the names"))
    # The resulting document set: scoped integrations from the new specs, everything else kept or updated.
    result_docs: dict[tuple[str, str], dict[str, Any]] = {}
    base_load = load_sources(list(base_docs.values())) if base_docs else None
    base_raw = {("integration", n): i.raw for n, i in base_load.project.integrations.items()} if base_load else {}
    for key, doc in base_docs.items():
        if key[0] == "integration" and scoped and not _in_scope(doc, base_raw.get(key), only_set, owner):
            result_docs[key] = doc  # outside the scope: untouched
        elif key[0] != "integration":
            result_docs[key] = doc
    for key, doc in new_docs.items():
        if key[0] == "integration" and scoped and not _in_scope(doc, new_raw.get(key), only_set, owner):
            continue
        result_docs[key] = doc
    if not scoped:  # a full apply mirrors the specs exactly
        result_docs = dict(new_docs)
    result_load = load_sources(list(result_docs.values()), root=load.project.root, settings=load.project.settings)
    planned = plan_project(result_load.project)
    new_plan = plan_json(planned)
    after = {e["name"]: tuple(e["patterns"]) for e in new_plan["integrations"]}
    result_raw = {n: i.raw for n, i in result_load.project.integrations.items()}
    changes: list[Change] = []
    for name in sorted(set(result_raw) | {n for (k, n) in base_docs if k == "integration"}):
        old = base_raw.get(("integration", name))
        new = result_raw.get(name)
        spec_owner = (new or old or {}).get("owner")
        if old is None and new is not None:
            changes.append(Change("+", name, spec_owner, (), after.get(name, ()), _field_changes({}, new)))
        elif new is None and old is not None:
            changes.append(Change("-", name, spec_owner, base_plan.get(name, ()), (), ()))
        elif old is not None and new is not None:
            fields = _field_changes(old, new)
            if fields or base_plan.get(name) != after.get(name):
                changes.append(Change("~", name, spec_owner, base_plan.get(name, ()), after.get(name, ()), fields))
    other = []
    for key in sorted(set(base_docs) | set(result_docs)):
        if key[0] == "integration":
            continue
        before, now = base_docs.get(key), result_docs.get(key)
        if before is None:
            other.append(f"+ {key[0]} {key[1]}")
        elif now is None:
            other.append(f"- {key[0]} {key[1]}")
        elif before["text"] != now["text"]:
            other.append(f"~ {key[0]} {key[1]}")
    if not allow_incomplete:
        touched = [c.integration for c in changes if c.action != "-"]
        diagnostics.extend(_runnable_diagnostics(result_load, planned, touched))
    from weave.api.contracts import contract_assets, contract_changes_since

    contracts = contract_assets(load)
    specs = {"format": SNAPSHOT_FORMAT, "root": load.project.root, "settings": _plain(load.project.settings),
             "documents": sorted(result_docs.values(), key=lambda d: (d["file"], d["line"])),
             "assets": _assets(load), "contracts": contracts}
    contract_diags: list[Diagnostic] = []
    old_contracts = (base_specs.get("contracts") or {}) if current is not None else {}
    if old_contracts and old_contracts != contracts:
        contract_diags = contract_changes_since(load, old_contracts).diagnostics
    return DeployPlan(base_revision=current.id if current is not None else 0, changes=changes, specs=specs,
                      plan=new_plan, scope={"only": sorted(only_set), "owner": owner}, diagnostics=diagnostics,
                      other_changes=other, contract_changes=contract_diags)


def _plain(settings: dict[str, Any]) -> dict[str, Any]:
    return json.loads(json.dumps({k: v for k, v in settings.items() if k != "transforms_loaded"}, default=str))


def _assets(load: LoadResult) -> dict[str, str]:
    """Templates (Jinja files) under the project's transforms/, stored with the revision."""
    root = Path(load.project.root) if load.project.root else None
    out: dict[str, str] = {}
    if root is None or not (root / "transforms").is_dir():
        return out
    for path in sorted((root / "transforms").rglob("*.j2")):
        out[str(path.relative_to(root))] = path.read_text()
    return out


def git_meta(paths: Iterable[str | Path], message: str | None = None) -> RevisionMeta:
    """Commit, author and time from git when available (never fails without git)."""
    first = next(iter(paths), ".")
    cwd = Path(first) if Path(first).is_dir() else Path(first).parent

    def git(*args: str) -> str | None:
        try:
            proc = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, timeout=5)
        except (OSError, subprocess.TimeoutExpired):
            return None
        return proc.stdout.strip() or None if proc.returncode == 0 else None

    commit = git("rev-parse", "HEAD")
    author = git("log", "-1", "--format=%an <%ae>") if commit else None
    return RevisionMeta(git_commit=commit, author=author or os.environ.get("USER"), message=message)


async def apply_deploy(state: Any, deploy: DeployPlan, meta: RevisionMeta, *, holder: str,
                       lock_timeout: float = 0.0) -> int:
    """Write the plan as a new revision under the apply lock; refuse a stale plan."""
    await state.acquire_lock(LOCK_NAME, holder, ttl=300.0, timeout=lock_timeout,
                             info={"holder": holder, "changes": len(deploy.changes)})
    try:
        return int(await state.put_revision(deploy.specs, deploy.plan, meta, expected_base=deploy.base_revision))
    finally:
        await state.release_lock(LOCK_NAME, holder)


async def rollback(state: Any, revision_id: int | None, *, holder: str, lock_timeout: float = 0.0) -> tuple[int, int]:
    """Restore revision `revision_id` (default: the one before the latest) as a new revision."""
    latest = await state.latest_revision_id()
    target_id = revision_id if revision_id is not None else latest - 1
    target = await state.get_revision(target_id) if target_id > 0 else None
    if target is None:
        raise ValueError(f"no revision {target_id} to roll back to (latest is {latest})")
    meta = RevisionMeta(git_commit=target.git_commit, author=os.environ.get("USER"),
                        message=f"rollback to revision {target.id}")
    await state.acquire_lock(LOCK_NAME, holder, ttl=300.0, timeout=lock_timeout, info={"holder": holder})
    try:
        new_id = await state.put_revision(target.specs, target.plan, meta, expected_base=latest)
    finally:
        await state.release_lock(LOCK_NAME, holder)
    return int(new_id), target.id
