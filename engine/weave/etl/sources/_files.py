"""CSV and JSONL extract from one file or a glob, in sorted order, a page of `page_size` records at a time.

The position is (file index, records read in that file); a resumed run re-opens the file and skips that
many records, so quoted multi-line CSV fields are handled by the csv module as usual.
"""

from __future__ import annotations

import asyncio
import csv
import glob
import io
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any

import orjson

from weave.errors import TerminalError
from weave.etl._errors import BatchConfigError
from weave.etl._types import ExtractRequest, Page

FORMATS = ("csv", "jsonl")


def _csv_rows(handle: io.TextIOBase, delimiter: str) -> Iterator[dict[str, Any]]:
    return csv.DictReader(handle, delimiter=delimiter)  # type: ignore[arg-type]


def _jsonl_rows(handle: io.TextIOBase, name: str) -> Iterator[dict[str, Any]]:
    for lineno, line in enumerate(handle, 1):
        if not line.strip():
            continue
        try:
            value = orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            raise TerminalError(f"{name}:{lineno}: not valid JSON ({exc})") from None
        if not isinstance(value, dict):
            raise TerminalError(f"{name}:{lineno}: a JSONL record must be an object")
        yield value


def _take(rows: Iterator[dict[str, Any]], n: int) -> list[dict[str, Any]]:
    return list(islice(rows, n))


@dataclass
class FileSource:
    path: str  # a file or a glob
    format: str = "csv"
    delimiter: str = ","
    encoding: str = "utf-8"
    page_size: int = 5000
    base_dir: str | None = None
    name: str = "file"
    _files: list[str] = field(default_factory=list, init=False)

    def __post_init__(self) -> None:
        if self.format not in FORMATS:
            raise BatchConfigError(f"file format {self.format!r} is not one of {', '.join(FORMATS)}")

    def _resolve(self) -> list[str]:
        pattern = self.path if self.base_dir is None else str(Path(self.base_dir) / self.path)
        files = sorted(glob.glob(pattern)) if glob.has_magic(pattern) else [pattern]
        missing = [f for f in files if not Path(f).is_file()]
        if missing:
            raise TerminalError(f"input file {missing[0]} does not exist")
        return files

    async def pages(self, request: ExtractRequest) -> AsyncIterator[Page]:
        files = self._resolve()
        pos = request.position or {}
        first, skip = int(pos.get("file", 0)), int(pos.get("record", 0))
        for index in range(first, len(files)):
            name = files[index]
            handle = open(name, encoding=self.encoding, newline="")  # noqa: SIM115 - closed below
            try:
                rows = _csv_rows(handle, self.delimiter) if self.format == "csv" else _jsonl_rows(handle, name)
                read = skip if index == first else 0
                if read:
                    await asyncio.to_thread(_take, rows, read)
                while True:
                    batch = await asyncio.to_thread(_take, rows, self.page_size)
                    if not batch:
                        break
                    read += len(batch)
                    yield Page(batch, {"file": index, "record": read})
            finally:
                handle.close()
        yield Page([], None)

    async def aclose(self) -> None:
        return None
