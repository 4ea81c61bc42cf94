"""File connector on real files: CSV/JSONL, glob reads, resume state, atomic writes, bad input."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any

import pytest

from weave.connectors import SystemConfig, create_connector
from weave.connectors.files import atomic_write
from weave.errors import TerminalError


def files(tmp_path: Path) -> Any:
    return create_connector(SystemConfig(name="drop", style="file", base_url="data", base_dir=str(tmp_path)))


async def read_all(conn: Any, op: dict[str, Any], state: dict[str, Any] | None = None) -> list[Any]:
    return [p async for p in conn.read(op, state=state)]


async def test_write_then_glob_read_jsonl_and_csv(tmp_path: Path) -> None:
    conn = files(tmp_path)
    rows = [{"id": i, "name": f"n{i}", "tags": ["x"]} for i in range(5)]
    await conn.write({"path": "in/a.jsonl"}, rows[:3])
    await conn.write({"path": "in/a.jsonl"}, rows[3:])  # append
    await conn.write({"path": "in/b.csv"}, rows[:2])
    await conn.write({"path": "in/b.csv"}, [{"id": 9, "name": "n9", "extra": "e"}])  # widens the header
    jsonl = await read_all(conn, {"path": "in/*.jsonl"})
    assert [r for p in jsonl for r in p.records] == rows
    csv_pages = await read_all(conn, {"path": "in/*.csv"})
    assert [r for p in csv_pages for r in p.records] == [
        {"id": "0", "name": "n0", "tags": '["x"]', "extra": ""},
        {"id": "1", "name": "n1", "tags": '["x"]', "extra": ""},
        {"id": "9", "name": "n9", "tags": "", "extra": "e"},
    ]
    assert (tmp_path / "data/in/b.csv").read_text().splitlines()[0] == "id,name,tags,extra"


async def test_chunks_and_resume_state_skip_unchanged_files(tmp_path: Path) -> None:
    conn = files(tmp_path)
    for name in ("x1", "x2"):
        await conn.write({"path": f"in/{name}.jsonl"}, [{"id": i, "f": name} for i in range(5)])
    pages = await read_all(conn, {"path": "in/*.jsonl", "chunk_size": 2})
    assert [len(p.records) for p in pages] == [2, 2, 1, 2, 2, 1]
    assert [p.done for p in pages] == [False] * 5 + [True]
    assert set(pages[2].state["seen"]) == {"in/x1.jsonl"}  # a file counts as seen after its last chunk
    again = await read_all(conn, {"path": "in/*.jsonl"}, state=pages[-1].state)
    assert again[0].records == [] and again[0].done
    await conn.write({"path": "in/x2.jsonl"}, [{"id": 99}])  # changed file is read again
    changed = await read_all(conn, {"path": "in/*.jsonl"}, state=pages[-1].state)
    assert [r["id"] for p in changed for r in p.records] == [0, 1, 2, 3, 4, 99]


async def test_replace_and_placeholders(tmp_path: Path) -> None:
    conn = files(tmp_path)
    await conn.write({"path": "out/o.jsonl", "mode": "replace"}, [{"id": 1}])
    await conn.write({"path": "out/o.jsonl", "mode": "replace"}, [{"id": 2}])
    assert (tmp_path / "data/out/o.jsonl").read_text() == '{"id":2}\n'
    r1 = await conn.write({"path": "out/batch-{date}-{uuid}.jsonl"}, [{"id": 1}])
    r2 = await conn.write({"path": "out/batch-{date}-{uuid}.jsonl"}, [{"id": 2}])
    assert r1.detail["path"] != r2.detail["path"]
    with pytest.raises(TerminalError, match="unknown placeholder 'id'"):
        await conn.write({"path": "out/{id}.jsonl"}, [{"id": 1}])


async def test_paths_cannot_escape_the_root(tmp_path: Path) -> None:
    conn = files(tmp_path)
    (tmp_path / "secret.txt").write_text("x")
    for bad in ("../secret.jsonl", "/etc/passwd.jsonl", "in/../../x.jsonl"):
        with pytest.raises(TerminalError, match="leaves the system's directory|must be relative"):
            await conn.write({"path": bad}, [{"id": 1}])
    (tmp_path / "data").mkdir(exist_ok=True)
    os.symlink(tmp_path, tmp_path / "data" / "link")
    with pytest.raises(TerminalError, match="leaves"):
        await read_all(conn, {"path": "link/*.jsonl", "format": "jsonl"})


async def test_bad_input_names_file_and_line(tmp_path: Path) -> None:
    conn = files(tmp_path)
    d = tmp_path / "data" / "in"
    d.mkdir(parents=True)
    (d / "bad.jsonl").write_text('{"id": 1}\n\n{"id": 2,,}\n')
    with pytest.raises(TerminalError, match=r"in/bad.jsonl:3: invalid JSON"):
        await read_all(conn, {"path": "in/bad.jsonl"})
    (d / "list.jsonl").write_text("[1, 2]\n")
    with pytest.raises(TerminalError, match=r"list.jsonl:1: expected a JSON object, got list"):
        await read_all(conn, {"path": "in/list.jsonl"})
    (d / "wide.csv").write_text("a,b\n1,2,3\n")
    with pytest.raises(TerminalError, match=r"wide.csv:2: more fields than the header"):
        await read_all(conn, {"path": "in/wide.csv"})
    (d / "bin.csv").write_bytes(b"a,b\n\xff\xfe,1\n")
    with pytest.raises(TerminalError, match="not utf-8 text"):
        await read_all(conn, {"path": "in/bin.csv"})
    with pytest.raises(TerminalError, match="known formats: csv, jsonl"):
        await read_all(conn, {"path": "in/*.xml"})


async def test_concurrent_appends_lose_nothing(tmp_path: Path) -> None:
    conn = files(tmp_path)
    await asyncio.gather(*(conn.write({"path": "out/log.jsonl"}, [{"id": i}]) for i in range(40)))
    pages = await read_all(conn, {"path": "out/log.jsonl"})
    assert sorted(r["id"] for r in pages[0].records) == list(range(40))
    assert not [p for p in (tmp_path / "data/out").iterdir() if p.name.endswith(".tmp")]
    probe = await conn.probe()
    assert probe.ok


def test_atomic_write_keeps_old_file_on_failure(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "f.jsonl"
    atomic_write(target, b"old\n")

    def boom(src: str, dst: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError, match="disk full"):
        atomic_write(target, b"new\n")
    assert target.read_bytes() == b"old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["f.jsonl"]  # the temporary file was removed
