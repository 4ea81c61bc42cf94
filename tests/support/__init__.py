"""Helpers shared by the test packages: spec-text builders, the `weave` CLI as a subprocess, state access."""
