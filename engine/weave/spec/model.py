"""Frozen, typed views of the specs. The raw mapping stays on `.raw` for the runtime blocks."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from weave.spec.yamlload import Document

STANDARD_STYLES = frozenset({"rest", "graphql"})
STANDARD_AUTH = frozenset({"none", "api-key", "basic", "bearer", "oauth2-client-credentials"})


@dataclass(frozen=True)
class Location:
    file: str
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


@dataclass(frozen=True)
class Spec:
    kind: str
    name: str
    raw: dict[str, Any] = field(repr=False, compare=False)
    doc: Document = field(repr=False, compare=False)

    @property
    def loc(self) -> Location:
        return Location(self.doc.file, self.doc.line, self.doc.column)

    def pos(self, *path: str | int) -> Location:
        line, col = self.doc.position(path)
        return Location(self.doc.file, line, col)

    def key_pos(self, *path: str | int) -> Location:
        line, col = self.doc.key_position(path)
        return Location(self.doc.file, line, col)

    @property
    def owner(self) -> str | None:
        owner = self.raw.get("owner")
        return owner if isinstance(owner, str) and owner.strip() else None


@dataclass(frozen=True)
class System(Spec):
    @property
    def style(self) -> str:
        return str(self.raw.get("api", {}).get("style", "rest"))

    @property
    def auth_type(self) -> str:
        auth = self.raw.get("api", {}).get("auth") or {}
        return str(auth.get("type", "none"))

    @property
    def is_standard(self) -> bool:
        """Standard API: REST/GraphQL with ordinary auth (the article's 'modern SaaS' case)."""
        return self.style in STANDARD_STYLES and self.auth_type in STANDARD_AUTH

    @property
    def role(self) -> str:
        return str(self.raw.get("role", "system"))

    @property
    def base_url(self) -> str | None:
        url = self.raw.get("api", {}).get("base_url")
        return str(url) if url is not None else None


@dataclass(frozen=True)
class Integration(Spec):
    @property
    def source(self) -> str:
        return str(self.raw.get("source", ""))

    @property
    def targets(self) -> tuple[str, ...]:
        if isinstance(self.raw.get("targets"), list):
            return tuple(str(t) for t in self.raw["targets"])
        if self.raw.get("target") is not None:
            return (str(self.raw["target"]),)
        return ()

    @property
    def systems(self) -> tuple[str, ...]:
        return (self.source, *self.targets)

    @property
    def direction(self) -> str:
        return str(self.raw.get("direction", ""))

    @property
    def timing(self) -> str:
        return str(self.raw.get("timing", ""))

    @property
    def coupling(self) -> str:
        return str(self.raw.get("coupling", ""))

    @property
    def records_per_transaction(self) -> int:
        return int((self.raw.get("volume") or {}).get("records_per_transaction", 0) or 0)

    @property
    def transactions_per_day(self) -> int:
        return int((self.raw.get("volume") or {}).get("transactions_per_day", 0) or 0)

    @property
    def transform_complexity(self) -> str | None:
        value = self.raw.get("transform_complexity")
        return str(value) if value else None

    @property
    def exposure(self) -> str:
        return str(self.raw.get("exposure", "internal"))

    @property
    def pattern_override(self) -> str | None:
        value = self.raw.get("pattern", "auto")
        return None if value in (None, "auto") else str(value)

    @property
    def pattern_reason(self) -> str | None:
        value = self.raw.get("pattern_reason")
        return str(value) if value else None

    @property
    def events_used(self) -> tuple[str, ...]:
        names: list[str] = []
        trigger = self.raw.get("trigger") or {}
        if isinstance(trigger, dict) and isinstance(trigger.get("event"), str):
            names.append(trigger["event"])
        publish = self.raw.get("publish") or {}
        if isinstance(publish, dict) and isinstance(publish.get("event"), str):
            names.append(publish["event"])
        return tuple(names)

    @property
    def subscribes_to(self) -> str | None:
        trigger = self.raw.get("trigger") or {}
        value = trigger.get("event") if isinstance(trigger, dict) else None
        return value if isinstance(value, str) else None

    @property
    def publishes(self) -> str | None:
        publish = self.raw.get("publish") or {}
        value = publish.get("event") if isinstance(publish, dict) else None
        return value if isinstance(value, str) else None


@dataclass(frozen=True)
class Event(Spec):
    @property
    def version(self) -> int:
        return int(self.raw.get("version", 1))

    @property
    def publisher(self) -> str | None:
        value = self.raw.get("publisher")
        return str(value) if value else None

    @property
    def schema(self) -> dict[str, Any]:
        value = self.raw.get("schema")
        return value if isinstance(value, dict) else {}


@dataclass(frozen=True)
class Owner(Spec):
    @property
    def contacts(self) -> dict[str, Any]:
        value = self.raw.get("contacts")
        return value if isinstance(value, dict) else {}


@dataclass(frozen=True)
class Consumer(Spec):
    pass


@dataclass(frozen=True)
class Transform(Spec):
    pass


@dataclass(frozen=True)
class Table(Spec):
    pass


MODEL_BY_KIND: dict[str, type[Spec]] = {
    "system": System,
    "integration": Integration,
    "event": Event,
    "owner": Owner,
    "consumer": Consumer,
    "transform": Transform,
    "table": Table,
}


@dataclass
class Project:
    """Every spec found under the given paths, by kind and name (first definition wins on duplicates)."""

    root: str | None = None
    systems: dict[str, System] = field(default_factory=dict)
    integrations: dict[str, Integration] = field(default_factory=dict)
    events: dict[str, Event] = field(default_factory=dict)
    owners: dict[str, Owner] = field(default_factory=dict)
    consumers: dict[str, Consumer] = field(default_factory=dict)
    transforms: dict[str, Transform] = field(default_factory=dict)
    tables: dict[str, Table] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)
    settings: dict[str, Any] = field(default_factory=dict)

    def table_for(self, kind: str) -> dict[str, Any]:
        tables: dict[str, dict[str, Any]] = {
            "system": self.systems,
            "integration": self.integrations,
            "event": self.events,
            "owner": self.owners,
            "consumer": self.consumers,
            "transform": self.transforms,
            "table": self.tables,
        }
        return tables[kind]

    def all_specs(self) -> list[Spec]:
        out: list[Spec] = []
        for kind in MODEL_BY_KIND:
            out.extend(self.table_for(kind).values())
        return out
