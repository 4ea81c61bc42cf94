"""What an alert says, and where to send it: the `Notification` value and the alert settings."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from weave.spec.durations import parse_duration
from weave.state import Alert

DEFAULT_PAGERDUTY_URL = "https://events.pagerduty.com/v2/enqueue"
DEFAULT_INTERVAL_S = 30.0
ACTIONS = ("trigger", "escalate", "resolve")
EVENT_TYPES = {"trigger": "alert.triggered", "escalate": "alert.escalated", "resolve": "alert.resolved"}


@dataclass(frozen=True)
class AlertSettings:
    """From weave.toml `[alerts]` / `[slo]`, overridden by the environment (WEAVE_SMTP_URL, WEAVE_SLO_INTERVAL, ...)."""

    smtp_url: str | None = None
    mail_from: str = "weave@localhost"
    pagerduty_url: str = DEFAULT_PAGERDUTY_URL
    interval_s: float = DEFAULT_INTERVAL_S
    timeout_s: float = 10.0

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any] | None, env: Mapping[str, str] | None = None
                      ) -> AlertSettings:
        environ = os.environ if env is None else env
        alerts = dict((settings or {}).get("alerts") or {})
        slo = dict((settings or {}).get("slo") or {})
        interval = environ.get("WEAVE_SLO_INTERVAL") or slo.get("interval") or DEFAULT_INTERVAL_S
        return cls(
            smtp_url=environ.get("WEAVE_SMTP_URL") or alerts.get("smtp"),
            mail_from=str(environ.get("WEAVE_MAIL_FROM") or alerts.get("from") or cls.mail_from),
            pagerduty_url=str(environ.get("WEAVE_PAGERDUTY_URL") or alerts.get("pagerduty_url")
                              or DEFAULT_PAGERDUTY_URL),
            interval_s=max(0.05, parse_duration(_number_or_text(interval))),
            timeout_s=parse_duration(_number_or_text(alerts.get("timeout", 10.0))),
        )


def _number_or_text(value: Any) -> str | float:
    if isinstance(value, int | float):
        return float(value)
    text = str(value).strip()
    try:
        return float(text)
    except ValueError:
        return text


@dataclass(frozen=True)
class Notification:
    """One message about one alert: opened (trigger), escalated, or resolved."""

    action: str  # trigger | escalate | resolve
    alert: Alert
    description: str  # the SLO in words
    owner: str | None
    contacts_of: str  # whose contacts: the owner, or "escalation"
    links: Mapping[str, str] = field(default_factory=dict)

    @property
    def title(self) -> str:
        word = {"trigger": "ALERT", "escalate": "ESCALATED", "resolve": "RESOLVED"}[self.action]
        return f"[weave] {word} {self.alert.integration}: {self.alert.slo}"

    @property
    def text(self) -> str:
        lines = [self.title, "", f"SLO: {self.description}", f"Now: {self.alert.message}",
                 f"Owner: {self.owner or '(none)'}", f"Alert: #{self.alert.id}"]
        if self.action == "escalate":
            lines.append("Escalated: the owner has not acknowledged it (`weave alerts ack "
                         f"{self.alert.id}`).")
        if self.action == "resolve":
            lines.append("The SLO is met again.")
        return "\n".join(lines)

    @property
    def dedup_key(self) -> str:
        return f"weave:{self.alert.integration}:{self.alert.slo}:{self.alert.id}"

    def to_dict(self) -> dict[str, Any]:
        a = self.alert
        return {"type": EVENT_TYPES[self.action],
                "title": self.title, "text": self.text, "owner": self.owner, "contacts_of": self.contacts_of,
                "dedup_key": self.dedup_key,
                "alert": {"id": a.id, "integration": a.integration, "slo": a.slo, "status": a.status,
                          "message": a.message, "detail": a.detail, "opened_at": a.opened_at,
                          "resolved_at": a.resolved_at, "escalated_at": a.escalated_at},
                "slo": self.description}
