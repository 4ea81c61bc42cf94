"""Serving the gateway with uvicorn (httptools parser, uvloop when present).

- `serve(app, host, port)`: run one worker in this process (async).
- `app_from_env()`: an app factory for `uvicorn --factory --workers N`, reading the JSON file named
  by `WEAVE_GATEWAY_CONFIG` (`{"integrations": [...], "consumers": [...], "systems": {...},
  "settings": {...}, "keys": "path/to/keys.sqlite", "access_log": true}`). Each worker builds its own
  app; with `settings.redis_url` set, rate limits are shared by every worker through Redis.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from pathlib import Path
from typing import Any

from weave.gateway.adapter import gateway_config_from_specs
from weave.gateway.app import GatewayApp
from weave.gateway.keys import KeyStore, MemoryKeyStore, SqliteKeyStore


def uvicorn_config(app: Any, host: str = "127.0.0.1", port: int = 8080, **extra: Any) -> Any:
    import uvicorn

    try:
        import uvloop  # noqa: F401

        loop = "uvloop"
    except ImportError:  # pragma: no cover - uvicorn[standard] brings it
        loop = "asyncio"
    # proxy_headers off: the gateway is the edge and must not trust a client's X-Forwarded-For
    options: dict[str, Any] = {"host": host, "port": port, "http": "weave.gateway.protocol:GatewayHttpProtocol",
                               "loop": loop, "lifespan": "on",
                               "access_log": False, "log_level": "warning", "server_header": False,
                               "proxy_headers": False, "timeout_keep_alive": 30}
    options.update(extra)
    return uvicorn.Config(app, **options)


async def serve(app: GatewayApp, host: str = "127.0.0.1", port: int = 8080, **extra: Any) -> None:
    import uvicorn

    await uvicorn.Server(uvicorn_config(app, host, port, **extra)).serve()


def keystore_from(spec: str | None) -> KeyStore:
    if not spec:
        return MemoryKeyStore()
    return SqliteKeyStore(spec)


def enable_access_log(stream: Any = None) -> None:
    """Write the JSON access log lines (one per request) to `stream` (default stdout)."""
    logger = logging.getLogger("weave.gateway.access")
    if not any(getattr(h, "_weave_access", False) for h in logger.handlers):
        handler = logging.StreamHandler(stream or sys.stdout)
        handler.setFormatter(logging.Formatter("%(message)s"))
        handler._weave_access = True  # type: ignore[attr-defined]
        logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False


def app_from_file(path: str | Path) -> GatewayApp:
    data = json.loads(Path(path).read_text())
    if data.get("access_log"):
        enable_access_log()
    config = gateway_config_from_specs(data.get("integrations", []), data.get("consumers", []),
                                       data.get("systems", {}), data.get("settings"))
    return GatewayApp(config, keys=keystore_from(data.get("keys")))


def app_from_env() -> GatewayApp:
    path = os.environ.get("WEAVE_GATEWAY_CONFIG")
    if not path:
        raise RuntimeError("WEAVE_GATEWAY_CONFIG must name the gateway's JSON config file")
    return app_from_file(path)


def run(host: str = "127.0.0.1", port: int = 8080, workers: int = 1) -> None:
    """Serve the app described by `WEAVE_GATEWAY_CONFIG` with `workers` processes (blocking)."""
    import uvicorn

    config = uvicorn_config("weave.gateway.server:app_from_env", host, port, factory=True, workers=workers)
    if workers > 1:
        uvicorn.run(config.app, **{k: getattr(config, k) for k in (
            "host", "port", "http", "loop", "lifespan", "access_log", "log_level", "server_header",
            "proxy_headers", "timeout_keep_alive", "factory", "workers")})
    else:
        uvicorn.Server(config).run()


if __name__ == "__main__":  # python -m weave.gateway.server PORT [WORKERS]
    run(port=int(sys.argv[1]) if len(sys.argv) > 1 else 8080, workers=int(sys.argv[2]) if len(sys.argv) > 2 else 1)
