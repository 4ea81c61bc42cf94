"""Scoring: totals, shifts after votes, deterministic tie-breaks, the runner-up and why it lost."""

from __future__ import annotations

import random

from weave.plan.rules import ETL, EVENT, HUB, P2P, RULES, Question, Rule, Shift, Vote
from weave.plan.scoring import decide

from ._util import facts


def test_the_article_scenarios_choose_the_article_patterns() -> None:
    # cross-system workflow trigger: real-time, loose → event-driven
    assert decide(facts(timing="real-time", coupling="loose")).pattern == EVENT
    # internal system integration, heterogeneous APIs, many connections → hub-and-spoke
    assert decide(facts(nonstandard_systems=("erp",), heterogeneous_apis=True)).pattern == HUB
    # nightly warehouse load: batch, large, complex → ETL
    assert decide(facts(timing="batch", high_volume=True, records_per_transaction=200_000,
                        transform_complexity="complex", coupling="loose")).pattern == ETL
    # a small portfolio of standard SaaS APIs → point-to-point
    assert decide(facts(connection_count=2, count_low=True, count_high=False, count_very_low=True)).pattern == P2P


def test_scores_add_votes_then_apply_shifts() -> None:
    d = decide(facts(connection_count=3, count_low=True, count_high=False))
    scores = dict(d.scores)
    assert scores[HUB] == 0 and scores[P2P] == 7  # tight 1 + hub's 6 moved by PF-P2P-FITS
    assert sum(scores.values()) == sum(p for c in d.contributions for _, p in c.points)


def test_a_shift_moves_nothing_when_the_source_has_no_points() -> None:
    rules = (Rule("T-SHIFT", Question.PORTFOLIO, "x", "always", lambda f: True, (Shift(HUB, P2P),)),)
    d = decide(facts(), rules)
    assert d.contributions[0].points == ()
    assert d.score(P2P) == 0


def test_ties_go_to_the_framework_questions_then_the_article_order() -> None:
    rules = (
        Rule("A", Question.TIMING, "x", "always", lambda f: True, (Vote(ETL, 2),)),
        Rule("B", Question.PORTFOLIO, "x", "always", lambda f: True, (Vote(HUB, 2),)),
    )
    d = decide(facts(), rules)
    assert d.pattern == ETL and d.runner_up is not None and d.runner_up.pattern == HUB
    assert d.tie_break and "framework questions" in d.tie_break
    rules = (
        Rule("A", Question.TIMING, "x", "always", lambda f: True, (Vote(ETL, 2),)),
        Rule("B", Question.TIMING, "x", "always", lambda f: True, (Vote(HUB, 2),)),
    )
    d = decide(facts(), rules)
    assert d.pattern == HUB and d.tie_break and "article's order" in d.tie_break


def test_runner_up_names_the_deciding_rules_and_what_spoke_for_it() -> None:
    d = decide(facts(timing="real-time", coupling="loose"))
    assert d.runner_up is not None
    assert d.runner_up.pattern == HUB
    assert set(d.runner_up.deciding_rules) == {"TIM-REALTIME", "CPL-LOOSE"}
    assert "VOL-MODERATE-SIMPLE (+2 hub-and-spoke)" in d.runner_up.why
    assert d.runner_up.why.startswith("hub-and-spoke scored 3 against 5 for event-driven")


def test_decisions_are_deterministic_whatever_the_rule_order_of_equal_votes() -> None:
    f = facts(timing="batch", high_volume=True, transform_complexity="simple", heterogeneous_apis=True)
    first = decide(f)
    votes_only = [r for r in RULES if not any(isinstance(e, Shift) for e in r.effects)]
    shifts = [r for r in RULES if r not in votes_only]
    for seed in range(5):
        shuffled = votes_only[:]
        random.Random(seed).shuffle(shuffled)
        again = decide(f, (*shuffled, *shifts))
        assert (again.pattern, dict(again.scores)) == (first.pattern, dict(first.scores))
