"""Checkpoint stores for targets that cannot hold the checkpoint themselves (HTTP, files).

`JsonFileCheckpointStore` writes one JSON file per job atomically (temp file, fsync, rename);
`MemoryCheckpointStore` is for tests. The state store (weave.state) can stand in through the same protocol.
"""

from __future__ import annotations

import asyncio
import os
import re
from pathlib import Path

import orjson

from weave.etl._types import Checkpoint


class MemoryCheckpointStore:
    def __init__(self) -> None:
        self.saved: dict[str, Checkpoint] = {}

    async def load(self, job: str) -> Checkpoint | None:
        return self.saved.get(job)

    async def save(self, checkpoint: Checkpoint) -> None:
        self.saved[checkpoint.job] = checkpoint


class JsonFileCheckpointStore:
    def __init__(self, directory: str | Path) -> None:
        self.directory = Path(directory)

    def _file(self, job: str) -> Path:
        return self.directory / (re.sub(r"[^A-Za-z0-9._-]", "_", job) + ".checkpoint.json")

    def _load(self, job: str) -> Checkpoint | None:
        path = self._file(job)
        if not path.exists():
            return None
        return Checkpoint.from_json(orjson.loads(path.read_bytes()))

    def _save(self, checkpoint: Checkpoint) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self._file(checkpoint.job)
        tmp = path.with_suffix(".tmp")
        with open(tmp, "wb") as handle:
            handle.write(orjson.dumps(checkpoint.to_json()))
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)

    async def load(self, job: str) -> Checkpoint | None:
        return await asyncio.to_thread(self._load, job)

    async def save(self, checkpoint: Checkpoint) -> None:
        await asyncio.to_thread(self._save, checkpoint)
