"""open_state(url): schemes, paths, options, and clear errors for bad input."""

from __future__ import annotations

from pathlib import Path

import pytest

from weave.sandbox.services import free_port
from weave.state import SCHEMES, StateError, StateUnavailableError, open_state
from weave.state._postgres import redact_dsn
from weave.state.migrations import for_dialect


async def test_plain_path_and_sqlite_urls(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    plain = tmp_path / "nested" / "dir" / "state.db"
    async with await open_state(plain) as store:
        assert store.backend == "sqlite" and store.url == f"sqlite:///{plain}"
        await store.put_revision({"a": 1}, {})
    assert plain.exists()
    async with await open_state(f"sqlite:///{plain}") as same:  # absolute: sqlite:////abs/path
        assert await same.latest_revision_id() == 1
    monkeypatch.chdir(tmp_path)
    async with await open_state("sqlite:///rel/state.db?synchronous=full&busy_timeout=2") as rel:
        assert rel.url == f"sqlite:///{tmp_path / 'rel' / 'state.db'}"
        assert await rel._db.fetchone("PRAGMA synchronous") == (2,)  # type: ignore[attr-defined]  # FULL
    async with await open_state(plain) as default:
        assert await default._db.fetchone("PRAGMA synchronous") == (1,)  # type: ignore[attr-defined]  # NORMAL
    assert (tmp_path / "rel" / "state.db").exists()


async def test_sqlite_file_is_in_wal_mode(tmp_path: Path) -> None:
    import sqlite3

    path = tmp_path / "state.db"
    async with await open_state(path):
        pass
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        versions = conn.execute("SELECT version, name FROM weave_schema_migrations").fetchall()
    assert versions == [(m.version, m.name) for m in for_dialect("sqlite")]
    assert versions[0] == (1, "initial")


async def test_in_memory_sqlite() -> None:
    async with await open_state("sqlite:///:memory:") as store:
        assert await store.enqueue("q", {"a": 1}) == 1


async def test_unknown_scheme_names_the_known_ones() -> None:
    with pytest.raises(StateError) as err:
        await open_state("mysql://root@localhost/weave")
    message = str(err.value)
    assert "mysql" in message and all(s in message for s in SCHEMES)


async def test_bad_sqlite_options(tmp_path: Path) -> None:
    with pytest.raises(StateError, match="unknown sqlite state URL option"):
        await open_state(f"sqlite:///{tmp_path}/s.db?journal=off")
    with pytest.raises(StateError, match="synchronous"):
        await open_state(f"sqlite:///{tmp_path}/s.db?synchronous=sometimes")
    with pytest.raises(StateError, match="not a number"):
        await open_state(f"sqlite:///{tmp_path}/s.db?busy_timeout=soon")
    with pytest.raises(StateError, match="no database path"):
        await open_state("sqlite:///")


async def test_sqlite_path_that_cannot_be_a_database(tmp_path: Path) -> None:
    directory = tmp_path / "a-directory"
    directory.mkdir()
    with pytest.raises(StateError, match="cannot open SQLite state"):
        await open_state(directory)


async def test_unreachable_postgres_is_retryable_and_hides_the_password() -> None:
    url = f"postgresql://weave:s3cr3t-pw@127.0.0.1:{free_port()}/weave?connect_timeout=1&pool_max=2"
    with pytest.raises(StateUnavailableError) as err:
        await open_state(url)
    assert "s3cr3t-pw" not in str(err.value)
    assert "127.0.0.1" in str(err.value)


def test_redact_dsn() -> None:
    assert redact_dsn("postgresql://u:pw@h:5/db") == "postgresql://u:***@h:5/db"
    assert redact_dsn("host=h password=pw dbname=x") == "host=h password=*** dbname=x"
    assert redact_dsn("postgresql://u@h/db") == "postgresql://u@h/db"


async def test_postgres_pool_options_and_redacted_url(pg_dsn: str) -> None:
    async with await open_state(pg_dsn + "?pool_min=1&pool_max=3&application_name=weave-test") as store:
        assert store.backend == "postgresql" and store.url == pg_dsn + "?application_name=weave-test"
        assert store._db._pool.max_size == 3  # type: ignore[attr-defined]
        assert await store._db.fetchone("SELECT current_setting('application_name')") == ("weave-test",)  # type: ignore[attr-defined]
        assert await store.latest_revision_id() == 0


async def test_closed_store_says_so(tmp_path: Path) -> None:
    store = await open_state(tmp_path / "s.db")
    await store.close()
    with pytest.raises(StateError, match="closed"):
        await store.queue_depth("q")


def test_the_embedded_default_never_imports_psycopg() -> None:
    import subprocess
    import sys

    code = (
        "import asyncio, sys\n"
        "from weave.state import open_state\n"
        "async def main():\n"
        "    store = await open_state('sqlite:///:memory:')\n"
        "    await store.enqueue('q', {'a': 1})\n"
        "    await store.close()\n"
        "asyncio.run(main())\n"
        "print(sorted(m for m in sys.modules if m.startswith('psycopg')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert out.stdout.strip() == "[]"
