"""One test per rule of the framework table: it fires on its answer, stays silent otherwise, and votes as
the article's sentence says. Plus: the table is well-formed and every rule quotes the article verbatim."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from weave.plan.rules import ETL, EVENT, GATEWAY, HUB, P2P, PATTERNS, RULES, RULES_BY_ID, Question
from weave.plan.scoring import decide
from weave.spec.schema.core import PATTERNS as SCHEMA_PATTERNS

from ._util import facts

ARTICLE = Path(__file__).parent / "data" / "seed_article.txt"


def points(f, rule_id: str) -> dict[str, int] | None:
    """The points the rule moved in this decision, or None when it did not fire."""
    decision = decide(f)
    for c in decision.contributions:
        if c.rule.id == rule_id:
            return dict(c.totals)
    return None


def fired(f, rule_id: str) -> bool:
    return points(f, rule_id) is not None


# --- question 1: direction ----------------------------------------------------------------------

def test_dir_push_favours_hub_or_event() -> None:
    assert points(facts(side="push"), "DIR-PUSH") == {HUB: 1, EVENT: 1}
    assert not fired(facts(side="pull", direction="pull"), "DIR-PUSH")


def test_dir_pull_favours_gateway() -> None:
    assert points(facts(side="pull", direction="pull"), "DIR-PULL") == {GATEWAY: 2}
    assert not fired(facts(side="push"), "DIR-PULL")


def test_dir_pull_inverse_the_caller_reaches_in_through_the_gateway() -> None:
    internal_pull = facts(side="pull", direction="pull")  # near-real-time, tight, moderate, simple
    assert points(internal_pull, "DIR-PULL-INVERSE") == {HUB: -5, GATEWAY: 6, P2P: -1}
    assert decide(internal_pull).pattern == GATEWAY
    # bulk extraction stays ETL: the shift leaves etl-batch alone
    bulk = facts(side="pull", direction="pull", timing="batch", high_volume=True, transform_complexity="complex",
                 coupling="loose")
    assert decide(bulk).pattern == ETL
    assert not fired(facts(side="push"), "DIR-PULL-INVERSE")


def test_dir_bidi_is_structural_and_fires_on_both_sides() -> None:
    for side in ("push", "pull"):
        assert points(facts(direction="bidirectional", side=side), "DIR-BIDI") == {}
    assert not fired(facts(direction="push"), "DIR-BIDI")
    assert "push-side" in RULES_BY_ID["DIR-BIDI"].note


# --- question 2: timing -------------------------------------------------------------------------

def test_tim_realtime_favours_event() -> None:
    assert points(facts(timing="real-time"), "TIM-REALTIME") == {EVENT: 2}
    assert not fired(facts(timing="batch"), "TIM-REALTIME")


def test_tim_near_favours_hub() -> None:
    assert points(facts(timing="near-real-time"), "TIM-NEAR") == {HUB: 2}
    assert not fired(facts(timing="real-time"), "TIM-NEAR")


def test_tim_batch_favours_etl() -> None:
    assert points(facts(timing="batch"), "TIM-BATCH") == {ETL: 2}
    assert not fired(facts(timing="near-real-time"), "TIM-BATCH")


def test_tim_peak_different_operating_hours_favour_etl_unless_real_time() -> None:
    assert points(facts(peak_hours_differ=True, timing="batch"), "TIM-PEAK") == {ETL: 1}
    assert not fired(facts(peak_hours_differ=True, timing="real-time"), "TIM-PEAK")
    assert not fired(facts(peak_hours_differ=False, timing="batch"), "TIM-PEAK")


# --- question 3: volume -------------------------------------------------------------------------

def test_vol_high_complex_favours_etl() -> None:
    assert points(facts(high_volume=True, transform_complexity="complex"), "VOL-HIGH-COMPLEX") == {ETL: 2}
    assert not fired(facts(high_volume=True, transform_complexity="simple"), "VOL-HIGH-COMPLEX")
    assert not fired(facts(high_volume=False, transform_complexity="complex"), "VOL-HIGH-COMPLEX")


def test_vol_moderate_simple_favours_hub() -> None:
    assert points(facts(high_volume=False, transform_complexity="simple"), "VOL-MODERATE-SIMPLE") == {HUB: 2}
    assert not fired(facts(high_volume=True, transform_complexity="simple"), "VOL-MODERATE-SIMPLE")
    assert not fired(facts(transform_complexity=None), "VOL-MODERATE-SIMPLE")


def test_vol_large_without_real_time_favours_etl() -> None:
    assert points(facts(high_volume=True, timing="batch"), "VOL-LARGE") == {ETL: 1}
    assert not fired(facts(high_volume=True, timing="real-time"), "VOL-LARGE")
    assert not fired(facts(high_volume=False, timing="batch"), "VOL-LARGE")


def test_vol_complex_transformations_favour_etl() -> None:
    assert points(facts(transform_complexity="complex"), "VOL-COMPLEX") == {ETL: 1}
    assert not fired(facts(transform_complexity="simple"), "VOL-COMPLEX")


def test_vol_dedicated_high_volume_moves_away_from_point_to_point() -> None:
    assert points(facts(high_volume=True), "VOL-DEDICATED") == {P2P: -2}
    assert not fired(facts(high_volume=False), "VOL-DEDICATED")


# --- question 4: coupling -----------------------------------------------------------------------

def test_cpl_tight_favours_point_to_point_or_hub() -> None:
    assert points(facts(coupling="tight"), "CPL-TIGHT") == {P2P: 1, HUB: 1}
    assert not fired(facts(coupling="loose"), "CPL-TIGHT")


def test_cpl_loose_favours_event() -> None:
    assert points(facts(coupling="loose"), "CPL-LOOSE") == {EVENT: 2}
    assert not fired(facts(coupling="tight"), "CPL-LOOSE")


# --- exposure -----------------------------------------------------------------------------------

@pytest.mark.parametrize("exposure", ["partner", "customer", "third-party"])
def test_exp_external_makes_the_gateway_essential_on_the_pull_side(exposure: str) -> None:
    f = facts(side="pull", direction="pull", exposure=exposure, timing="real-time", coupling="loose")
    assert points(f, "EXP-EXTERNAL") == {GATEWAY: 10}
    assert decide(f).pattern == GATEWAY  # essential: it decides against every other answer
    assert not fired(facts(side="pull", direction="pull", exposure="internal"), "EXP-EXTERNAL")
    assert not fired(facts(side="push", exposure=exposure), "EXP-EXTERNAL")


# --- portfolio ----------------------------------------------------------------------------------

def test_pf_p2p_fits_low_count_standard_moderate_shifts_hub_points_to_p2p() -> None:
    f = facts(connection_count=3, count_low=True, count_high=False)
    moved = points(f, "PF-P2P-FITS")
    assert moved == {HUB: -6, P2P: 6}
    assert decide(f).pattern == P2P
    assert not fired(facts(connection_count=3, count_low=True, count_high=False, nonstandard_systems=("erp",)),
                     "PF-P2P-FITS")
    assert not fired(facts(connection_count=3, count_low=True, count_high=False, high_volume=True), "PF-P2P-FITS")
    assert not fired(facts(connection_count=8, count_low=False), "PF-P2P-FITS")


def test_pf_hub_too_few_very_low_count_hub_is_wrong() -> None:
    f = facts(connection_count=1, count_low=True, count_high=False, count_very_low=True, high_volume=True,
              records_per_transaction=50_000)
    assert not fired(f, "PF-P2P-FITS")  # high volume: the 'use point-to-point' rule does not apply
    assert points(f, "PF-HUB-TOO-FEW") == {HUB: -4, P2P: 4}  # push 1 + near-real-time 2 + tight 1
    assert decide(f).score(HUB) == 0
    assert not fired(facts(connection_count=3, count_low=True, count_high=False), "PF-HUB-TOO-FEW")


def test_pf_p2p_too_many_moves_away_toward_hub() -> None:
    f = facts(connection_count=8, count_high=True)
    assert points(f, "PF-P2P-TOO-MANY") == {P2P: -1, HUB: 1}
    assert decide(f).score(P2P) == 0
    assert not fired(facts(connection_count=5, count_low=False, count_high=False), "PF-P2P-TOO-MANY")


def test_pf_p2p_nonstandard_moves_away_toward_hub() -> None:
    f = facts(connection_count=1, count_low=True, count_high=False, count_very_low=True,
              nonstandard_systems=("erp",), heterogeneous_apis=True)
    # hub-too-few moves hub's points to point-to-point first; non-standard moves them all back (table order)
    assert points(f, "PF-P2P-NONSTANDARD") == {P2P: -7, HUB: 7}
    assert decide(f).pattern == HUB
    assert not fired(facts(nonstandard_systems=()), "PF-P2P-NONSTANDARD")


def test_pf_fan_out_several_targets_are_routed_by_the_hub() -> None:
    f = facts(connection_count=3, count_low=True, count_high=False, target_count=2)
    assert fired(f, "PF-P2P-FITS")  # the small portfolio would say point-to-point for one target ...
    assert points(f, "PF-FAN-OUT") == {P2P: -7, HUB: 7}  # ... but each extra target is another connection
    assert decide(f).pattern == HUB
    assert not fired(facts(target_count=1), "PF-FAN-OUT")
    assert decide(facts(target_count=3, timing="real-time", coupling="loose")).pattern == EVENT


def test_pf_hub_fits_moderate_to_high_count_heterogeneous() -> None:
    assert points(facts(connection_count=5, count_low=False, count_high=False, heterogeneous_apis=True),
                  "PF-HUB-FITS") == {HUB: 1}
    assert not fired(facts(connection_count=8, heterogeneous_apis=False), "PF-HUB-FITS")
    assert not fired(facts(connection_count=3, count_low=True, count_high=False, heterogeneous_apis=True),
                     "PF-HUB-FITS")


# --- the table itself ---------------------------------------------------------------------------

def test_every_rule_has_its_own_test() -> None:
    source = Path(__file__).read_text()
    missing = [r.id for r in RULES if f'"{r.id}"' not in source]
    assert missing == []


def test_pattern_names_match_the_schema() -> None:
    assert list(PATTERNS) == list(SCHEMA_PATTERNS)
    assert PATTERNS == ("point-to-point", "hub-and-spoke", "event-driven", "api-gateway", "etl-batch")


def test_every_question_has_rules_and_every_rule_quotes_the_article() -> None:
    article = re.sub(r"\s+", " ", ARTICLE.read_text()).replace("“", '"').replace("”", '"')
    assert {r.question for r in RULES} == set(Question)
    for rule in RULES:
        assert rule.cites.rstrip(".") in article, rule.id
        assert rule.condition and (rule.effects or rule.note), rule.id
        for effect in rule.effects:
            assert getattr(effect, "pattern", None) in (None, *PATTERNS)
    assert len(RULES_BY_ID) == len(RULES)
