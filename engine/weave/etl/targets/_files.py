"""File load, written atomically: rows go to `<path>.weave-partial`, fsynced per chunk, and the checkpoint
records the committed byte length. A resumed run truncates the partial file back to that length (dropping a
half-written chunk) and continues. `finish` renames it over `<path>` — readers see the old or the new file.
"""

from __future__ import annotations

import asyncio
import csv
import dataclasses
import io
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from weave.etl._errors import BatchConfigError, SchemaDriftError
from weave.etl._types import Checkpoint, CheckpointStore, DriftEvent, LoadAck, Record
from weave.etl.targets._schema import DRIFT_POLICIES, columns_of

FORMATS = ("csv", "jsonl")


@dataclass
class FileTarget:
    path: str
    checkpoints: CheckpointStore
    format: str = "jsonl"
    columns: list[str] | None = None  # csv header; default: the first chunk's keys (in first-seen order)
    schema_drift: str = "evolve"  # csv: a column after the header cannot be added; evolve/ignore drop it, fail stops
    name: str = "file"
    _offset: int = field(default=0, init=False)
    _header: list[str] | None = field(default=None, init=False)
    _reported: set[str] = field(default_factory=set, init=False)

    def __post_init__(self) -> None:
        if self.format not in FORMATS:
            raise BatchConfigError(f"file format {self.format!r} is not one of {', '.join(FORMATS)}")
        if self.schema_drift not in DRIFT_POLICIES:
            raise BatchConfigError(f"schema_drift {self.schema_drift!r} is not one of {', '.join(DRIFT_POLICIES)}")

    @property
    def partial(self) -> Path:
        return Path(self.path + ".weave-partial")

    async def open(self, job: str) -> Checkpoint | None:
        checkpoint = await self.checkpoints.load(job)
        self._offset, self._header, self._reported = 0, None, set()
        if checkpoint and checkpoint.run_id:
            self._offset = int(checkpoint.extra.get("file_bytes", 0))
            self._header = checkpoint.extra.get("file_header")
        return checkpoint

    def _drift(self, rows: list[Record]) -> list[DriftEvent]:
        """CSV only: columns the header does not have (JSONL lines carry every key, so they simply evolve)."""
        assert self._header is not None
        cols, _ = columns_of(rows)
        new = [c for c in cols if c not in self._header and c not in self._reported]
        if not new:
            return []
        if self.schema_drift == "fail":
            raise SchemaDriftError(self.path, new)
        self._reported.update(new)
        return [DriftEvent(self.path, c, "text", "ignored") for c in new]

    def _encode(self, rows: list[Record]) -> bytes:
        if self.format == "jsonl":
            return b"".join(orjson.dumps(r) + b"\n" for r in rows)
        buf = io.StringIO()
        if self._header is None:
            self._header = list(self.columns or columns_of(rows)[0])
            csv.writer(buf).writerow(self._header)
        writer = csv.DictWriter(buf, fieldnames=self._header, extrasaction="ignore")
        writer.writerows(rows)
        return buf.getvalue().encode()

    def _append(self, data: bytes, fresh: bool) -> int:
        self.partial.parent.mkdir(parents=True, exist_ok=True)
        mode = "wb" if fresh else "r+b"
        if not fresh and not self.partial.exists():
            mode = "wb"
        with open(self.partial, mode) as handle:
            handle.seek(self._offset)
            handle.truncate()
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
            return handle.tell()

    async def write(self, rows: list[Record], checkpoint: Checkpoint) -> LoadAck:
        fresh = checkpoint.chunks <= 1
        if fresh:
            self._offset, self._header = 0, None
        drift = self._drift(rows) if rows and self.format == "csv" and self._header is not None else []
        data = self._encode(rows) if rows else b""
        self._offset = await asyncio.to_thread(self._append, data, fresh)
        extra: dict[str, Any] = {**checkpoint.extra, "file_bytes": self._offset, "file_header": self._header}
        await self.checkpoints.save(dataclasses.replace(checkpoint, extra=extra))
        return LoadAck(len(rows), tuple(drift))

    async def finish(self, checkpoint: Checkpoint) -> None:
        if not self.partial.exists():
            await asyncio.to_thread(self.partial.write_bytes, b"")
        await asyncio.to_thread(os.replace, self.partial, self.path)
        await self.checkpoints.save(checkpoint)

    async def aclose(self) -> None:
        return None
