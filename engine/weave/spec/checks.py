"""Semantic checks across specs: duplicates, references, owners, overrides, secrets, expressions.

Each check is a function `(project, ctx) -> list[Diagnostic]` listed in CHECKS, the same shape for all.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import jmespath
import jmespath.exceptions

from weave.diagnostics import Diagnostic, make
from weave.secrets import ANY_REF_RE, FULL_REF_RE, REF_RE
from weave.spec.model import Integration, Project, Spec

SECRET_KEYS = frozenset({"password", "token", "secret", "client_secret", "api_key", "private_key",
                         "webhook_secret", "pagerduty_routing_key", "key"})
# `key` is a secret only inside auth blocks; elsewhere (event key, ordering) it is an expression.
SECRET_KEYS_ANYWHERE = SECRET_KEYS - {"key"}
JMESPATH_FIELDS = ("idempotency_key", "ordering_key")


@dataclass
class CheckContext:
    strict_owners: bool = False
    seen_duplicates: list[tuple[str, Spec]] = field(default_factory=list)


def _close(word: str, options: list[str]) -> str | None:
    match = difflib.get_close_matches(word, options, n=1, cutoff=0.6)
    return match[0] if match else None


def check_duplicates(project: Project, ctx: CheckContext) -> list[Diagnostic]:
    out = []
    for kind, spec in ctx.seen_duplicates:
        first = project.table_for(kind)[spec.name]
        loc = spec.key_pos("name")
        out.append(make("WV301", f"{kind} '{spec.name}' is declared twice (first at {first.loc})", loc.file,
                        loc.line, loc.column, hint="rename one of them; names are unique per kind"))
    return out


def _system_ref(project: Project, spec: Integration, field_name: str, name: str, *path: str | int) -> list[Diagnostic]:
    if name in project.systems:
        return []
    loc = spec.pos(*path)
    suggestion = _close(name, list(project.systems))
    hint = (f"did you mean '{suggestion}'?" if suggestion else
            f"declare it with a `kind: system` spec named '{name}'")
    return [make("WV302", f"integration '{spec.name}' names unknown system '{name}' in `{field_name}`", loc.file,
                 loc.line, loc.column, hint=hint)]


def check_references(project: Project, ctx: CheckContext) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    for spec in project.integrations.values():
        raw = spec.raw
        if raw.get("source"):
            out += _system_ref(project, spec, "source", spec.source, "source")
        if isinstance(raw.get("targets"), list):
            for i, target in enumerate(raw["targets"]):
                out += _system_ref(project, spec, "targets", str(target), "targets", i)
        elif raw.get("target"):
            out += _system_ref(project, spec, "target", str(raw["target"]), "target")
        if raw.get("target") is not None and raw.get("targets") is not None:
            loc = spec.key_pos("targets")
            out.append(make("WV306", f"integration '{spec.name}' has both `target` and `targets`", loc.file,
                            loc.line, loc.column, hint="keep `targets: [...]` and remove `target:`"))
        if spec.source and spec.source in spec.targets:
            loc = spec.pos("source")
            out.append(make("WV309", f"integration '{spec.name}' has '{spec.source}' as both source and target",
                            loc.file, loc.line, loc.column, hint="an integration connects two different systems"))
        for i, entry in enumerate(raw.get("deliver") or []):
            target = entry.get("target") if isinstance(entry, dict) else None
            if target and spec.targets and target not in spec.targets:
                loc = spec.pos("deliver", i, "target")
                out.append(make("WV311", f"deliver entry names '{target}', which is not a target of '{spec.name}'",
                                loc.file, loc.line, loc.column,
                                hint=f"targets are: {', '.join(spec.targets)}"))
        out += _event_refs(project, spec)
    for event in project.events.values():
        publisher = event.publisher
        if publisher and project.systems and publisher not in project.systems:
            loc = event.pos("publisher")
            out.append(make("WV302", f"event '{event.name}' names unknown publisher system '{publisher}'",
                            loc.file, loc.line, loc.column, hint=f"declare a `kind: system` named '{publisher}'"))
    return out


def _event_refs(project: Project, spec: Integration) -> list[Diagnostic]:
    out = []
    for path, name in (
        (("trigger", "event"), spec.subscribes_to),
        (("publish", "event"), spec.publishes),
    ):
        if name and name not in project.events:
            loc = spec.pos(*path)
            suggestion = _close(name, list(project.events))
            out.append(make("WV303", f"integration '{spec.name}' names unknown event '{name}'", loc.file, loc.line,
                            loc.column, hint=f"did you mean '{suggestion}'?" if suggestion else
                            f"add a `kind: event` spec named '{name}' to the catalog"))
    for i, step in enumerate(spec.raw.get("steps") or []):
        if isinstance(step, dict) and isinstance(step.get("validate"), dict):
            name = step["validate"].get("event")
            if name and name not in project.events:
                loc = spec.pos("steps", i, "validate", "event")
                out.append(make("WV303", f"step {i + 1} validates against unknown event '{name}'", loc.file,
                                loc.line, loc.column, hint="add the event to the catalog"))
    return out


def check_owners(project: Project, ctx: CheckContext) -> list[Diagnostic]:
    out = []
    for spec in [*project.integrations.values(), *project.systems.values()]:
        if spec.owner is None:
            loc = spec.key_pos("name")
            out.append(make("WV304", f"{spec.kind} '{spec.name}' has no owner", loc.file, loc.line, loc.column,
                            hint="add `owner: <team>`: an integration nobody owns will fail and stay failed"))
        elif spec.owner not in project.owners:
            loc = spec.pos("owner")
            severity = "error" if ctx.strict_owners else None
            out.append(make("WV308", f"owner '{spec.owner}' of {spec.kind} '{spec.name}' has no `kind: owner` spec",
                            loc.file, loc.line, loc.column,
                            hint="declare it with contacts so alerts can reach it",
                            **({"severity": severity} if severity else {})))  # type: ignore[arg-type]
    return out


def check_overrides(project: Project, ctx: CheckContext) -> list[Diagnostic]:
    out = []
    for spec in project.integrations.values():
        if spec.pattern_override and not spec.pattern_reason:
            loc = spec.pos("pattern")
            out.append(make("WV305", f"integration '{spec.name}' overrides the pattern without `pattern_reason`",
                            loc.file, loc.line, loc.column,
                            hint="add `pattern_reason: \"...\"` explaining why the framework's choice is wrong here"))
    return out


def _walk(value: Any, path: tuple[str | int, ...] = ()) -> Iterator[tuple[tuple[str | int, ...], Any]]:
    yield path, value
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _walk(v, (*path, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _walk(v, (*path, i))


def check_secrets(project: Project, ctx: CheckContext) -> list[Diagnostic]:
    """Literal secrets are refused wherever a secret-named field appears; references must be well-formed."""
    out = []
    for spec in project.all_specs():
        for path, value in _walk(spec.raw):
            if not isinstance(value, str) or not path:
                continue
            last = path[-1]
            in_auth = "auth" in path
            if isinstance(last, str) and (last in SECRET_KEYS_ANYWHERE or (in_auth and last in SECRET_KEYS)):
                if not FULL_REF_RE.match(value.strip()) and value.strip():
                    # the schema already reports the fields it types as secretRef: avoid a double report
                    if _schema_typed_secret(spec, path):
                        continue
                    loc = spec.pos(*path)
                    out.append(make("WV401", f"'{'.'.join(map(str, path))}' holds a literal secret", loc.file,
                                    loc.line, loc.column,
                                    hint="write ${env:NAME} or ${file:/path}; never commit secret values"))
            for match in ANY_REF_RE.finditer(value):
                if not REF_RE.fullmatch(match.group(0)):
                    loc = spec.pos(*path)
                    out.append(make("WV402", f"malformed reference {match.group(0)!r}", loc.file, loc.line,
                                    loc.column, hint="references look like ${env:NAME} or ${file:/path}"))
    return out


def _schema_typed_secret(spec: Spec, path: tuple[str | int, ...]) -> bool:
    if spec.kind == "system" and len(path) == 3 and path[:2] == ("api", "auth"):
        return path[2] in {"key", "password", "token", "client_secret"}
    if spec.kind == "owner" and path[-1] in {"webhook_secret", "pagerduty_routing_key"}:
        return True
    if spec.kind == "integration" and path[:2] == ("trigger", "webhook") and path[-1] == "secret":
        return True
    return False


def _expressions(spec: Integration) -> Iterator[tuple[tuple[str | int, ...], str]]:
    raw = spec.raw
    for name in JMESPATH_FIELDS:
        if isinstance(raw.get(name), str):
            yield (name,), raw[name]
    for i, entry in enumerate(raw.get("deliver") or []):
        if isinstance(entry, dict) and isinstance(entry.get("when"), str):
            yield ("deliver", i, "when"), entry["when"]


def check_expressions(project: Project, ctx: CheckContext) -> list[Diagnostic]:
    out = []
    for spec in project.integrations.values():
        for path, expression in _expressions(spec):
            try:
                jmespath.compile(expression)
            except jmespath.exceptions.JMESPathError as exc:
                loc = spec.pos(*path)
                detail = re.sub(r"\s+", " ", str(exc)).strip()
                out.append(make("WV312", f"invalid JMESPath in '{'.'.join(map(str, path))}': {detail}", loc.file,
                                loc.line, loc.column, hint="check the expression with `weave test`"))
    return out


Check = Callable[[Project, CheckContext], list[Diagnostic]]
CHECKS: tuple[Check, ...] = (
    check_duplicates,
    check_references,
    check_owners,
    check_overrides,
    check_secrets,
    check_expressions,
)
# Steps (`steps:`, `deliver[].steps`, transforms) are compiled by weave.transforms.checks.check_project_steps,
# which `weave validate` runs: it knows weave's own functions and reports WV307/WV312/WV601 with positions.


def run_checks(project: Project, ctx: CheckContext) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    for check in CHECKS:
        out.extend(check(project, ctx))
    return out
