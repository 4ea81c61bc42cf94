"""Views of a plan as plain data: the versioned JSON document and the rows of `weave explain`.

Pure functions, no printing: the CLI renders these. A later `diff` section (against the deployed
revision) is added next to `integrations` by the caller; nothing here needs to change for it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from weave.diagnostics import Diagnostic
from weave.plan.audit import warnings_for
from weave.plan.facts import Facts
from weave.plan.planner import IntegrationPlan, Plan
from weave.plan.rules import Question, Vote
from weave.plan.scoring import Contribution, Decision

SCHEMA_VERSION = "1"


def answers(facts: Facts) -> dict[Question, str]:
    """Each framework question with this side's answer, in words."""
    direction = facts.direction or "(not stated)"
    if facts.direction == "bidirectional":
        direction += f" — this is the {facts.side} side"
    complexity = facts.transform_complexity or "unstated"
    if facts.nonstandard_systems:
        apis = "non-standard: " + ", ".join(facts.nonstandard_systems)
    else:
        apis = "standard (REST/GraphQL, ordinary auth)"
    busiest = f"'{facts.busiest_system}'" if facts.busiest_system else "no system"
    return {
        Question.DIRECTION: direction,
        Question.TIMING: facts.timing or "(not stated)",
        Question.VOLUME: (f"{facts.records_per_transaction:,} record(s) × {facts.transactions_per_day:,}/day = "
                          f"{facts.records_per_day:,}/day ({'high' if facts.high_volume else 'moderate'}); "
                          f"{complexity} transformations"),
        Question.COUPLING: facts.coupling or "(not stated)",
        Question.EXPOSURE: facts.exposure + (" (external)" if facts.external else ""),
        Question.PORTFOLIO: (f"{busiest} maintains {facts.connection_count} direct connection(s) "
                             f"({facts.total_count} integration(s) in all); APIs {apis}; "
                             f"hub: {facts.hub or 'none declared (weave is the hub)'}"),
    }


def votes_text(contribution: Contribution) -> str:
    if not contribution.points:
        if contribution.rule.note:
            return contribution.rule.note
        shifts = [e for e in contribution.rule.effects if not isinstance(e, Vote)]
        return "no points to move" if shifts else "—"
    return ", ".join(f"{points:+d} {pattern}" for pattern, points in contribution.totals)


@dataclass(frozen=True)
class ExplainRow:
    question: str
    answer: str
    rule: str  # rule id, or "" when no rule of this question fired
    condition: str
    votes: str
    cites: str


def explain_rows(decision: Decision) -> list[ExplainRow]:
    rows: list[ExplainRow] = []
    facts_answers = answers(decision.facts)
    for question in Question:
        fired = [c for c in decision.contributions if c.rule.question == question]
        answer = facts_answers[question]
        if not fired:
            why = ("external parties reach in on the pull side, not on this one"
                   if question == Question.EXPOSURE and decision.facts.external else "no rule of this question applies")
            rows.append(ExplainRow(str(question), answer, "", why, "—", ""))
        for i, c in enumerate(fired):
            rows.append(ExplainRow(str(question) if i == 0 else "", answer if i == 0 else "", c.rule.id,
                                   c.rule.condition, votes_text(c), c.rule.cites))
    return rows


def reason_texts(decision: Decision) -> list[str]:
    """One sentence per fired rule: which answer pointed where, and the article sentence behind it."""
    return [f"[{c.rule.id}] {c.rule.question}: {c.rule.condition} → {votes_text(c)} (\"{c.rule.cites}\")"
            for c in decision.contributions]


def decision_to_dict(decision: Decision) -> dict[str, Any]:
    runner = decision.runner_up
    return {
        "side": decision.side,
        "pattern": decision.pattern,
        "scores": dict(decision.scores),
        "answers": {str(q): a for q, a in answers(decision.facts).items()},
        "rules": [{"id": c.rule.id, "question": str(c.rule.question), "condition": c.rule.condition,
                   "votes": dict(c.totals), "cites": c.rule.cites} for c in decision.contributions],
        "runner_up": None if runner is None else {"pattern": runner.pattern, "score": runner.score,
                                                  "why_lost": runner.why, "deciding_rules": list(runner.deciding_rules)},
        "tie_break": decision.tie_break,
    }


def integration_to_dict(item: IntegrationPlan, warnings: list[Diagnostic]) -> dict[str, Any]:
    multi = len(item.decisions) > 1
    reasons = [f"{d.side} side: {r}" if multi else r for d in item.decisions for r in reason_texts(d)]
    if item.override is not None:
        reasons.insert(0, f"override: pattern {item.override.pattern} — {item.override.reason or '(no reason)'}"
                          + ("" if item.override.agrees else
                             f"; the framework chooses {'/'.join(item.framework_patterns)}"))
    return {
        "name": item.name,
        "patterns": list(item.patterns),
        "sides": [d.side for d in item.decisions],
        "framework_patterns": list(item.framework_patterns),
        "reasons": reasons,
        "runner_up": [None if d.runner_up is None else
                      {"side": d.side, "pattern": d.runner_up.pattern, "score": d.runner_up.score,
                       "why_lost": d.runner_up.why} for d in item.decisions],
        "override": None if item.override is None else {
            "pattern": item.override.pattern, "reason": item.override.reason, "agrees": item.override.agrees},
        "warnings": [w.to_dict() for w in warnings],
        "direction": item.direction,
        "source": item.source,
        "targets": list(item.targets),
        "owner": item.owner,
        "hub": item.hub,
        "publishes": item.publishes,
        "subscribes_to": item.subscribes_to,
        "decisions": [decision_to_dict(d) for d in item.decisions],
    }


def plan_to_dict(plan: Plan, diagnostics: list[Diagnostic]) -> dict[str, Any]:
    return {
        "schema_version": SCHEMA_VERSION,
        "kind": "weave-plan",
        "integrations": [integration_to_dict(item, warnings_for(item.name, diagnostics))
                         for item in plan.integrations],
        "summary": {"integrations": len(plan.integrations), "by_pattern": plan.by_pattern()},
        "diagnostics": [d.to_dict() for d in diagnostics],
    }
