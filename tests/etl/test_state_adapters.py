"""The batch engine on the shared state store: checkpoints, leases, run history and the DLQ."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import etl_testkit as kit
import httpx

from weave.errors import TransformError
from weave.etl import (
    BatchJob,
    CursorSpec,
    HttpBulkTarget,
    LeaseLostError,
    StateCheckpointStore,
    StateDeadLetters,
    StateLease,
    StateRunRecorder,
)
from weave.state import open_state


def reject_sevens(record: dict[str, Any]) -> dict[str, Any]:
    if record["id"] % 7 == 0:
        raise TransformError("sevens are not allowed", step="filter-sevens")
    return record


async def test_batch_job_on_the_state_store(source_url: str, sink: Any, tmp_path: Path) -> None:
    store = await open_state(f"sqlite:///{tmp_path}/state.db")
    async with store:
        lease = StateLease(store, holder="worker-1")

        def make() -> BatchJob:
            target = HttpBulkTarget(httpx.AsyncClient(base_url=source_url), "/bulk", StateCheckpointStore(store))
            return BatchJob(
                "crm-to-erp", kit.rest_source(source_url), target, transform=reject_sevens,
                cursor=CursorSpec("updated_at", "id"), chunk_size=100, lease=lease,
                recorder=StateRunRecorder(store, worker="worker-1"),
                on_reject=StateDeadLetters(store, "crm-to-erp", source="crm", target="erp"),
            )

        result = await make().run()
        assert result.counts.loaded == 215 and result.counts.rejected == 35
        runs = await store.runs("crm-to-erp")
        assert [r.status for r in runs] == ["ok"]
        assert runs[0].counts["loaded"] == 215 and runs[0].counts["rejected"] == 35
        assert runs[0].worker == "worker-1" and runs[0].duration_s is not None
        dead = await store.dlq_list("crm-to-erp")
        assert len(dead) == 35 and dead[0].error == "filter-sevens: sevens are not allowed"
        assert dead[0].payload["id"] == 7 and dead[0].key == "7"
        saved = await store.get_cursor("etl:crm-to-erp")
        assert saved is not None and saved["cursor"] == result.cursor

        # two jobs of one worker get distinct holder ids: the store's lease stays exclusive between them
        other = StateLease(store, holder="worker-1")
        assert other.holder != lease.holder and other.holder.startswith("worker-1:")
        assert await other.acquire("crm-to-erp", 30)
        try:
            await make().run()
        except LeaseLostError:
            pass
        else:
            raise AssertionError("two jobs of the same worker ran at once")
        await other.release("crm-to-erp")

        # another worker holds the lease: this one refuses to run, and says so
        assert await store.acquire_lease("etl:crm-to-erp", "worker-2", 30)
        try:
            await make().run()
        except LeaseLostError as exc:
            assert "another worker" in str(exc)
        else:
            raise AssertionError("the job ran without its lease")
        await store.release_lease("etl:crm-to-erp", "worker-2")
        again = await make().run()
        assert again.counts.loaded == 0
        assert [r.status for r in await store.runs("crm-to-erp")] == ["ok", "ok"]
