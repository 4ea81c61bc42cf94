"""The single table of diagnostic codes. Codes are stable: never renumber, only add.

Ranges: WV1xx loading, WV2xx schema, WV3xx semantics, WV4xx secrets, WV5xx planner audit,
WV6xx transforms/tests, WV7xx contracts, WV8xx events and ownership, WV9xx runtime/apply.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CodeInfo:
    code: str
    name: str
    severity: str  # "error" | "warning" | "info"
    summary: str


_TABLE: list[CodeInfo] = [
    # --- WV1xx: loading ---------------------------------------------------------------------
    CodeInfo("WV101", "yaml-syntax", "error", "The file is not valid YAML."),
    CodeInfo("WV102", "file-too-large", "error", "The file exceeds the size limit and was not parsed."),
    CodeInfo("WV103", "binary-file", "error", "The file is not UTF-8 text."),
    CodeInfo("WV104", "alias-bomb", "error", "YAML aliases expand beyond the limit (billion laughs)."),
    CodeInfo("WV105", "too-deep", "error", "The document nests deeper than the limit."),
    CodeInfo("WV106", "yaml11-boolean", "warning", "yes/no/on/off are strings in weave; quote them."),
    CodeInfo("WV107", "yaml-date", "warning", "An unquoted date or timestamp; it is read as a string."),
    CodeInfo("WV108", "not-a-mapping", "error", "A document must be a mapping with a `kind:`."),
    CodeInfo("WV109", "missing-kind", "error", "A document has no `kind:`."),
    CodeInfo("WV110", "unknown-kind", "error", "A document's `kind:` is not one weave knows."),
    CodeInfo("WV111", "duplicate-key", "error", "A mapping repeats a key."),
    CodeInfo("WV112", "no-specs", "error", "No spec files were found under the given paths."),
    # --- WV2xx: schema ----------------------------------------------------------------------
    CodeInfo("WV201", "unknown-field", "error", "A field is not part of the schema."),
    CodeInfo("WV202", "missing-field", "error", "A required field is missing."),
    CodeInfo("WV203", "wrong-type", "error", "A field has the wrong type."),
    CodeInfo("WV204", "invalid-value", "error", "A field's value is not one of the allowed values."),
    CodeInfo("WV205", "schema-violation", "error", "A value breaks another schema constraint."),
    # --- WV3xx: semantics -------------------------------------------------------------------
    CodeInfo("WV301", "duplicate-name", "error", "Two specs of the same kind share a name."),
    CodeInfo("WV302", "unknown-system", "warning",
             "An integration names a system that no spec declares (its API and owner cannot be checked)."),
    CodeInfo("WV303", "unknown-event", "error", "A spec names an event that the catalog does not declare."),
    CodeInfo("WV304", "missing-owner", "error", "An integration or system has no owner."),
    CodeInfo("WV305", "override-without-reason", "error", "`pattern:` overrides the planner without `pattern_reason:`."),
    CodeInfo("WV306", "target-and-targets", "error", "Give either `target:` or `targets:`, not both."),
    CodeInfo("WV307", "unknown-transform", "error", "A step uses a transform that transforms/ does not define."),
    CodeInfo("WV308", "undeclared-owner", "warning", "The owner has no `kind: owner` spec, so no alert can reach it."),
    CodeInfo("WV309", "self-integration", "error", "An integration's source is also its target."),
    CodeInfo("WV310", "invalid-duration", "error", "A duration is not like 500ms, 30s, 5m, 2h or 1d."),
    CodeInfo("WV311", "deliver-unknown-target", "error", "A `deliver:` entry names a system that is not a target."),
    CodeInfo("WV312", "invalid-expression", "error", "A JMESPath expression or Jinja template does not compile."),
    # --- WV4xx: secrets ---------------------------------------------------------------------
    CodeInfo("WV401", "literal-secret", "error", "A secret is written as a literal value; use a reference."),
    CodeInfo("WV402", "bad-secret-reference", "error", "A secret reference is malformed."),
    # --- WV6xx: transforms and tests --------------------------------------------------------
    CodeInfo("WV601", "invalid-step", "error", "A transform step is malformed (unknown kind, wrong shape, unknown table)."),
    CodeInfo("WV603", "transform-without-fixtures", "warning", "A transform in transforms/ has no fixtures."),
    # --- WV7xx: contracts (change safety) ----------------------------------------------------
    CodeInfo("WV701", "contract-unreadable", "error", "A system's contract file is missing or cannot be parsed."),
    CodeInfo("WV702", "unknown-operation", "error", "An integration calls an operation or path its system's contract does not have."),
    CodeInfo("WV703", "field-not-allowed", "error", "A field written is not allowed by the operation's request schema."),
    CodeInfo("WV704", "required-field-not-written", "error", "A field the request schema requires is never written."),
    CodeInfo("WV705", "unknown-response-field", "error", "A field read is not in the operation's response schema."),
    CodeInfo("WV706", "contract-type-mismatch", "error", "A transform writes or reads a value of a type the contract does not have there."),
    CodeInfo("WV707", "breaking-contract-change", "error", "A contract change breaks an integration that uses the changed part."),
    CodeInfo("WV708", "contract-change", "info", "A contract change that breaks no integration (non-breaking, or unused)."),
    CodeInfo("WV709", "contract-ref-unreadable", "warning", "--against-ref: the old contract could not be read from git."),
    CodeInfo("WV710", "path-parameter-not-in-contract", "error", "A `{placeholder}` in a spec's path sits where "
             "the contract operation's path has a fixed segment, not a parameter."),
    CodeInfo("WV711", "required-parameter-not-sent", "error", "A path, query or header parameter the contract "
             "operation requires is not supplied by the spec."),
    CodeInfo("WV712", "parameter-value-mismatch", "error", "A literal query, path or header value does not fit the "
             "parameter's schema (type, enum, format, bounds)."),
    # --- WV85x: ownership in operation (weave.ownership) --------------------------------------
    CodeInfo("WV851", "codeowners-stale", "warning", "The committed CODEOWNERS does not match the specs' owners; "
             "run `weave codeowners`."),
    # --- WV86x: events (catalog versioning, weave.spec.event_versions) ------------------------
    CodeInfo("WV860", "event-property-removed", "error", "A property was removed from an existing event version; "
             "publish the change as a new version."),
    CodeInfo("WV861", "event-property-now-required", "error", "An existing event version now requires a property "
             "it did not require; publish the change as a new version."),
    CodeInfo("WV862", "event-type-changed", "error", "A property of an existing event version changed to a type "
             "that does not accept every old value; publish the change as a new version."),
    CodeInfo("WV863", "event-enum-narrowed", "error", "An enum of an existing event version lost values (or a "
             "value became restricted to an enum); publish the change as a new version."),
    CodeInfo("WV864", "event-baseline-unreadable", "warning", "The event versioning check could not read its "
             "baseline (the last applied revision or the git ref)."),
    # --- WV9xx: apply/runtime ----------------------------------------------------------------
    CodeInfo("WV901", "not-runnable", "error", "An integration lacks the runtime blocks its pattern needs."),
    CodeInfo("WV902", "unknown-scope", "error", "`--only` names an integration that does not exist."),
    # --- WV5xx: planner audit ---------------------------------------------------------------
    CodeInfo("WV501", "override-disagrees", "warning", "`pattern:` overrides the planner and the framework chooses otherwise."),
    CodeInfo("WV502", "override-redundant", "info", "`pattern:` names the pattern the framework chooses anyway."),
    CodeInfo("WV503", "point-to-point-sprawl", "warning", "More point-to-point integrations on one system than the limit (5)."),
    CodeInfo("WV504", "point-to-point-nonstandard", "warning", "A point-to-point integration connects to a non-standard API."),
    CodeInfo("WV505", "hub-single-point-of-failure", "warning", "A hub with many spokes declares no redundancy."),
    CodeInfo("WV506", "owner-overloaded", "warning", "An owner has more integrations than the configured maximum."),
    CodeInfo("WV507", "timing-volume-conflict", "warning", "A real-time integration moves huge batches per transaction."),
    CodeInfo("WV508", "exposure-without-pull", "warning", "External exposure on a push-only integration: no gateway applies."),
]

CODES: dict[str, CodeInfo] = {info.code: info for info in _TABLE}
if len(CODES) != len(_TABLE):  # pragma: no cover - guarded by tests as well
    raise RuntimeError("duplicate diagnostic code in weave.codes")
