"""open_bus: URL -> backend through one table; unknown schemes are answered with the known ones."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from weave.bus import BusError, open_bus
from weave.bus._factory import split_url


def test_split_url_follows_the_state_store_convention() -> None:
    assert split_url("sqlite:///.weave/state.db") == ("sqlite", ".weave/state.db", {})
    assert split_url("sqlite:////var/lib/state.db?synchronous=normal&busy_timeout=5") == (
        "sqlite", "/var/lib/state.db", {"synchronous": "normal", "busy_timeout": 5.0}
    )
    assert split_url("state/weave.db") == ("sqlite", "state/weave.db", {})
    assert split_url(Path("/x/y.db")) == ("sqlite", "/x/y.db", {})
    assert split_url("redis://127.0.0.1:6379/0") == ("redis", "redis://127.0.0.1:6379/0", {})
    with pytest.raises(BusError, match="no file path"):
        split_url("sqlite:///")
    with pytest.raises(BusError, match="unknown sqlite bus URL option 'colour'; known: busy_timeout, poll_interval"):
        split_url("sqlite:///x.db?colour=blue")
    with pytest.raises(BusError, match="is not a number"):
        split_url("sqlite:///x.db?busy_timeout=soon")


async def test_shares_the_state_store_file(tmp_path: Path) -> None:
    from weave.state import open_state

    url = f"sqlite:///{tmp_path}/state.db?synchronous=full"
    store = await open_state(url)
    bus = await open_bus(url)
    try:
        await bus.publish("t", {"a": 1})
        assert await bus.ensure_group("t", "g", start="earliest") is True
        assert await bus.lag("t", "g") == 1
        assert await store.latest_revision_id() == 0  # the state store's own tables work beside ours
    finally:
        await bus.close()
        await store.close()


async def test_unknown_scheme_lists_known_ones() -> None:
    with pytest.raises(BusError, match=r"unknown bus URL scheme 'kafka://'; known: sqlite://, redis://"):
        await open_bus("kafka://broker:9092")


async def test_plain_path_opens_embedded_bus_beside_other_tables(tmp_path: Path) -> None:
    import sqlite3

    db = tmp_path / "state.db"
    with sqlite3.connect(db) as conn:  # another component's table in the same file stays untouched
        conn.execute("CREATE TABLE state_revisions (id INTEGER PRIMARY KEY)")
    bus = await open_bus(db)
    try:
        assert bus.backend == "sqlite"
        await bus.publish("t", {"a": 1})
    finally:
        await bus.close()
    with sqlite3.connect(db) as conn:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert {"state_revisions", "bus_messages", "bus_groups", "bus_pending", "bus_migrations"} <= tables
    reopened = await open_bus(f"sqlite:///{db}")  # migrations run once
    await reopened.close()


async def test_missing_directory_and_bad_options(tmp_path: Path) -> None:
    with pytest.raises(BusError, match="does not exist"):
        await open_bus(tmp_path / "nope" / "state.db")
    with pytest.raises(BusError, match="bad option for the sqlite bus"):
        await open_bus(tmp_path / "s.db", colour="blue")
    with pytest.raises(BusError, match="unknown synchronous mode"):
        await open_bus(tmp_path / "s.db", synchronous="SOMETIMES")


async def test_newer_schema_is_refused(tmp_path: Path) -> None:
    import sqlite3

    db = tmp_path / "state.db"
    await (await open_bus(db)).close()  # creates the tables
    with sqlite3.connect(db) as conn:
        conn.execute("INSERT INTO bus_migrations VALUES (99, 0)")
    with pytest.raises(BusError, match="schema version 99, newer than this weave"):
        await open_bus(db)


async def test_redis_unreachable_is_a_transient_bus_error() -> None:
    from weave.errors import TransientError
    from weave.sandbox.services import free_port

    url = f"redis://:topsecret@127.0.0.1:{free_port()}/0"
    with pytest.raises(TransientError, match="no connection") as info:
        await open_bus(url, reconnect_timeout=0.3)
    assert "topsecret" not in str(info.value)
    from weave.bus._redis import RedisBus

    assert "topsecret" not in repr(RedisBus(url)) and ":***@" in repr(RedisBus(url))


def test_importing_the_bus_does_not_import_redis() -> None:
    import subprocess

    code = "import sys, weave.bus; print('redis' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
