"""The store's logic, written once over a Driver; SqliteStateStore and PostgresStateStore pick the driver."""

from __future__ import annotations

from pathlib import Path
from types import TracebackType

from weave.state._alerts import AlertsMixin
from weave.state._coordination import CoordinationMixin
from weave.state._driver import Driver
from weave.state._migrate import migrate, schema_version
from weave.state._postgres import PostgresDriver, redact_dsn
from weave.state._queues import QueueMixin
from weave.state._records import RecordsMixin
from weave.state._sqlite import SqliteDriver


class SqlStateStore(CoordinationMixin, QueueMixin, RecordsMixin, AlertsMixin):
    backend: str
    url: str

    def __init__(self, driver: Driver, url: str) -> None:
        self._db = driver
        self.backend = driver.dialect.name
        self.url = url

    async def close(self) -> None:
        await self._db.close()

    async def __aenter__(self) -> SqlStateStore:
        return self

    async def __aexit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    async def schema_version(self) -> int:
        return await schema_version(self._db)

    async def prune(self, before: float) -> dict[str, int]:
        cutoff = float(before)
        return {
            "runs": await self._db.execute(
                "DELETE FROM weave_runs WHERE finished_at IS NOT NULL AND finished_at < %s", (cutoff,)
            ),
            "delivery": await self._db.execute("DELETE FROM weave_delivery WHERE bucket < %s", (cutoff - 60,)),
            "dlq": await self._db.execute(
                "DELETE FROM weave_dlq WHERE replayed_at IS NOT NULL AND replayed_at < %s", (cutoff,)
            ),
        }

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.url}>"


class SqliteStateStore(SqlStateStore):
    """The embedded default: one SQLite file in WAL mode."""

    @classmethod
    async def open(cls, path: str | Path, *, synchronous: str = "NORMAL", busy_timeout: float = 30.0
                   ) -> SqliteStateStore:
        driver = SqliteDriver(path, synchronous=synchronous, busy_timeout=busy_timeout)
        try:
            await driver.open()
            await migrate(driver)
        except BaseException:
            await driver.close()
            raise
        return cls(driver, f"sqlite:///{Path(path).resolve() if str(path) != ':memory:' else ':memory:'}")


class PostgresStateStore(SqlStateStore):
    """For shared deployments: PostgreSQL through psycopg 3 and a connection pool."""

    @classmethod
    async def open(cls, dsn: str, *, min_size: int = 1, max_size: int = 10) -> PostgresStateStore:
        driver = PostgresDriver(dsn, min_size=min_size, max_size=max_size)
        await driver.open()
        try:
            await migrate(driver)
        except BaseException:
            await driver.close()
            raise
        return cls(driver, redact_dsn(dsn))
