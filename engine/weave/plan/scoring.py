"""Score one planned side: sum the votes of every rule that fires, apply the shifts, pick the winner.

Deterministic: the winner has the highest total; ties go to the pattern the four framework questions
gave more points, then to the article's order (point-to-point, hub-and-spoke, event-driven, api-gateway,
etl-batch).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property

from weave.plan.facts import Facts
from weave.plan.rules import FRAMEWORK_QUESTIONS, PATTERNS, RULES, Rule, Shift, Vote


@dataclass(frozen=True)
class Contribution:
    """A rule that fired, and the points it actually moved (a shift's points are known only after the votes)."""

    rule: Rule
    points: tuple[tuple[str, int], ...]

    def for_pattern(self, pattern: str) -> int:
        return sum(p for name, p in self.points if name == pattern)

    @property
    def totals(self) -> tuple[tuple[str, int], ...]:
        """Points per pattern, summed (a rule with several shifts can move points to one pattern twice)."""
        out: dict[str, int] = {}
        for name, p in self.points:
            out[name] = out.get(name, 0) + p
        return tuple(out.items())


@dataclass(frozen=True)
class RunnerUp:
    """The second-best pattern. Why it lost is worked out when asked (planning 1,000 integrations need not)."""

    pattern: str
    score: int
    winner: str
    winner_score: int
    contributions: tuple[Contribution, ...] = field(repr=False)
    tie_break: str | None = None

    def _deltas(self) -> list[tuple[Contribution, int]]:
        return [(c, c.for_pattern(self.winner) - c.for_pattern(self.pattern)) for c in self.contributions]

    @cached_property
    def deciding_rules(self) -> tuple[str, ...]:
        """Rule ids that put the winner ahead of it, largest margin first."""
        ahead = sorted((d for d in self._deltas() if d[1] > 0), key=lambda d: -d[1])
        return tuple(c.rule.id for c, _ in ahead)

    @cached_property
    def why(self) -> str:
        deltas = self._deltas()
        ahead = sorted((d for d in deltas if d[1] > 0), key=lambda d: -d[1])
        behind = [c for c, delta in deltas if delta < 0]
        winner, second = self.winner, self.pattern
        parts = [f"{second} scored {self.score} against {self.winner_score} for {winner}"]
        if ahead:
            parts.append("decided by " + ", ".join(f"{c.rule.id} ({_points_text(c, winner, second)})"
                                                   for c, _ in ahead))
        if behind:
            parts.append("in its favour: " + ", ".join(f"{c.rule.id} ({_points_text(c, second, winner)})"
                                                       for c in behind))
        if self.tie_break:
            parts.append(self.tie_break)
        return "; ".join(parts)


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


def decide(facts: Facts, rules: Sequence[Rule] = RULES) -> Decision:
    scores = dict.fromkeys(PATTERNS, 0)
    framework = dict.fromkeys(PATTERNS, 0)  # points from the four framework questions (first tie-break)
    fired = [rule for rule in rules if rule.when(facts)]
    points: dict[str, list[tuple[str, int]]] = {rule.id: [] for rule in fired}
    for rule in fired:
        in_framework = rule.question in FRAMEWORK_QUESTIONS
        for effect in rule.effects:
            if isinstance(effect, Vote):
                scores[effect.pattern] += effect.weight
                points[rule.id].append((effect.pattern, effect.weight))
                if in_framework:
                    framework[effect.pattern] += effect.weight
    for rule in fired:
        for effect in rule.effects:
            if isinstance(effect, Shift) and scores[effect.source] > 0:
                moved = scores[effect.source]
                scores[effect.source] -= moved
                scores[effect.to] += moved
                points[rule.id] += [(effect.source, -moved), (effect.to, moved)]
                if rule.question in FRAMEWORK_QUESTIONS:  # pragma: no cover - shifts are portfolio rules
                    framework[effect.source] -= moved
                    framework[effect.to] += moved
    contributions = tuple(Contribution(rule, tuple(points[rule.id])) for rule in fired)
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
        runner_up=RunnerUp(second, scores[second], winner, scores[winner], contributions, tie_break),
        tie_break=tie_break,
    )


def _points_text(contribution: Contribution, *patterns: str) -> str:
    return ", ".join(f"{p:+d} {name}" for name in patterns if (p := contribution.for_pattern(name)))
