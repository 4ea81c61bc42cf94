"""`BatchJob`: extract → transform → load in chunks, with checkpoints, resume, leases and reconciliation.

A run:
1. refuses to start inside a peak window of the source or the target unless `force=True`;
2. takes the job's lease (when a `Lease` is given) and renews it in the background every TTL/3; each successful
   renewal is reported to the recorder (`RunRecorder.renewed`: the worker's last sign of life, whatever the lease
   backend), bounded by TTL/3 and never failing the renewal (an error is logged);
3. loads the checkpoint from the target (database targets) or the checkpoint store (others). If the previous
   run did not finish, this run *resumes* it: same run id, same lower bound, extract position of the last
   committed chunk, counts so far;
4. streams pages from the source (a bounded queue: memory stays flat), groups them into chunks of at least
   `chunk_size` records, filters records at or below the committed cursor, transforms them, sends rejected
   records to the dead-letter hook, and hands the rows plus the next checkpoint to the target, which commits
   both together (or the checkpoint strictly after the rows);
5. reconciles: rows acknowledged = rows transformed, records extracted = the total the source announced
   (when it announced one). A mismatch fails the run loudly and leaves the cursor where it was;
6. finishes: commits the new cursor (the highest key seen) and records the run. A run's error text has every
   resolved secret of its systems (`secret_values`, set by `build_job`) replaced by `***`.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
import time
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from weave.etl._chunk import as_transform, process
from weave.etl._cursor import CursorSpec
from weave.etl._errors import BatchConfigError, LeaseLostError, PeakHoursError, ReconciliationError
from weave.etl._schedule import OperatingWindows
from weave.etl._types import (
    Checkpoint,
    Counts,
    DeadLetterHook,
    DriftEvent,
    DriftHook,
    ExtractRequest,
    FireGuard,
    Lease,
    LoadAck,
    Page,
    ProgressHook,
    RunRecorder,
    RunResult,
    Source,
    Target,
)
from weave.secrets import redact_error

END = {"__end__": True}
_log = logging.getLogger("weave.etl")


async def _call(hook: Callable[..., Any] | None, *args: Any) -> None:
    if hook is None:
        return
    result = hook(*args)
    if inspect.isawaitable(result):
        await result


def _refused(n: int) -> Counts:
    return Counts(loaded=-n, rejected=n, load_rejected=n)


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass
class _Live:
    """The recorder's handle of the run in progress, shared with the lease renewer (None until recorded)."""

    handle: Any = None


