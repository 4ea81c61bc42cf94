"""SLO alerts and silences (used by weave.ownership): one open alert per integration and SLO.

The dedup is the partial unique index ``weave_alerts_open (integration, slo) WHERE status = 'open'``:
two workers that see the same breach open one alert between them. Escalation, acknowledgement and
resolution are compare-and-set updates, so each happens (and notifies) exactly once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from weave.state._codec import dumps, loads
from weave.state._driver import Driver, Row
from weave.state._types import JSONDict, StateError

ALERT_STATUSES = ("open", "resolved")
_COLS = ("id, integration, slo, owner, status, message, detail, opened_at, resolved_at, acked_at, acked_by, "
         "escalated_at")


@dataclass(frozen=True)
class Alert:
    id: int
    integration: str
    slo: str
    owner: str | None
    status: str  # open | resolved
    message: str
    detail: JSONDict
    opened_at: float
    resolved_at: float | None
    acked_at: float | None
    acked_by: str | None
    escalated_at: float | None

    @property
    def acked(self) -> bool:
        return self.acked_at is not None


@dataclass(frozen=True)
class Silence:
    integration: str
    until: float
    created_at: float
    created_by: str | None
    reason: str | None


def _f(value: Any) -> float | None:
    return None if value is None else float(value)


def _alert(row: Row) -> Alert:
    return Alert(id=int(row[0]), integration=row[1], slo=row[2], owner=row[3], status=row[4], message=row[5],
                 detail=loads(row[6], {}), opened_at=float(row[7]), resolved_at=_f(row[8]), acked_at=_f(row[9]),
                 acked_by=row[10], escalated_at=_f(row[11]))


class AlertsMixin:
    _db: Driver

    async def alerts_open(self, integration: str, slo: str, message: str, *, owner: str | None = None,
                          detail: JSONDict | None = None, at: float | None = None) -> tuple[Alert, bool]:
        """The open alert of (integration, slo) and whether this call opened it (False: already open)."""
        row = await self._db.fetchone(
            f"""INSERT INTO weave_alerts (integration, slo, owner, status, message, detail, opened_at)
            VALUES (%s, %s, %s, 'open', %s, %s, COALESCE(%s, weave_now()))
            ON CONFLICT (integration, slo) WHERE status = 'open' DO NOTHING
            RETURNING {_COLS}""",
            (integration, slo, owner, message, dumps(detail or {}), at),
            write=True,
        )
        if row is not None:
            return _alert(row), True
        existing = await self._db.fetchone(
            f"SELECT {_COLS} FROM weave_alerts WHERE integration = %s AND slo = %s AND status = 'open'",
            (integration, slo),
        )
        if existing is None:  # resolved between the two statements: open a fresh one
            return await self.alerts_open(integration, slo, message, owner=owner, detail=detail, at=at)
        return _alert(existing), False

    async def alerts_get(self, alert_id: int) -> Alert | None:
        row = await self._db.fetchone(f"SELECT {_COLS} FROM weave_alerts WHERE id = %s", (int(alert_id),))
        return _alert(row) if row else None

    async def alerts_resolve(self, alert_id: int, *, at: float | None = None) -> bool:
        """True only for the call that resolved it (the one that sends the resolved notice)."""
        return await self._db.execute(
            "UPDATE weave_alerts SET status = 'resolved', resolved_at = COALESCE(%s, weave_now()) "
            "WHERE id = %s AND status = 'open'", (at, int(alert_id))) > 0

    async def alerts_ack(self, alert_id: int, by: str | None = None) -> bool:
        """Acknowledge an open alert (stops its escalation). False if unknown, resolved or already acked."""
        return await self._db.execute(
            "UPDATE weave_alerts SET acked_at = weave_now(), acked_by = %s "
            "WHERE id = %s AND status = 'open' AND acked_at IS NULL", (by, int(alert_id))) > 0

    async def alerts_escalate(self, alert_id: int, *, at: float | None = None) -> bool:
        """Mark an open, unacknowledged alert escalated; True only for the call that did it."""
        return await self._db.execute(
            "UPDATE weave_alerts SET escalated_at = COALESCE(%s, weave_now()) "
            "WHERE id = %s AND status = 'open' AND acked_at IS NULL AND escalated_at IS NULL",
            (at, int(alert_id))) > 0

    async def alerts_list(self, *, status: str | None = None, integration: str | None = None,
                          limit: int = 100) -> list[Alert]:
        """Newest first."""
        if status is not None and status not in ALERT_STATUSES:
            raise StateError(f"unknown alert status {status!r}; known: {', '.join(ALERT_STATUSES)}")
        sql, params = f"SELECT {_COLS} FROM weave_alerts WHERE 1 = 1", list[Any]()
        if status is not None:
            sql += " AND status = %s"
            params.append(status)
        if integration is not None:
            sql += " AND integration = %s"
            params.append(integration)
        sql += " ORDER BY id DESC LIMIT %s"
        params.append(int(limit))
        return [_alert(r) for r in await self._db.fetchall(sql, params)]

    async def alerts_silence(self, integration: str, until: float, *, by: str | None = None,
                             reason: str | None = None) -> Silence:
        """Silence an integration's notifications until `until` (replaces an existing silence)."""
        row = await self._db.fetchone(
            """INSERT INTO weave_silences (integration, until, created_at, created_by, reason)
            VALUES (%s, %s, weave_now(), %s, %s)
            ON CONFLICT (integration) DO UPDATE SET until = excluded.until, created_at = excluded.created_at,
                created_by = excluded.created_by, reason = excluded.reason
            RETURNING integration, until, created_at, created_by, reason""",
            (integration, float(until), by, reason),
            write=True,
        )
        assert row is not None
        return Silence(row[0], float(row[1]), float(row[2]), row[3], row[4])

    async def alerts_silences(self, *, active_at: float | None = None) -> list[Silence]:
        """Silences still in force at `active_at` (default: now, the store's clock)."""
        rows = await self._db.fetchall(
            "SELECT integration, until, created_at, created_by, reason FROM weave_silences "
            "WHERE until > COALESCE(%s, weave_now()) ORDER BY integration", (active_at,))
        return [Silence(r[0], float(r[1]), float(r[2]), r[3], r[4]) for r in rows]
