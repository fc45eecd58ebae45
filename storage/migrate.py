"""Apply Alembic migrations programmatically (at start and via ``shequn db upgrade``)."""

from __future__ import annotations

from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.locks import Purpose, lock_for_transaction


class UnknownRevision(Exception):
    """The database's schema is at a revision this version does not have: a newer
    Shequn migrated it (an older image started again, a rollback)."""

    def __init__(self, current: str, head: str | None) -> None:
        super().__init__(f"schema at {current}, this version knows up to {head}")
        self.current, self.head = current, head


def alembic_config(url: str | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", "storage:migrations")
    if url:
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


async def upgrade(engine: AsyncEngine, revision: str = "head") -> None:
    """Bring the schema to ``revision`` on the engine's own connection. On PostgreSQL
    replicas starting together queue on a lock: the first migrates, the others then
    find the schema current (PostgreSQL's DDL is transactional, so a failed migration
    leaves nothing half done)."""

    def _run(connection: Any) -> None:
        config = alembic_config()
        _known_revision(connection, config)
        config.attributes["connection"] = connection
        command.upgrade(config, revision)

    async with engine.begin() as connection:
        await lock_for_transaction(connection, Purpose.MIGRATIONS)
        await connection.run_sync(_run)


def _known_revision(connection: Any, config: Config) -> None:
    """Refuse a schema from a newer version before Alembic does so with a traceback."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    current = MigrationContext.configure(connection).get_current_revision()
    scripts = ScriptDirectory.from_config(config)
    if current is not None and current not in {s.revision for s in scripts.walk_revisions()}:
        raise UnknownRevision(current, scripts.get_current_head())


async def current_revision(engine: AsyncEngine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    def _read(connection: Any) -> str | None:
        return MigrationContext.configure(connection).get_current_revision()

    async with engine.connect() as connection:
        return await connection.run_sync(_read)


def head_revision() -> str | None:
    """The newest migration this version of Shequn has."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head()
