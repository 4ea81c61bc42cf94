"""Library calls for change safety: usage, contract checks, contract diffs and `--against-ref` impact.

    validate_contracts(load)                       -> list[Diagnostic]   (EXTRA_CHECKS hook of validate)
    usage(paths, "customer-master-sync")           -> UsageResult
    contract_diff("old.wsdl", "new.wsdl", specs=["specs"])  -> DiffResult
    against_ref(load, "origin/main")               -> RefResult (diagnostics + per-system changes)

Everything here is offline; `weave.api.check` is the live connectivity check.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from weave.diagnostics import Diagnostic, make
from weave.spec import LoadResult, load_project

if TYPE_CHECKING:
    from weave.api.validate import ValidateResult
    from weave.contracts.diff import Change
    from weave.contracts.impact import Affected
    from weave.contracts.usage import Usage


def _declares_contract(load: LoadResult) -> bool:
    for system in load.project.systems.values():
        api = system.raw.get("api")
        if isinstance(api, dict) and isinstance(api.get("contract"), str):
            return True
    return False


def _reads_events(load: LoadResult) -> bool:
    """Some integration reads (subscribes to) or writes (publishes) a cataloged event."""
    project = load.project
    return any((spec.subscribes_to in project.events and (spec.raw.get("steps") or spec.raw.get("deliver")))
               or spec.publishes in project.events for spec in project.integrations.values())


def validate_contracts(load: LoadResult) -> list[Diagnostic]:
    """Contract checks (WV701–WV706); free when no system declares a contract and no integration reads
    cataloged events."""
    if not _declares_contract(load) and not _reads_events(load):
        return []
    from weave.contracts.checks import contract_checks

    return contract_checks(load)


@dataclass
class UsageResult:
    load: LoadResult
    usage: Usage | None
    error: str | None = None

    @property
    def exit_code(self) -> int:
        return 0 if self.usage is not None else 1


def usage(paths: Iterable[str | Path], integration: str) -> UsageResult:
    from weave.contracts.usage import integration_usage

    load = load_project(paths)
    spec = load.project.integrations.get(integration)
    if spec is None:
        import difflib

        close = difflib.get_close_matches(integration, list(load.project.integrations), n=1)
        hint = f"; did you mean '{close[0]}'?" if close else ""
        return UsageResult(load, None, f"no integration named '{integration}'{hint}")
    return UsageResult(load, integration_usage(load.project, spec))


@dataclass(frozen=True)
class SystemChange:
    """The changes of one contract and what they break."""

    system: str | None
    contract: str
    old_version: str | None
    new_version: str | None
    changes: tuple[Change, ...]
    affected: tuple[Affected, ...]

    @property
    def breaking(self) -> list[Change]:
        return [c for c in self.changes if c.breaking]

    def summary_line(self, ref: str) -> str:
        """One line for people: what changed and whom it breaks (owners included)."""
        who = sorted({f"{a.integration} ({a.owner or 'no owner'})" for a in self.affected})
        versions = f" {self.old_version} → {self.new_version}" if self.old_version != self.new_version else ""
        head = (f"contract of {self.system or self.contract} vs {ref}{versions}: {len(self.breaking)} breaking, "
                f"{len(self.changes) - len(self.breaking)} non-breaking change(s)")
        return head + (f"; breaks {len(who)} integration(s): {', '.join(who)}" if who else "; breaks no integration")

    def to_dict(self) -> dict[str, Any]:
        return {"system": self.system, "contract": self.contract, "old_version": self.old_version,
                "new_version": self.new_version,
                "changes": [{**c.to_dict(), "affected": [a.to_dict() for a in self.affected if a.change == c]}
                            for c in self.changes]}


@dataclass
class DiffResult:
    systems: list[SystemChange] = field(default_factory=list)
    error: str | None = None

    @property
    def exit_code(self) -> int:
        """0 no breaking change, 1 breaking changes, 2 unreadable input."""
        if self.error:
            return 2
        return 1 if any(s.breaking for s in self.systems) else 0


def contract_diff(old: str, new: str, *, specs: Iterable[str | Path] = (), system: str | None = None) -> DiffResult:
    """Compare two contract files (`old` may be `REF:path`, read from git); with `specs`, list the
    integrations each breaking change affects (for the system whose `api.contract` is `new` or `old`, or the
    one named by `system`)."""
    from weave.contracts.diff import diff_contracts
    from weave.contracts.gitref import GitRefError, git_reader
    from weave.contracts.impact import contract_impact
    from weave.contracts.loader import load_contract
    from weave.contracts.model import ContractError
    from weave.contracts.resolve import contract_path
    from weave.contracts.usage import project_usage

    try:
        if not Path(old).exists() and ":" in old:  # REF:path, read with `git show` (its $refs too)
            ref, _, old = old.partition(":")
            before = load_contract(old, git_reader(ref, old if Path(old).exists() else "."))
        else:
            before = load_contract(old)
        after = load_contract(new)
    except GitRefError as exc:
        return DiffResult(error=str(exc))
    except ContractError as exc:
        return DiffResult(error=f"{exc.file}:{exc.line}: {exc}")
    changes = diff_contracts(before, after)
    affected: list[Affected] = []
    spec_paths = list(specs)
    if spec_paths:
        load = load_project(spec_paths)
        if system is None:
            targets = {str(Path(new).resolve()), str(Path(old).resolve())}
            system = next((name for name, s in load.project.systems.items()
                           if contract_path(s) and str(Path(contract_path(s) or "").resolve()) in targets), None)
        if system is not None:
            affected = contract_impact(load.project, system, changes, before, project_usage(load.project))
    return DiffResult([SystemChange(system, new, before.version, after.version, tuple(changes), tuple(affected))])


@dataclass
class RefResult:
    diagnostics: list[Diagnostic] = field(default_factory=list)
    systems: list[SystemChange] = field(default_factory=list)


def against_ref(load: LoadResult, ref: str) -> RefResult:
    """Compare every declared contract with its version at git revision `ref` (read with `git show`, offline).
    Breaking changes become WV707 errors at the spec position of each use, with the integration's owner;
    changes that break nothing are WV708 infos at the contract file."""
    from weave.contracts.gitref import git_reader

    return _compare(load, ref, lambda path, near: git_reader(ref, near))


def contract_assets(load: LoadResult) -> dict[str, str]:
    """The contract files of the project's systems, and every file their `$ref`s read, by path relative to
    the project root. Store them with a deployed revision; `contract_changes_since(load, assets)` later
    tells what a plan's contract changes break (for `weave plan`)."""
    from weave.contracts.loader import file_reader, load_contract
    from weave.contracts.model import ContractError
    from weave.contracts.resolve import contract_path

    root = Path(load.project.root or ".").resolve()
    out: dict[str, str] = {}

    def recording(path: str) -> bytes:
        data = file_reader(path)
        out[_relative(path, root)] = data.decode("utf-8", errors="replace")
        return data

    for system in load.project.systems.values():
        path = contract_path(system)
        if path is not None:
            try:
                load_contract(path, recording)
            except ContractError:
                continue
    return out


