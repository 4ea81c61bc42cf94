"""`weave demo`: the whole example ecosystem end to end on the embedded default.

In an empty temporary state it starts the simulated systems, applies `specs/`, runs `weave serve`,
drives realistic traffic through every integration (webhooks signed like the real senders, gateway
calls with a demo key, one batch run of each batch job), and reports what each integration delivered.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import secrets
import shutil
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import orjson

from weave.api.deploy import apply_deploy, git_meta, plan_deploy
from weave.runtime.serve import Server
from weave.secrets import resolve
from weave.state import RevisionMeta, open_state

REF_RE = re.compile(r"\$\{env:([A-Za-z_][A-Za-z0-9_]*)\}")
Progress = Callable[[str], None]


@dataclass
class DemoRow:
    name: str
    pattern: str
    owner: str | None
    delivered: int = 0
    failed: int = 0
    dead_lettered: int = 0
    note: str = ""

    @property
    def ok(self) -> bool:
        return self.delivered > 0 and self.failed == 0 and not self.note.startswith("error")

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "pattern": self.pattern, "owner": self.owner, "delivered": self.delivered,
                "failed": self.failed, "dead_lettered": self.dead_lettered, "ok": self.ok, "note": self.note}


@dataclass
class DemoResult:
    rows: list[DemoRow] = field(default_factory=list)
    revision: int = 0
    seconds: float = 0.0
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and bool(self.rows) and all(r.ok for r in self.rows)

    def to_dict(self) -> dict[str, Any]:
        return {"format": "weave.demo/v1", "ok": self.ok, "revision": self.revision,
                "seconds": round(self.seconds, 2), "error": self.error,
                "integrations": [r.to_dict() for r in self.rows]}


@contextlib.contextmanager
def _environment(values: dict[str, str]) -> Iterator[None]:
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, old in saved.items():
            if old is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = old


def _referenced_env(specs: Path) -> set[str]:
    names: set[str] = set()
    for path in specs.rglob("*.y*ml"):
        names.update(REF_RE.findall(path.read_text()))
    return names


def demo_environment(specs: Path, cluster_env: dict[str, str], workdir: Path) -> dict[str, str]:
    """The simulated systems' URLs and credentials, plus generated values for every other reference."""
    env = dict(cluster_env)
    env.setdefault("WAREHOUSE_DSN", f"sqlite:///{workdir / 'warehouse.db'}")
    for name in sorted(_referenced_env(specs) - set(env) - set(os.environ)):
        env[name] = f"demo-{name.lower().replace('_', '-')}-{secrets.token_hex(8)}"
    return env


def _sign(scheme: str, secret: str, body: bytes) -> dict[str, str]:
    from weave.sandbox import sign_webhook

    sandbox_scheme = {"standard-webhooks": "standard"}.get(scheme, scheme)
    return dict(sign_webhook(sandbox_scheme, secret, f"msg_{uuid.uuid4().hex}", int(time.time()), body))


async def _post_examples(client: httpx.AsyncClient, base_url: str, flow: Any) -> int:
    """POST the webhook examples a spec documents (trigger.webhook.example), signed like the sender."""
    block = (flow.integration.raw.get("trigger") or {}).get("webhook") or {}
    examples = block.get("example")
    if examples is None:
        return 0
    sent = 0
    for example in examples if isinstance(examples, list) else [examples]:
        body = orjson.dumps(example)
        headers = {"content-type": "application/json"}
        signature = block.get("signature")
        if signature:
            headers.update(_sign(signature["scheme"], str(resolve(signature["secret"])), body))
        response = await client.post(f"{base_url}{block['path']}", content=body, headers=headers)
        response.raise_for_status()
        sent += 1
    return sent