@dataclass
class BatchJob:
    """One batch integration. See the module docstring for what a run does."""

    name: str
    source: Source
    target: Target
    transform: Any = None  # callable(record) -> dict | list[dict] | None, or a Pipeline with .run
    cursor: CursorSpec | None = None
    chunk_size: int = 10_000
    windows: OperatingWindows = field(default_factory=OperatingWindows)
    lease: Lease | None = None
    lease_ttl_s: float = 60.0
    on_chunk: ProgressHook | None = None  # (rows extracted so far, announced total or None)
    on_reject: DeadLetterHook | None = None  # (list[Rejected]) before the chunk commits: at least once
    on_drift: DriftHook | None = None
    recorder: RunRecorder | None = None
    verify_total: bool = True
    prefetch_records: int | None = None  # records read ahead of the chunk being built (default chunk_size)
    clock: Callable[[], datetime] = _now
    # the resolved secrets of the job's systems, replaced by *** in a run's error text (`build_job` sets it)
    secret_values: Callable[[], list[str]] | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if self.chunk_size < 1:
            raise BatchConfigError("batch.chunk_size must be at least 1")
        if self.cursor is not None and self.cursor.lag_s and getattr(self.target, "mode", None) == "insert":
            raise BatchConfigError(
                "a cursor lag re-reads the lag window on every run; with load mode insert that duplicates rows "
                "(use mode merge with a primary key, or lag 0)"
            )

    async def run(
        self, *, force: bool = False, full_refresh: bool = False, since: Any = None, fire: FireGuard | None = None,
    ) -> RunResult:
        """`fire`: the scheduled fire time this run serves; checked after the lease is acquired and recorded
        before it is released, so a worker that takes the lease next never runs the same fire time again."""
        now = self.clock()
        if not force:
            peak = self.windows.blocking(now)
            if peak is not None:
                raise PeakHoursError(peak.system or "a system", peak.describe(), self.windows.next_allowed(now))
        renewer: asyncio.Task[None] | None = None
        lost = asyncio.Event()
        live = _Live()
        if self.lease is not None:
            if not await self.lease.acquire(self.name, self.lease_ttl_s):
                raise LeaseLostError(f"job {self.name} is running on another worker (lease held)")
            renewer = asyncio.create_task(self._renew(lost, live))
        try:
            if fire is not None and not await fire.due():
                raise LeaseLostError(f"job {self.name}: this fire time was already handled by another worker")
            try:
                result = await self._run(now, force, full_refresh, since, lost, live)
            except LeaseLostError:
                raise  # the lease is gone: whoever holds it now owns the fire time
            except Exception:
                if fire is not None:
                    await fire.done()  # a failed run consumes its fire time too (the next one resumes it)
                raise
            if fire is not None:
                await fire.done()
            return result
        finally:
            if renewer is not None:
                renewer.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await renewer
            if self.lease is not None:
                with contextlib.suppress(Exception):
                    await self.lease.release(self.name)

    async def aclose(self) -> None:
        """Close what the job's source and target hold open between runs (HTTP clients). Call once, when the
        job is no longer needed (a job built by `build_job` owns its clients)."""
        with contextlib.suppress(Exception):
            await self.source.aclose()
        client = getattr(self.target, "client", None)
        if client is not None and hasattr(client, "aclose"):
            with contextlib.suppress(Exception):
                await client.aclose()
        with contextlib.suppress(Exception):
            await self.target.aclose()

    async def _renew(self, lost: asyncio.Event, live: _Live) -> None:
        assert self.lease is not None
        while True:
            await asyncio.sleep(self.lease_ttl_s / 3)
            try:
                ok = await self.lease.renew(self.name, self.lease_ttl_s)
            except Exception:  # a blip in the lease store: try again on the next tick
                continue
            if not ok:
                lost.set()
                return
            await self._renewed(live)

    async def _renewed(self, live: _Live) -> None:
        """Tell the recorder the lease was renewed (the run row's last sign of life). Bounded by TTL/3 so a slow
        store never delays the next renewal; an error is logged, the lease is kept."""
        if self.recorder is None or live.handle is None:
            return
        try:
            await asyncio.wait_for(self.recorder.renewed(live.handle, self.lease_ttl_s), self.lease_ttl_s / 3)
        except Exception as exc:
            _log.warning("job %s: lease renewed, but recording the renewal on its run failed: %s", self.name,
                         self.redact_error(f"{type(exc).__name__}: {exc}"))

    def redact_error(self, text: str) -> str:
        """`text` with every resolved secret of the job's systems (`secret_values`) replaced by `***`."""
        return text if self.secret_values is None else redact_error(text, self.secret_values)

    def _start(self, stored: Checkpoint | None, full_refresh: bool, since: Any) -> tuple[Checkpoint, bool]:
        cp = stored or Checkpoint(job=self.name)
        if cp.run_id is not None and not full_refresh and since is None:
            return cp, True
        committed = None if (full_refresh or since is not None) else cp.cursor
        lower: list[Any] | None = None
        if self.cursor is not None:
            if since is not None:
                lower = [since, None]
            else:
                bound = self.cursor.lower_bound(committed)
                tie = committed[1] if committed and len(committed) > 1 and not self.cursor.lag_s else None
                lower = [bound, tie]
        fresh = Checkpoint(
            job=self.name, cursor=committed, run_id=uuid.uuid4().hex[:16], position=None, lower=lower,
            pending=None, counts=Counts(), chunks=0,
        )
        return fresh, False

    async def _chunks(self, request: ExtractRequest) -> AsyncIterator[tuple[list[dict[str, Any]], Any, int | None]]:
        """(records, position after them, announced total) per chunk. A task reads pages ahead, at most
        `prefetch_records` records (default: one chunk) beyond the chunk being assembled: memory stays flat."""
        queue: asyncio.Queue[Page | BaseException | None] = asyncio.Queue()
        limit = self.prefetch_records or self.chunk_size
        buffered = 0
        room = asyncio.Event()
        room.set()

        async def produce() -> None:
            nonlocal buffered
            try:
                async for page in self.source.pages(request):
                    while buffered >= limit:
                        room.clear()
                        await room.wait()
                    buffered += len(page.records)
                    queue.put_nowait(page)
                queue.put_nowait(None)
            except BaseException as exc:  # handed to the consumer, which re-raises it
                queue.put_nowait(exc)

        task = asyncio.create_task(produce())
        try:
            buf: list[dict[str, Any]] = []
            total: int | None = None
            while True:
                item = await queue.get()
                if isinstance(item, BaseException):
                    raise item
                if item is None:
                    yield buf, END, total
                    return
                buffered -= len(item.records)
                room.set()
                if item.total is not None:
                    total = item.total
                buf.extend(item.records)
                if item.position is None:
                    yield buf, END, total
                    return
                if len(buf) >= self.chunk_size:
                    yield buf, item.position, total
                    buf = []
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    async def _settle(self, write: asyncio.Task[LoadAck], cp: Checkpoint, sent: int, drift: list[DriftEvent],
                      total: int | None) -> LoadAck:
        """Wait for one chunk's write and check what the target acknowledged."""
        ack = await write
        if ack.rows + len(ack.rejected) != sent:
            raise ReconciliationError(
                f"chunk {cp.chunks}: target acknowledged {ack.rows} (+{len(ack.rejected)} refused) of {sent} rows",
                cp.counts,
            )
        if ack.rejected:  # already committed in the target's reject table with the chunk
            await _call(self.on_reject, list(ack.rejected))
        for event in ack.drift:
            drift.append(event)
            await _call(self.on_drift, event)
        await _call(self.on_chunk, cp.counts.extracted, total)
        return ack

    async def _run(
        self, started: datetime, force: bool, full_refresh: bool, since: Any, lost: asyncio.Event, live: _Live,
    ) -> RunResult:
        t0 = time.perf_counter()
        drift: list[DriftEvent] = []
        cp = Checkpoint(job=self.name)  # the last checkpoint the target confirmed
        resumed = False
        error: BaseException | None = None
        final_cursor: list[Any] | None = None
        inflight: tuple[asyncio.Task[LoadAck], Checkpoint, int] | None = None
        handle = None
        if self.recorder is not None:
            handle = live.handle = await self.recorder.start(self.name, self.lease, self.lease_ttl_s)
        try:
            stored = await self.target.open(self.name)
            cp, resumed = self._start(stored, full_refresh, since)
            skip_upto = None
            if self.cursor is not None and not self.cursor.lag_s:
                skip_upto = self.cursor.loaded(cp.cursor)
            transform = as_transform(self.transform)
            total: int | None = cp.extra.get("total")
            if cp.position != END:
                lower = cp.lower or [None, None]
                request = ExtractRequest(cp.position, lower[0], lower[1])
                head = cp  # the checkpoint of the newest chunk handed to the target
                async for records, position, announced in self._chunks(request):
                    if announced is not None:
                        total = announced
                    chunk_no = head.chunks + 1
                    res = process(records, chunk=chunk_no, cursor=self.cursor, skip_upto=skip_upto,
                                  transform=transform)
                    pending = head.pending
                    if res.max_key is not None and self.cursor is not None:
                        current = self.cursor.loaded(pending)
                        if current is None or res.max_key > current:
                            pending = res.max_raw
                    counts = head.counts.plus(replace(res.counts, loaded=len(res.rows)))
                    extra = {**head.extra, "total": total} if total is not None else head.extra
                    head = replace(head, position=position, pending=pending, counts=counts, chunks=chunk_no,
                                   extra=extra)
                    if inflight is not None:  # one write at a time, in order: the previous one settles first
                        ack = await self._settle(inflight[0], inflight[1], inflight[2], drift, total)
                        cp, inflight = ack.checkpoint or inflight[1], None
                        if ack.rejected:  # rows the target refused: moved from loaded to rejected
                            head = replace(head, counts=head.counts.plus(_refused(len(ack.rejected))))
                    if res.rejected:
                        await _call(self.on_reject, res.rejected)
                    if lost.is_set():
                        raise LeaseLostError(f"job {self.name} lost its lease; stopped before chunk {chunk_no}")
                    inflight = (asyncio.create_task(self.target.write(res.rows, head)), head, len(res.rows))
                if inflight is not None:
                    ack = await self._settle(inflight[0], inflight[1], inflight[2], drift, total)
                    cp, inflight = ack.checkpoint or inflight[1], None
            self._reconcile(cp.counts, total if self.verify_total else None)
            final_cursor = cp.pending if cp.pending is not None else cp.cursor
            if self.cursor is not None and cp.cursor and cp.pending:
                a, b = self.cursor.loaded(cp.cursor), self.cursor.loaded(cp.pending)
                final_cursor = cp.pending if (a is None or (b is not None and b > a)) else cp.cursor
            await self.target.finish(Checkpoint(job=self.name, cursor=final_cursor))
        except BaseException as exc:
            error = exc
            if inflight is not None:  # a valid chunk already on its way: let it commit, unless we are torn down
                if isinstance(exc, Exception):
                    with contextlib.suppress(Exception):
                        settled = await inflight[0]
                        cp = settled.checkpoint or inflight[1]
                else:
                    inflight[0].cancel()
                    with contextlib.suppress(BaseException):
                        await inflight[0]
            raise
        finally:
            result = RunResult(
                job=self.name, run_id=cp.run_id or "", status="failed" if error else "succeeded",
                counts=cp.counts, started_at=started.isoformat(), finished_at=self.clock().isoformat(),
                duration_s=time.perf_counter() - t0, chunks=cp.chunks, resumed=resumed,
                cursor=cp.cursor if error else final_cursor, drift=tuple(drift),
                error=None if error is None else self.redact_error(f"{type(error).__name__}: {error}"), forced=force,
            )
            with contextlib.suppress(Exception):
                await self.target.aclose()
            if self.recorder is not None and not isinstance(error, asyncio.CancelledError):
                await self.recorder.finish(handle, result)
        return result

    @staticmethod
    def _reconcile(counts: Counts, announced: int | None) -> None:
        if counts.loaded + counts.load_rejected != counts.transformed:
            raise ReconciliationError(
                f"loaded {counts.loaded} (+{counts.load_rejected} refused) rows but transformed {counts.transformed}",
                counts,
            )
        if announced is not None and counts.extracted != announced:
            raise ReconciliationError(
                f"extracted {counts.extracted} records but the source announced {announced}", counts
            )


class MemoryRunRecorder:
    """Keeps run results in a list (tests, `weave run` without a state store)."""

    def __init__(self) -> None:
        self.runs: list[RunResult] = []
        self.running: set[str] = set()
        self.renewals: dict[str, int] = {}  # lease renewals seen per job

    async def start(self, job: str, lease: Lease | None = None, lease_ttl_s: float | None = None) -> str:
        self.running.add(job)
        return job

    async def renewed(self, handle: Any, ttl_s: float) -> None:
        self.renewals[handle] = self.renewals.get(handle, 0) + 1

    async def finish(self, handle: Any, result: RunResult) -> None:
        self.running.discard(handle)
        self.runs.append(result)
