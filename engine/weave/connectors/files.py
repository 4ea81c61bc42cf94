"""File connector: CSV and JSON Lines in a local directory; glob reads, atomic writes.

    system: {api: {style: file, base_url: data/crm}}           the root directory (relative to base_dir)
    op (read):  {path: "in/*.csv", format: csv | jsonl, chunk_size: 1000, delimiter: ",", encoding: utf-8}
    op (write): {path: "out/orders-{date}.jsonl", format: jsonl, mode: append | replace}

- Paths never leave the root directory (`..`, absolute paths and symlinks out are refused).
- Reads go through matching files in name order; the resume state `{"seen": {file: "mtime_ns:size"}}`
  makes a later poll skip files that have not changed since they were read.
- Writes are atomic: a temporary file in the same directory, fsync, `os.replace`, fsync of the
  directory. `append` rewrites the existing content plus the new records (readers never see half a
  file); `replace` writes only the new records. Placeholders `{date}`, `{time}`, `{uuid}` in the path
  make one new file per write. CSV appends widen the header when new columns appear.
- Bad input is a TerminalError naming file and line (a JSONL line that is not a JSON object, …).
"""

from __future__ import annotations

import asyncio
import contextlib
import csv
import datetime as dt
import io
import os
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import orjson

from weave.connectors.base import Page, ProbeResult, SystemConfig, WriteResult
from weave.errors import TerminalError

FORMATS = ("csv", "jsonl")


def _format_of(op: Mapping[str, Any], path: str) -> str:
    fmt = op.get("format")
    if fmt is None:
        suffix = Path(path.replace("*", "x")).suffix.lower().lstrip(".")
        fmt = {"csv": "csv", "jsonl": "jsonl", "ndjson": "jsonl"}.get(suffix)
    if fmt not in FORMATS:
        raise TerminalError(f"file format {fmt!r} for {path!r} is not supported; known formats: {', '.join(FORMATS)}")
    return str(fmt)


def _cell(value: Any) -> Any:
    if isinstance(value, dict | list):
        return orjson.dumps(value).decode()
    return "" if value is None else value


def _iter_records(path: Path, fmt: str, op: Mapping[str, Any], label: str) -> Iterator[dict[str, Any]]:
    encoding = str(op.get("encoding", "utf-8"))
    try:
        with path.open("r", encoding=encoding, newline="") as fh:
            if fmt == "csv":
                reader = csv.DictReader(fh, delimiter=str(op.get("delimiter", ",")))
                for row in reader:
                    if None in row:
                        raise TerminalError(f"{label}:{reader.line_num}: more fields than the header has")
                    yield dict(row)
                return
            for lineno, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                try:
                    value = orjson.loads(line)
                except orjson.JSONDecodeError as exc:
                    raise TerminalError(f"{label}:{lineno}: invalid JSON: {exc}") from None
                if not isinstance(value, dict):
                    raise TerminalError(f"{label}:{lineno}: expected a JSON object, got {type(value).__name__}")
                yield value
    except UnicodeDecodeError as exc:
        raise TerminalError(f"{label}: not {encoding} text ({exc.reason} at byte {exc.start})") from None
    except csv.Error as exc:
        raise TerminalError(f"{label}: malformed CSV: {exc}") from None


def _serialize(records: Sequence[Mapping[str, Any]], fmt: str, op: Mapping[str, Any], existing: bytes) -> bytes:
    if fmt == "jsonl":
        new = b"".join(orjson.dumps(r, default=str) + b"\n" for r in records)
        if existing and not existing.endswith(b"\n"):
            existing += b"\n"
        return existing + new
    delimiter = str(op.get("delimiter", ","))
    old_rows: list[dict[str, Any]] = []
    fields: list[str] = list(op.get("fields") or [])
    if existing:
        reader = csv.DictReader(io.StringIO(existing.decode(str(op.get("encoding", "utf-8")))), delimiter=delimiter)
        fields = fields or list(reader.fieldnames or [])
        old_rows = list(reader)
    if not op.get("fields"):
        for record in records:
            fields.extend(k for k in record if k not in fields)
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=fields, delimiter=delimiter, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    writer.writerows(old_rows)
    writer.writerows({k: _cell(v) for k, v in r.items()} for r in records)
    return buf.getvalue().encode(str(op.get("encoding", "utf-8")))


