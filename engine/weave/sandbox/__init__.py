"""Simulated systems and throwaway services for the demo, the tests and the benchmarks.

Nothing in the engine's core imports this package. The public face (imported lazily, so that
``weave.sandbox.services`` stays cheap to import):

- `SandboxCluster`: every simulated system of Acme Industrial on free loopback ports
  (``async with`` in the caller's loop, or ``with`` / ``start_in_thread()`` in one background thread);
- `sandbox_process()`: the same cluster in a child process (benchmarks);
- `SimService`: the base class, for systems of your own (``SandboxCluster(extra=...)``);
- `WebhookConfig`, `sign_webhook`: outbound webhook settings and the three signature schemes.

See docs/design/sandbox.md for every endpoint, credential and admin call.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "SandboxCluster": "weave.sandbox.cluster",
    "SandboxProcess": "weave.sandbox.cluster",
    "sandbox_process": "weave.sandbox.cluster",
    "SERVICES": "weave.sandbox.cluster",
    "SimService": "weave.sandbox._base",
    "WebhookConfig": "weave.sandbox._webhooks",
    "sign_webhook": "weave.sandbox._webhooks",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'weave.sandbox' has no attribute {name!r}")
    attr = "sign" if name == "sign_webhook" else name
    return getattr(importlib.import_module(module), attr)