def contract_changes_since(load: LoadResult, assets: dict[str, str], label: str = "the applied revision") -> RefResult:
    """Like `against_ref`, with the old contracts taken from `assets` (see `contract_assets`)."""
    root = Path(load.project.root or ".").resolve()

    def reader(path: str) -> bytes:
        return assets[_relative(path, root)].encode()  # KeyError: not in that revision

    return _compare(load, label, lambda path, near: reader)


def _relative(path: str, root: Path) -> str:
    import os

    return Path(os.path.relpath(Path(path).resolve(), root)).as_posix()


def _compare(load: LoadResult, ref: str, make_reader: Any) -> RefResult:
    if not _declares_contract(load):
        return RefResult()
    from weave.contracts.diff import diff_contracts
    from weave.contracts.gitref import GitRefError
    from weave.contracts.impact import contract_impact
    from weave.contracts.loader import load_contract
    from weave.contracts.model import ContractError
    from weave.contracts.resolve import contract_path
    from weave.contracts.usage import project_usage

    result = RefResult()
    project = load.project
    usages: dict[str, Usage] | None = None
    for name, system in sorted(project.systems.items()):
        path = contract_path(system)
        if path is None:
            continue
        line, col = system.doc.position(("api", "contract"))
        try:
            reader = make_reader(path, path if Path(path).exists() else system.doc.file)
            old = load_contract(path, reader)
            new = load_contract(path)
        except GitRefError as exc:
            result.diagnostics.append(make("WV709", f"cannot compare the contract of '{name}' with {ref}: {exc}",
                                           system.doc.file, line, col, system=name, ref=ref))
            continue
        except ContractError as exc:
            if "does not exist" in str(exc) and exc.file == path:
                continue  # a contract new in this change: nothing to break
            result.diagnostics.append(make("WV709", f"the contract of '{name}' at {ref} cannot be read: {exc}",
                                           system.doc.file, line, col, system=name, ref=ref))
            continue
        changes = diff_contracts(old, new)
        if not changes:
            continue
        if usages is None:
            usages = project_usage(project)
        affected = contract_impact(project, name, changes, old, usages)
        result.systems.append(SystemChange(name, path, old.version, new.version, tuple(changes), tuple(affected)))
        result.diagnostics += _ref_diagnostics(name, path, ref, changes, affected)
    return result


def _ref_diagnostics(system: str, path: str, ref: str, changes: Iterable[Change],
                     affected: list[Affected]) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    for hit in affected:
        owner = hit.owner or "no owner"
        used = f"'{hit.field}' used by {hit.step}" if hit.field else f"called by {hit.where}"
        out.append(make("WV707", f"{system} contract change (vs {ref}) breaks {hit.integration} (owner {owner}): "
                        f"{hit.change.summary}; {used}", hit.file, hit.line, hit.column,
                        hint="adapt the integration in the same change, or keep the old contract until it is",
                        integration=hit.integration, owner=hit.owner, contacts=dict(hit.contacts), system=system,
                        change=hit.change.to_dict(), field=hit.field, step=hit.step, ref=ref))
    hit_changes = {id(a.change) for a in affected}
    for change in changes:
        if id(change) in hit_changes:
            continue
        label = "breaking change, used by no integration" if change.breaking else "non-breaking change"
        out.append(make("WV708", f"{system} contract (vs {ref}): {label}: {change.summary}", path, change.line, 1,
                        system=system, change=change.to_dict(), ref=ref))
    return out


def with_ref_check(result: ValidateResult, ref: str) -> tuple[ValidateResult, list[SystemChange]]:
    """A validate result with the `--against-ref REF` diagnostics added (same files, re-sorted), and the
    changed contracts."""
    from weave.api.validate import ValidateResult

    found = against_ref(result.load, ref)
    diagnostics = sorted([*result.diagnostics, *found.diagnostics], key=lambda d: d.sort_key())
    return ValidateResult(load=result.load, diagnostics=diagnostics), found.systems