def atomic_write(path: Path, data: bytes) -> None:
    """Write `data` to `path` so readers see the old file or the new one, never a part."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


class FileConnector:
    style = "file"

    def __init__(self, system: SystemConfig, *, transport: Any = None) -> None:
        self.system = system
        base = system.base_url.removeprefix("file://") or "."
        self.root = system.path(base).resolve()
        self._locks: dict[Path, asyncio.Lock] = {}

    def _inside(self, relative: str) -> Path:
        if Path(relative).is_absolute():
            raise TerminalError(f"file path {relative!r} must be relative to the system's directory")
        target = (self.root / relative).resolve()
        if target != self.root and self.root not in target.parents:
            raise TerminalError(f"file path {relative!r} leaves the system's directory")
        return target

    def _label(self, path: Path) -> str:
        return str(path.relative_to(self.root))

    async def read(self, op: Mapping[str, Any], *, state: dict[str, Any] | None = None) -> AsyncIterator[Page]:
        pattern = str(op.get("path") or "")
        if not pattern:
            raise TerminalError("a file read needs `path:` (a glob relative to the system's directory)")
        self._inside(pattern.split("*", 1)[0] or ".")
        fmt = _format_of(op, pattern)
        chunk = max(1, int(op.get("chunk_size", 1000)))
        seen: dict[str, str] = dict((state or {}).get("seen") or {})
        files = sorted(p for p in self.root.glob(pattern) if p.is_file() and not p.name.startswith("."))
        todo: list[tuple[Path, str, str]] = []
        for path in files:
            self._inside(str(path.relative_to(self.root)))  # refuses symlinks pointing out of the root
            st = path.stat()
            stamp = f"{st.st_mtime_ns}:{st.st_size}"
            label = self._label(path)
            if seen.get(label) != stamp:
                todo.append((path, label, stamp))
        number = 0
        if not todo:
            yield Page([], {"seen": seen}, True, 1)
            return
        for index, (path, label, stamp) in enumerate(todo):
            iterator = _iter_records(path, fmt, op, label)
            batch = await asyncio.to_thread(_take, iterator, chunk)
            while True:
                nxt = await asyncio.to_thread(_take, iterator, chunk) if len(batch) == chunk else []
                last_of_file = not nxt
                if last_of_file:
                    seen[label] = stamp
                number += 1
                done = last_of_file and index == len(todo) - 1
                if batch or last_of_file:
                    yield Page(batch, {"seen": dict(seen)}, done, number)
                if last_of_file:
                    break
                batch = nxt

    def _target(self, template: str) -> Path:
        now = dt.datetime.now(dt.UTC)
        name = template.format_map(
            {"date": now.strftime("%Y-%m-%d"), "time": now.strftime("%H%M%S%f"), "uuid": uuid.uuid4().hex}
        ) if "{" in template else template
        return self._inside(name)

    async def write(
        self, op: Mapping[str, Any], records: Sequence[dict[str, Any]], *, idempotency_keys: Sequence[str] | None = None
    ) -> WriteResult:
        template = str(op.get("path") or "")
        if not template:
            raise TerminalError("a file write needs `path:`")
        try:
            path = self._target(template)
        except (KeyError, ValueError) as exc:
            raise TerminalError(f"file path {template!r}: unknown placeholder {exc}; known: date, time, uuid") from None
        fmt = _format_of(op, template)
        mode = str(op.get("mode", "append"))
        if mode not in ("append", "replace"):
            raise TerminalError(f"unknown file write mode {mode!r}; known modes: append, replace")
        lock = self._locks.setdefault(path, asyncio.Lock())
        async with lock:

            def work() -> None:
                existing = path.read_bytes() if mode == "append" and path.exists() else b""
                atomic_write(path, _serialize(records, fmt, op, existing))

            await asyncio.to_thread(work)
        return WriteResult(written=len(records), detail={"path": self._label(path)})

    async def probe(self) -> ProbeResult:
        start = time.perf_counter()
        ok = self.root.is_dir() and os.access(self.root, os.R_OK | os.W_OK)
        message = "directory readable and writable" if ok else f"{self.root} is not a readable, writable directory"
        return ProbeResult(self.system.name, ok, (time.perf_counter() - start) * 1000, message=message)

    async def aclose(self) -> None:
        return None


def _take(iterator: Iterator[dict[str, Any]], n: int) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for record in iterator:
        out.append(record)
        if len(out) >= n:
            break
    return out
