"""Thresholds of the framework and the audit, with defaults from the article; overridable in weave.toml.

```toml
[plan]
point_to_point_max = 5          # "the integration count is low (fewer than 5)" / "exceeds 5"
very_low_count = 2              # "For a CRM with one or two integrations, point-to-point is often the right choice"
high_records_per_transaction = 10000
high_records_per_day = 1000000

[audit]
max_point_to_point_per_system = 5
hub_many_spokes = 5
max_integrations_per_owner = 10
realtime_max_records_per_transaction = 10000
```
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any


@dataclass(frozen=True)
class Limits:
    point_to_point_max: int = 5
    very_low_count: int = 2
    high_records_per_transaction: int = 10_000
    high_records_per_day: int = 1_000_000
    max_point_to_point_per_system: int = 5
    hub_many_spokes: int = 5
    max_integrations_per_owner: int = 10
    realtime_max_records_per_transaction: int = 10_000

    @classmethod
    def from_settings(cls, settings: dict[str, Any] | None) -> Limits:
        """Read `[plan]` and `[audit]` from weave.toml settings; unknown or non-integer values keep the default."""
        values: dict[str, int] = {}
        names = {f.name for f in fields(cls)}
        for section in ("plan", "audit"):
            table = (settings or {}).get(section)
            if not isinstance(table, dict):
                continue
            for key, value in table.items():
                if key in names and isinstance(value, int) and not isinstance(value, bool) and value >= 0:
                    values[key] = value
        return cls(**values)
