"""The simulated systems (shared with the runtime tests) and a deployed example ecosystem."""

from __future__ import annotations

from tests.runtime.conftest import EVENT_DRIVEN, bus_url, cluster, deployed, sandbox_env  # noqa: F401 - reused
