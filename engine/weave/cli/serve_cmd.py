"""`weave serve`: run every deployed flow."""

from __future__ import annotations

import asyncio

import click

from weave.cli._state import settings_from, state_options


@click.command("serve")
@state_options
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8080, show_default=True, type=int)
@click.option("--admin-token", default=None, help="Token for /status (env WEAVE_ADMIN_TOKEN).")
@click.option("--worker-id", default=None, help="Name of this worker (default host:pid).")
@click.option("--watch", "watch_dir", type=click.Path(exists=True, file_okay=False), default=None,
              help="Plan and apply on every file change under this directory (local development).")
def serve(state_url: str | None, bus_url: str | None, config: str | None, host: str, port: int,
          admin_token: str | None, worker_id: str | None, watch_dir: str | None) -> None:
    """Run every deployed flow: gateway routes, webhook ingest, hub, event subscribers, batches.

    Watches the state store and switches to a newly applied revision without dropping in-flight
    messages. SIGTERM drains and exits. /healthz, /readyz, /metrics and /status (admin token).

    \b
    Examples:
      weave serve                                   # embedded SQLite state and bus
      weave serve --watch specs/                    # local development: apply on save
      weave serve --state postgresql://weave@db/weave --bus redis://cache:6379/0 --port 8081
    """
    from weave.runtime.serve import Server

    settings = settings_from(state_url, bus_url, config, admin_token)

    async def main() -> None:
        server = Server(state_url=settings.state_url, bus_url=settings.bus_url, host=host, port=port,
                        admin_token=settings.admin_token, worker_id=worker_id)
        await server.open()
        watcher = None
        if watch_dir:
            from weave.api.watch import SpecWatcher

            assert server.supervisor is not None
            watcher = SpecWatcher(watch_dir, settings.state_url, server.logger,
                                  on_applied=server.supervisor.revision_applied)
            watcher.start(asyncio.get_running_loop())
        try:
            await server.serve_forever()
        finally:
            if watcher is not None:
                watcher.stop()

    try:
        import uvloop  # uvicorn[standard] brings it; measured ~20% less CPU per gateway request

        uvloop.run(main())
    except ImportError:  # pragma: no cover
        asyncio.run(main())
