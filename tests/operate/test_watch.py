"""`weave serve --watch specs/` (local development): saving a spec applies a new revision within seconds;
a broken edit is not applied and the running revision keeps serving."""

from __future__ import annotations

import time
from pathlib import Path

import httpx

from tests.operate.support import MAPPING_V2, Worker, weave, write_specs
from tests.runtime.support import post_signed, received, wait_until
from tests.support.specs import ship_orders
from weave.sandbox.cluster import SandboxCluster


def test_watch_applies_on_save(cluster: SandboxCluster, sandbox_env: dict[str, str], tmp_path: Path) -> None:
    state = f"sqlite:///{tmp_path}/state.db"
    specs = write_specs(tmp_path, hub=False)
    with Worker("--state", state, "--watch", str(specs), log_path=tmp_path / "serve.log") as serve, \
            httpx.Client() as client:
        serve.wait_ready()
        wait_until(lambda: serve.revision() == 1, timeout=15)  # applied once at start
        assert post_signed(client, f"{serve.url}/hooks/orders", {"id": "A-1", "lines": [{"sku": "A", "qty": 1}]}).json()["delivered"] == 1

        saved = time.monotonic()
        (specs / "p2p.yaml").write_text(ship_orders(MAPPING_V2))
        wait_until(lambda: serve.revision() == 2, timeout=10)
        elapsed = time.monotonic() - saved
        assert post_signed(client, f"{serve.url}/hooks/orders", {"id": "A-2", "lines": [{"sku": "A", "qty": 1}]}).json()["delivered"] == 1

        # a broken save: reported in the log, not applied; the running revision keeps serving
        (specs / "p2p.yaml").write_text("kind: integration\nname: ship-orders\nsteps: [unclosed\n")
        wait_until(lambda: any(r["msg"].startswith("watch: specs have errors") for r in serve.logs()), timeout=10)
        assert serve.revision() == 2
        assert post_signed(client, f"{serve.url}/hooks/orders", {"id": "A-3", "lines": [{"sku": "A", "qty": 1}]}).json()["delivered"] == 1
        assert serve.terminate() == 0
    assert elapsed < 3, f"took {elapsed:.1f}s"  # debounce 0.3 s + plan + apply; the switch is immediate
    bodies = {e["body"]["order_ref"]: e["body"] for e in received(cluster, "operations")}
    assert "channel" not in bodies["A-1"] and bodies["A-2"]["channel"] == "v2" and bodies["A-3"]["channel"] == "v2"
    revisions = weave("revisions", "--state", state, "--format", "json")
    assert revisions.returncode == 0, revisions.stderr
    assert "weave serve --watch" in revisions.stdout
