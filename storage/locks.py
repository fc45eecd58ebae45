"""PostgreSQL advisory locks: who may run, who leads, one chat at a time.

Replicas coordinate through the database they already share instead of
through anything of Shequn's own. A *session* lock lives as long as the
connection that took it — a process that dies, even by SIGKILL, drops its
connection and PostgreSQL releases the lock at once. A *transaction* lock
ends with its transaction. SQLite has one writer and one process (see
:mod:`bot.fleet.guard`): there every lock here is granted at once.

Keys are pairs ``(NAMESPACE, purpose)``; per-chat and per-task keys are a
hash of their name in the one-number key space, which PostgreSQL keeps apart
from the pairs.
"""

from __future__ import annotations

import enum
import logging

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

log = logging.getLogger(__name__)

#: "SQ": Shequn's half of every two-number advisory key.
NAMESPACE = 0x5351


class Purpose(enum.IntEnum):
    """What a session lock guards."""

    #: The only process on this database (PostgreSQL without Redis); replicas hold it
    #: shared, so that neither kind starts beside the other.
    SOLE_PROCESS = 1
    #: The replica that runs what must have one runner.
    LEADER = 2
    #: Migrations, run once before any replica serves.
    MIGRATIONS = 3
    #: Telegram: one process may poll a bot token; webhook replicas hold it shared, so
    #: that no poller starts beside them (it would delete their webhook), nor they it.
    POLLING = 4


def is_postgres(connection: AsyncConnection | AsyncEngine) -> bool:
    return connection.dialect.name == "postgresql"


class SessionLock:
    """A session-level advisory lock on a connection of its own, held until
    :meth:`release` or until the connection is lost. A *shared* lock may be held by
    many sessions at once and keeps out only an exclusive one (replicas beside each
    other, but no process without Redis beside them)."""

    def __init__(self, engine: AsyncEngine, purpose: Purpose, *, shared: bool = False) -> None:
        self._engine = engine
        self._purpose = purpose
        self._mode = "_shared" if shared else ""
        self._connection: AsyncConnection | None = None
        self._held = False

    @property
    def held(self) -> bool:
        return self._held

    async def try_acquire(self) -> bool:
        """Take the lock if nobody holds it; True when this process holds it now."""
        if self._held:
            return True
        if not is_postgres(self._engine):
            self._held = True
            return True
        connection = await self._engine.connect()
        try:
            taken = await connection.scalar(
                text(f"SELECT pg_try_advisory_lock{self._mode}(:ns, :purpose)"),
                {"ns": NAMESPACE, "purpose": int(self._purpose)},
            )
            await connection.commit()  # no transaction left open beside the lock
        except BaseException:
            await connection.close()
            raise
        if not taken:
            await connection.close()
            return False
        self._connection, self._held = connection, True
        return True

    async def still_held(self) -> bool:
        """Whether the lock's connection is alive (a lost connection lost the lock)."""
        if self._connection is None:
            return self._held
        try:
            await self._connection.scalar(text("SELECT 1"))
            await self._connection.commit()
            return True
        except Exception as error:
            log.warning("lost the connection holding the %s lock: %s", self._purpose.name, error)
            await self._discard()
            return False

    async def release(self) -> None:
        if self._connection is None:
            self._held = False
            return
        try:
            await self._connection.execute(
                text(f"SELECT pg_advisory_unlock{self._mode}(:ns, :purpose)"),
                {"ns": NAMESPACE, "purpose": int(self._purpose)},
            )
            await self._connection.commit()
        except Exception:  # the connection is gone, and the lock with it
            pass
        await self._discard()

    async def _discard(self) -> None:
        connection, self._connection, self._held = self._connection, None, False
        if connection is not None:
            try:
                await connection.close()
            except Exception:
                await connection.invalidate()


async def lock_for_transaction(connection: AsyncConnection, purpose: Purpose) -> None:
    """Wait for ``purpose``'s lock, held until the transaction ends (migrations)."""
    if is_postgres(connection):
        await connection.execute(
            text("SELECT pg_advisory_xact_lock(:ns, :purpose)"),
            {"ns": NAMESPACE, "purpose": int(purpose)},
        )


async def serialize_on(connection: AsyncConnection, name: str) -> None:
    """Wait until no other transaction holds ``name``'s lock, and hold it to the end of
    this one: one chat's updates are handled one at a time across replicas."""
    if is_postgres(connection):
        await connection.execute(
            text("SELECT pg_advisory_xact_lock(hashtextextended(:name, 0))"), {"name": name}
        )


async def try_serialize_on(connection: AsyncConnection, name: str) -> bool:
    """Take ``name``'s lock to the end of this transaction, unless another holds it
    (False: a sweep task another replica is running right now is skipped)."""
    if not is_postgres(connection):
        return True
    return bool(
        await connection.scalar(
            text("SELECT pg_try_advisory_xact_lock(hashtextextended(:name, 0))"), {"name": name}
        )
    )
