"""Operational tests reuse the runtime fixtures: the simulated systems and their environment."""

from tests.runtime.conftest import cluster, sandbox_env

__all__ = ["cluster", "sandbox_env"]
