"""Score one planned side: sum the votes of every rule that fires, apply the shifts, pick the winner.

Deterministic: the winner has the highest total; ties go to the pattern the four framework questions
gave more points, then to the article's order (point-to-point, hub-and-spoke, event-driven, api-gateway,
etl-batch).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from weave.plan.facts import Facts
from weave.plan.rules import FRAMEWORK_QUESTIONS, PATTERNS, RULES, Rule, Shift, Vote


@dataclass(frozen=True)
class Contribution:
    """A rule that fired, and the points it actually moved (a shift's points are known only after the votes)."""

    rule: Rule
    points: tuple[tuple[str, int], ...]

    def for_pattern(self, pattern: str) -> int:
        return sum(p for name, p in self.points if name == pattern)


@dataclass(frozen=True)
class RunnerUp:
    pattern: str
    score: int
    why: str  # why it lost, in words
    deciding_rules: tuple[str, ...]  # rule ids that put the winner ahead of it


@dataclass(frozen=True)
class Decision:
    """The framework's choice for one side (push or pull) of an integration."""

    side: str
    facts: Facts
    scores: tuple[tuple[str, int], ...]  # every pattern, in the article's order
    contributions: tuple[Contribution, ...]  # fired rules, in table order
    pattern: str
    runner_up: RunnerUp | None
    tie_break: str | None = None

    def score(self, pattern: str) -> int:
        return dict(self.scores)[pattern]


def _framework_points(contributions: Sequence[Contribution], pattern: str) -> int:
    return sum(c.for_pattern(pattern) for c in contributions if c.rule.question in FRAMEWORK_QUESTIONS)


def decide(facts: Facts, rules: Sequence[Rule] = RULES) -> Decision:
    scores = dict.fromkeys(PATTERNS, 0)
    fired = [rule for rule in rules if rule.when(facts)]
    points: dict[str, list[tuple[str, int]]] = {rule.id: [] for rule in fired}
    for rule in fired:
        for effect in rule.effects:
            if isinstance(effect, Vote):
                scores[effect.pattern] += effect.weight
                points[rule.id].append((effect.pattern, effect.weight))
    for rule in fired:
        for effect in rule.effects:
            if isinstance(effect, Shift) and scores[effect.source] > 0:
                moved = scores[effect.source]
                scores[effect.source] -= moved
                scores[effect.to] += moved
                points[rule.id] += [(effect.source, -moved), (effect.to, moved)]
    contributions = tuple(Contribution(rule, tuple(points[rule.id])) for rule in fired)
    framework = {p: _framework_points(contributions, p) for p in PATTERNS}
    ranked = sorted(PATTERNS, key=lambda p: (-scores[p], -framework[p], PATTERNS.index(p)))
    winner, second = ranked[0], ranked[1]
    tie_break = None
    if scores[winner] == scores[second]:
        tie_break = (f"{winner} and {second} tie at {scores[winner]}; " + (
            f"the four framework questions gave {winner} {framework[winner]} against {framework[second]}"
            if framework[winner] != framework[second] else f"{winner} comes first in the article's order"))
    return Decision(
        side=facts.side,
        facts=facts,
        scores=tuple((p, scores[p]) for p in PATTERNS),
        contributions=contributions,
        pattern=winner,
        runner_up=_runner_up(winner, second, scores, contributions, tie_break),
        tie_break=tie_break,
    )


def _points_text(contribution: Contribution, *patterns: str) -> str:
    return ", ".join(f"{p:+d} {name}" for name in patterns if (p := contribution.for_pattern(name)))


def _runner_up(winner: str, second: str, scores: dict[str, int], contributions: Sequence[Contribution],
               tie_break: str | None) -> RunnerUp:
    deltas = [(c, c.for_pattern(winner) - c.for_pattern(second)) for c in contributions]
    ahead = sorted((d for d in deltas if d[1] > 0), key=lambda d: -d[1])
    behind = [c for c, delta in deltas if delta < 0]
    parts = [f"{second} scored {scores[second]} against {scores[winner]} for {winner}"]
    if ahead:
        parts.append("decided by " + ", ".join(f"{c.rule.id} ({_points_text(c, winner, second)})"
                                               for c, _ in ahead))
    if behind:
        parts.append("in its favour: " + ", ".join(f"{c.rule.id} ({_points_text(c, second, winner)})"
                                                   for c in behind))
    if tie_break:
        parts.append(tie_break)
    return RunnerUp(pattern=second, score=scores[second], why="; ".join(parts),
                    deciding_rules=tuple(c.rule.id for c, _ in ahead))
