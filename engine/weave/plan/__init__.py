"""The planner: the article's decision framework as a table of rules, applied to every integration.

Pure: no state store, no network, never imports the runtime. `plan_project(project)` chooses, `audit`
warns (WV5xx), `inventory` lists, `impact` traces dependencies, `weave.plan.graph` draws the topology.
"""

from weave.plan.audit import AUDIT_CHECKS, audit, audit_load, warnings_for
from weave.plan.facts import Facts, Portfolio, facts_for
from weave.plan.impact import Impact, Impacted, impact
from weave.plan.inventory import InventoryRow, inventory
from weave.plan.limits import Limits
from weave.plan.planner import IntegrationPlan, Override, Plan, plan_integration, plan_project
from weave.plan.rules import PATTERNS, RULES, RULES_BY_ID, Question, Rule, Shift, Vote
from weave.plan.scoring import Contribution, Decision, RunnerUp, decide
from weave.plan.views import SCHEMA_VERSION, explain_rows, plan_to_dict

__all__ = [
    "AUDIT_CHECKS",
    "PATTERNS",
    "RULES",
    "RULES_BY_ID",
    "SCHEMA_VERSION",
    "Contribution",
    "Decision",
    "Facts",
    "Impact",
    "Impacted",
    "IntegrationPlan",
    "InventoryRow",
    "Limits",
    "Override",
    "Plan",
    "Portfolio",
    "Question",
    "Rule",
    "RunnerUp",
    "Shift",
    "Vote",
    "audit",
    "audit_load",
    "decide",
    "explain_rows",
    "facts_for",
    "impact",
    "inventory",
    "plan_integration",
    "plan_project",
    "plan_to_dict",
    "warnings_for",
]
