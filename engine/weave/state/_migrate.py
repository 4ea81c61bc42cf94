"""Apply the pending schema migrations, once, whoever gets there first (idempotent, concurrency-safe)."""

from __future__ import annotations

from weave.state._driver import Driver
from weave.state._types import StateError
from weave.state.migrations import for_dialect

TABLE = "weave_schema_migrations"


async def migrate(driver: Driver) -> int:
    """Bring the schema to the newest version this weave knows; return that version.

    A database migrated by a newer weave is refused rather than used with the wrong schema.
    """
    migrations = for_dialect(driver.dialect.name)
    known = max(m.version for m in migrations)
    async with driver.transaction() as tx:
        if driver.dialect.lock_migrations:
            await tx.fetchall(driver.dialect.lock_migrations)
        await tx.execute(
            f"CREATE TABLE IF NOT EXISTS {TABLE} ("
            "version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at DOUBLE PRECISION NOT NULL)"
        )
        applied = {int(r[0]) for r in await tx.fetchall(f"SELECT version FROM {TABLE}")}
        newest = max(applied, default=0)
        if newest > known:
            raise StateError(
                f"the state store's schema is at version {newest}, newer than this weave knows ({known}); "
                "upgrade weave"
            )
        for migration in migrations:
            if migration.version in applied:
                continue
            for statement in migration.statements:
                await tx.execute(statement)
            await tx.execute(
                f"INSERT INTO {TABLE} (version, name, applied_at) VALUES (%s, %s, weave_now())",
                (migration.version, migration.name),
            )
    return known


async def schema_version(driver: Driver) -> int:
    row = await driver.fetchone(f"SELECT max(version) FROM {TABLE}")
    return int(row[0]) if row and row[0] is not None else 0