async def _drive(server: Server, base_url: str, progress: Progress) -> dict[str, str]:
    """Exercise every flow once; returns notes per integration."""
    supervisor = server.supervisor
    assert supervisor is not None and supervisor.current is not None
    notes: dict[str, str] = {}
    async with httpx.AsyncClient(timeout=30) as client:
        for flow in supervisor.current.flows:
            try:
                if flow.routes():
                    sent = await _post_examples(client, base_url, flow)
                    if sent:
                        notes[flow.name] = f"{sent} webhook(s)"
                exercise = getattr(flow, "exercise", None)
                if exercise is not None:
                    notes[flow.name] = str(await exercise(base_url, client))
                elif flow.pattern == "etl-batch":
                    # a batch never starts inside a peak window unless forced: the demo forces its one run
                    result = await flow.run_once(force=True)
                    counts = result.get("counts", {})
                    notes[flow.name] = (f"batch {result.get('status')}: {counts.get('loaded', 0)} loaded, "
                                        f"{counts.get('skipped', 0)} skipped (forced outside the schedule)")
            except Exception as exc:  # noqa: BLE001 - reported per integration, the demo goes on
                notes[flow.name] = f"error: {type(exc).__name__}: {exc}"
            progress(f"drove {flow.name} ({flow.pattern})")
    return notes


async def _collect(state_url: str, plan: dict[str, Any], since: float, notes: dict[str, str]) -> list[DemoRow]:
    state = await open_state(state_url)
    try:
        stats = {s.integration: s for s in await state.delivery_stats_all(since)}
        dlq = {s.integration: s.depth for s in await state.dlq_stats()}
    finally:
        await state.close()
    rows = []
    for entry in plan.get("integrations", []):
        name = entry["name"]
        s = stats.get(name)
        rows.append(DemoRow(name=name, pattern=" + ".join(entry.get("patterns", [])), owner=entry.get("owner"),
                            delivered=s.delivered if s else 0, failed=s.failed if s else 0,
                            dead_lettered=dlq.get(name, 0), note=notes.get(name, "")))
    return rows


async def run_demo(specs: Path, *, progress: Progress | None = None, timeout: float = 60.0,
                   keep: Path | None = None) -> DemoResult:
    from weave.sandbox import SandboxCluster
    from weave.sandbox.services import free_port

    say = progress or (lambda _msg: None)
    started = time.monotonic()
    workdir = Path(keep) if keep else Path(tempfile.mkdtemp(prefix="weave-demo-"))
    workdir.mkdir(parents=True, exist_ok=True)
    state_url = f"sqlite:///{workdir / 'state.db'}"
    result = DemoResult()
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    try:
        say("starting the simulated systems")
        with SandboxCluster() as cluster, _environment(demo_environment(specs, cluster.env(), workdir)):
            say("applying specs/ to an empty embedded state")
            state = await open_state(state_url)
            try:
                deploy = await asyncio.to_thread(plan_deploy, [specs], None)
                if not deploy.ok:
                    errors = [f"{d.file}:{d.line}:{d.column} {d.code} {d.message}" for d in deploy.diagnostics
                              if d.severity.value == "error"]
                    result.error = "the example specs do not apply: " + "; ".join(errors[:5])
                    return result
                meta = git_meta([specs], "weave demo")
                result.revision = await apply_deploy(state, deploy, RevisionMeta(
                    git_commit=meta.git_commit, author=meta.author, message="weave demo"), holder="weave-demo")
            finally:
                await state.close()
            server = Server(state_url=state_url, bus_url=state_url, port=port, log=False, worker_id="demo")
            await server.open()
            stop = asyncio.Event()
            ready = asyncio.Event()

            async def on_ready(_: Server) -> None:
                ready.set()

            server.on_ready = on_ready
            serving = asyncio.create_task(server.serve_forever(stop))
            await asyncio.wait_for(ready.wait(), 30)
            say(f"weave serve is up on {base_url}")
            since = time.time() - 1
            notes = await _drive(server, base_url, say)
            deadline = time.monotonic() + timeout
            rows: list[DemoRow] = []
            while time.monotonic() < deadline:
                rows = await _collect(state_url, deploy.plan, since, notes)
                if rows and all(r.delivered > 0 for r in rows):
                    break
                await asyncio.sleep(0.25)
            await asyncio.sleep(0.3)  # let in-flight retries settle before the final count
            result.rows = await _collect(state_url, deploy.plan, since, notes)
            stop.set()
            await serving
    except Exception as exc:  # noqa: BLE001 - the demo reports, it does not crash
        result.error = f"{type(exc).__name__}: {exc}"
    finally:
        result.seconds = time.monotonic() - started
        if keep is None:
            shutil.rmtree(workdir, ignore_errors=True)
    return result
