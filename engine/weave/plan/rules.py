"""The decision framework as data: one row per sentence of the article, each citing its question.

A rule is a predicate over `Facts` and an effect: votes (pattern +/- points) or a shift (one pattern's
positive points move to another — the article's "move away from point-to-point toward hub-and-spoke").
Scoring (weave.plan.scoring) sums the votes, then applies the shifts in table order.

Weights follow the article's verbs:
- a framework question's answer "favors" a pattern: 2 points, split 1 + 1 when it names two ("X or Y");
- a pattern section's "is the right pattern when" condition: 1 point;
- "move away from" point-to-point when volume needs dedicated infrastructure: -2;
- "is the wrong pattern when ... (point-to-point is simpler)": a shift of its points to point-to-point;
- "is essential when": 10 (it decides).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from weave.plan.facts import Facts

P2P, HUB, EVENT, GATEWAY, ETL = "point-to-point", "hub-and-spoke", "event-driven", "api-gateway", "etl-batch"
PATTERNS: tuple[str, ...] = (P2P, HUB, EVENT, GATEWAY, ETL)  # the article's order, also the last tie-break

FAVOURS, FAVOURS_ONE_OF, RIGHT_WHEN, MOVE_AWAY, ESSENTIAL = 2, 1, 1, -2, 10


class Question(StrEnum):
    DIRECTION = "direction"
    TIMING = "timing"
    VOLUME = "volume"
    COUPLING = "coupling"
    EXPOSURE = "exposure"
    PORTFOLIO = "portfolio"


FRAMEWORK_QUESTIONS = (Question.DIRECTION, Question.TIMING, Question.VOLUME, Question.COUPLING)


@dataclass(frozen=True)
class Vote:
    pattern: str
    weight: int


@dataclass(frozen=True)
class Shift:
    """Move every positive point of `source` to `to` (applied after all votes, in table order)."""

    source: str
    to: str


Effect = Vote | Shift


@dataclass(frozen=True)
class Rule:
    id: str
    question: Question
    cites: str  # the article's sentence this rule encodes, verbatim
    condition: str  # the predicate, in words
    when: Callable[[Facts], bool]
    effects: tuple[Effect, ...] = ()
    note: str = ""  # for rules whose effect is structural (no votes)


def _v(**weights: int) -> tuple[Vote, ...]:
    names = {"p2p": P2P, "hub": HUB, "event": EVENT, "gateway": GATEWAY, "etl": ETL}
    return tuple(Vote(names[k], w) for k, w in weights.items())


_USE_P2P = ("Use point-to-point when: the integration count is low (fewer than 5), the connected systems have "
            "standard APIs, the integration volume is moderate, and the organization has the capability to "
            "monitor and maintain individual connections.")
_MOVE_AWAY = ("Move away from point-to-point when: the integration count exceeds 5, the connected systems include "
              "non-standard APIs, the integration volume requires dedicated infrastructure, or integration failures "
              "are causing operational incidents that take too long to diagnose.")
_ETL_RIGHT = ("ETL is the right pattern when: data volumes are large, real-time processing is unnecessary, the "
              "source and target systems have different peak operating hours, or the transformation logic is "
              "complex enough to justify a dedicated transformation layer.")

RULES: tuple[Rule, ...] = (
    # --- question 1: direction ---------------------------------------------------------------
    Rule("DIR-PUSH", Question.DIRECTION, "Push favors hub-and-spoke or event-driven.",
         "the source pushes data to the target", lambda f: f.side == "push",
         _v(hub=FAVOURS_ONE_OF, event=FAVOURS_ONE_OF)),
    Rule("DIR-PULL", Question.DIRECTION, "Pull favors API gateway.",
         "the target pulls data from the source", lambda f: f.side == "pull", _v(gateway=FAVOURS)),
    Rule("DIR-PULL-INVERSE", Question.DIRECTION,
         "The gateway pattern is the inverse of hub-and-spoke: instead of the CRM reaching out to other systems, "
         "other systems reach into the CRM through a controlled, monitored, and secured entry point.",
         "on a pull side the other system reaches in, so the patterns where the source reaches out "
         "(hub-and-spoke, event-driven, point-to-point) give their points to the gateway",
         lambda f: f.side == "pull", (Shift(HUB, GATEWAY), Shift(EVENT, GATEWAY), Shift(P2P, GATEWAY))),
    Rule("DIR-BIDI", Question.DIRECTION, "Bidirectional requires both patterns.",
         "the flow is bidirectional", lambda f: f.direction == "bidirectional",
         note="planned twice: a push-side pattern and a pull-side pattern"),
    # --- question 2: timing ------------------------------------------------------------------
    Rule("TIM-REALTIME", Question.TIMING, "Real-time favors event-driven.",
         "timing is real-time", lambda f: f.timing == "real-time", _v(event=FAVOURS)),
    Rule("TIM-NEAR", Question.TIMING, "Near-real-time favors hub-and-spoke.",
         "timing is near-real-time (within seconds)", lambda f: f.timing == "near-real-time", _v(hub=FAVOURS)),
    Rule("TIM-BATCH", Question.TIMING, "Batch favors ETL.",
         "timing is batch", lambda f: f.timing == "batch", _v(etl=FAVOURS)),
    Rule("TIM-PEAK", Question.TIMING, _ETL_RIGHT,
         "the connected systems declare different peak operating hours and real-time is not needed",
         lambda f: f.peak_hours_differ and f.timing != "real-time", _v(etl=RIGHT_WHEN)),
    # --- question 3: volume ------------------------------------------------------------------
    Rule("VOL-HIGH-COMPLEX", Question.VOLUME, "High volume with complex transformations favors ETL.",
         "high volume and complex transformations", lambda f: f.high_volume and f.transform_complexity == "complex",
         _v(etl=FAVOURS)),
    Rule("VOL-MODERATE-SIMPLE", Question.VOLUME,
         "Moderate volume with simple transformations favors hub-and-spoke.",
         "moderate volume and simple transformations",
         lambda f: f.moderate_volume and f.transform_complexity == "simple", _v(hub=FAVOURS)),
    Rule("VOL-LARGE", Question.VOLUME, _ETL_RIGHT,
         "large data volume and real-time processing is unnecessary",
         lambda f: f.high_volume and f.timing != "real-time", _v(etl=RIGHT_WHEN)),
    Rule("VOL-COMPLEX", Question.VOLUME, _ETL_RIGHT,
         "transformation logic is complex", lambda f: f.transform_complexity == "complex", _v(etl=RIGHT_WHEN)),
    Rule("VOL-DEDICATED", Question.VOLUME, _MOVE_AWAY,
         "the volume is high enough to need dedicated infrastructure", lambda f: f.high_volume,
         _v(p2p=MOVE_AWAY)),
    # --- question 4: coupling ----------------------------------------------------------------
    Rule("CPL-TIGHT", Question.COUPLING, "Tight coupling favors point-to-point or hub-and-spoke.",
         "coupling is tight", lambda f: f.coupling == "tight", _v(p2p=FAVOURS_ONE_OF, hub=FAVOURS_ONE_OF)),
    Rule("CPL-LOOSE", Question.COUPLING, "Loose coupling favors event-driven.",
         "coupling is loose", lambda f: f.coupling == "loose", _v(event=FAVOURS)),
    # --- external exposure ---------------------------------------------------------------------
    Rule("EXP-EXTERNAL", Question.EXPOSURE,
         "The API gateway is essential when the CRM exposes APIs to external parties — partners, customers, "
         "third-party developers — where security and rate limiting are critical.",
         "external parties (partner, customer, third-party) reach in on this side",
         lambda f: f.external and f.side == "pull", _v(gateway=ESSENTIAL)),
    # --- portfolio context ---------------------------------------------------------------------
    Rule("PF-P2P-FITS", Question.PORTFOLIO, _USE_P2P,
         "fewer than 5 direct connections on the busiest system, standard APIs, moderate volume",
         lambda f: f.count_low and f.all_standard and f.moderate_volume, (Shift(HUB, P2P),)),
    Rule("PF-HUB-TOO-FEW", Question.PORTFOLIO,
         "Hub-and-spoke is the wrong pattern when: the integration count is very low (point-to-point is simpler)",
         "a very low count (one or two direct connections)", lambda f: f.count_very_low, (Shift(HUB, P2P),)),
    Rule("PF-P2P-TOO-MANY", Question.PORTFOLIO, _MOVE_AWAY,
         "more than 5 direct connections on the busiest system", lambda f: f.count_high, (Shift(P2P, HUB),)),
    Rule("PF-P2P-NONSTANDARD", Question.PORTFOLIO, _MOVE_AWAY,
         "a connected system has a non-standard API (SOAP, SQL, file, proprietary or custom auth)",
         lambda f: bool(f.nonstandard_systems), (Shift(P2P, HUB),)),
    Rule("PF-FAN-OUT", Question.PORTFOLIO,
         "Point-to-point is the default pattern because it is the fastest to implement — one connection, one "
         "set of credentials, one data mapping, done.",
         "several targets: one connection, credentials and mapping per target, which the hub routes to instead",
         lambda f: f.target_count > 1, (Shift(P2P, HUB),)),
    Rule("PF-HUB-FITS", Question.PORTFOLIO,
         "Hub-and-spoke is the right pattern when: the integration count is moderate to high (5-20+), the "
         "connected systems have heterogeneous APIs",
         "5 or more direct connections on the busiest system and heterogeneous APIs",
         lambda f: not f.count_low and f.heterogeneous_apis, _v(hub=RIGHT_WHEN)),
)

RULES_BY_ID: dict[str, Rule] = {rule.id: rule for rule in RULES}
if len(RULES_BY_ID) != len(RULES):  # pragma: no cover - guarded by tests as well
    raise RuntimeError("duplicate rule id in weave.plan.rules")
