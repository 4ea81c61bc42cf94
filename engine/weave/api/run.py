"""`run_integration()`: run one deployed integration's pull side now (a batch, a poll), with progress."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from weave import secrets
from weave.bus import open_bus
from weave.etl import reap_stale_runs, secret_values
from weave.runtime.supervisor import Supervisor
from weave.state import open_state

Progress = Callable[[int, int | None], Any]


class NotDeployed(ValueError):
    pass


class RunFailed(RuntimeError):
    """The run raised. Its text is `Type: message` with the resolved value of every secret reference of the
    deployed specs replaced by `***` (defence in depth: connectors already keep secrets out of their errors)."""


async def run_integration(state_url: str, bus_url: str, name: str, *, on_chunk: Progress | None = None,
                          force: bool = False, full_refresh: bool = False, since: str | None = None) -> dict[str, Any]:
    state = await open_state(state_url)
    bus = await open_bus(bus_url)
    try:
        revision = await state.current_revision()
        if revision is None:
            raise NotDeployed("nothing is deployed: run `weave apply` first")
        supervisor = Supervisor(state=state, bus=bus)  # worker id host:pid, recorded on the run row
        try:
            loaded, services = supervisor.build(revision)
            flow = next((f for f in loaded.flows if f.name == name), None)
            if flow is None:
                known = sorted({f.name for f in loaded.flows})
                why = next((v for k, v in loaded.skipped.items() if k.startswith(f"{name}/")), None)
                raise NotDeployed(f"integration {name!r} cannot run: {why}" if why else
                                  f"integration {name!r} is not deployed (deployed: {', '.join(known)})")
            await flow.prepare(services)
            options: dict[str, Any] = {"force": force, "full_refresh": full_refresh, "since": since}
            if on_chunk is not None:
                options["on_chunk"] = on_chunk
            try:
                result = await flow.run_once(**options)
            except NotImplementedError as exc:
                raise NotDeployed(str(exc)) from None
            await services.recorder.flush()
            await services.aclose()
        except NotDeployed:
            raise
        except Exception as exc:
            text = secrets.redact_error(f"{type(exc).__name__}: {exc}", secret_values(revision.specs))
            raise RunFailed(text) from None  # not chained: the original text may hold a secret
        return {"integration": name, "pattern": flow.pattern, "revision": revision.id,
                "worker": supervisor.worker_id, **result}
    finally:
        await bus.close()
        await state.close()


async def run_history(state_url: str, name: str | None, limit: int, *, reap: bool = True) -> list[dict[str, Any]]:
    """Newest first. With `reap`, rows still `running` whose worker lost its lease are first closed as
    `abandoned` (`weave.etl.reap_stale_runs`), so a killed worker's run does not stay `running` forever."""
    state = await open_state(state_url)
    try:
        if reap:
            await reap_stale_runs(state)
        return [run_row(r) for r in await state.runs(name, limit=limit)]
    finally:
        await state.close()


def run_row(r: Any) -> dict[str, Any]:
    """One `weave runs --format json` row (a `weave.state.RunRecord`)."""
    return {"id": r.id, "integration": r.integration, "kind": r.kind, "status": r.status,
            "started_at": r.started_at, "finished_at": r.finished_at, "duration_s": r.duration_s,
            "counts": r.counts, "error": r.error, "revision": r.revision, "worker": r.worker,
            "lease_holder": r.lease_holder}
