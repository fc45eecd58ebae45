"""Engine, transactions and retries.

SQLite (aiosqlite) is the embedded default, PostgreSQL (asyncpg) the
production database. A locked SQLite file or a PostgreSQL restart is a
passing fault: the whole unit of work is retried, so nothing is lost.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, OperationalError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    create_async_engine,
)
from tenacity import (
    AsyncRetrying,
    before_sleep_log,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential,
)

from storage.repositories import Repositories

log = logging.getLogger(__name__)
T = TypeVar("T")


def is_transient(error: BaseException) -> bool:
    """Faults worth retrying: a locked SQLite file, a dropped connection."""
    if isinstance(error, OperationalError):
        return True
    if isinstance(error, DBAPIError) and error.connection_invalidated:
        return True
    return isinstance(error, ConnectionError | TimeoutError)


#: The async driver Shequn uses for each backend it supports.
DRIVERS = {"postgresql": "asyncpg", "sqlite": "aiosqlite"}
#: Backend names people write that mean one Shequn supports.
_ALIASES = {"postgres": "postgresql", "pgsql": "postgresql", "postgresql": "postgresql"}
URL_EXAMPLES = "postgresql://user:password@host:5432/shequn or sqlite:///data/shequn.db"


class UnsupportedDatabase(ValueError):
    """A database URL Shequn cannot use, explained in one line."""


def engine_url(url: str) -> URL:
    """``url`` with Shequn's async driver: ``postgresql://`` and ``postgres://`` get
    asyncpg and ``sqlite://`` aiosqlite, as people copy URLs from elsewhere; a
    backend or driver Shequn does not support raises :class:`UnsupportedDatabase`."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise UnsupportedDatabase(f"not a database URL (examples: {URL_EXAMPLES})") from None
    backend, _, driver = parsed.drivername.partition("+")
    backend = _ALIASES.get(backend, backend)
    wanted = DRIVERS.get(backend)
    if wanted is None:
        raise UnsupportedDatabase(
            f"Shequn works with PostgreSQL and SQLite, not {parsed.drivername!r} "
            f"(examples: {URL_EXAMPLES})"
        )
    if driver and driver != wanted:
        raise UnsupportedDatabase(
            f"Shequn talks to {backend} through {wanted}, not {driver}: "
            f"write {backend}://… or {backend}+{wanted}://…"
        )
    parsed = parsed.set(drivername=f"{backend}+{wanted}")
    return _asyncpg_query(parsed) if backend == "postgresql" else parsed


def shown_url(url: URL) -> str:
    """``url`` as ``database.url`` takes it (no driver named), its password hidden: for
    the operator to read or copy."""
    return url.set(drivername=url.get_backend_name()).render_as_string(hide_password=True)


#: libpq's SSL modes, which asyncpg takes as its ``ssl`` argument.
SSL_MODES = ("disable", "allow", "prefer", "require", "verify-ca", "verify-full")


def _asyncpg_query(url: URL) -> URL:
    """The URL's parameters as asyncpg takes them: ``sslmode=require``, the libpq form
    managed PostgreSQL services hand out, is asyncpg's ``ssl=require``; a parameter
    asyncpg has no use for is refused by name rather than failing the connection."""
    query = dict(url.query)
    mode = query.pop("sslmode", None) or query.pop("ssl", None)
    if query:
        names = ", ".join(sorted(query))
        raise UnsupportedDatabase(
            f"the PostgreSQL URL parameter {names} is not supported (only sslmode=…)"
        )
    if mode is None:
        return url
    if mode not in SSL_MODES:
        raise UnsupportedDatabase(f"sslmode={mode} is none of {', '.join(SSL_MODES)}")
    return url.set(query={"ssl": mode})


def create_engine(url: str, *, echo: bool = False) -> AsyncEngine:
    """An async engine with sensible settings per backend."""
    parsed = engine_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        # One connection: SQLite has one writer anyway, and queueing in the pool
        # is far cheaper than SQLite's sleeping busy handler under contention.
        engine = create_async_engine(
            parsed,
            echo=echo,
            connect_args={"timeout": 15},
            pool_size=1,
            max_overflow=0,
            pool_timeout=120,
        )
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    else:
        engine = create_async_engine(
            parsed, echo=echo, pool_pre_ping=True, pool_size=10, max_overflow=10
        )
    event.listen(engine.sync_engine, "before_cursor_execute", _storable_text, retval=True)
    return engine


def _storable_text(
    _connection: Any,
    _cursor: Any,
    statement: str,
    parameters: Any,
    _context: Any,
    executemany: bool,
) -> tuple[str, Any]:
    """NUL, which PostgreSQL refuses in text, becomes U+FFFD in whatever is written (a
    member's message, an imported FAQ file, a console form), on both backends alike, so
    an odd character never fails the write, nor a later move to PostgreSQL."""
    if executemany:
        return statement, [_without_nul(row) for row in parameters]
    return statement, _without_nul(parameters)


def _without_nul(parameters: Any) -> Any:
    if isinstance(parameters, dict):
        if any(isinstance(v, str) and "\x00" in v for v in parameters.values()):
            return {k: _replaced(v) for k, v in parameters.items()}
        return parameters
    if isinstance(parameters, tuple | list) and any(
        isinstance(v, str) and "\x00" in v for v in parameters
    ):
        return type(parameters)(_replaced(v) for v in parameters)
    return parameters


def _replaced(value: Any) -> Any:
    return value.replace("\x00", "\ufffd") if isinstance(value, str) else value


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """WAL lets readers run beside the writer; busy_timeout waits out short locks;
    a 64 MB page cache keeps the indexes of a million-row ledger in memory
    (SQLite's default is 2 MB)."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=15000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA cache_size=-65536")
    cursor.close()


def replica_name() -> str:
    """A name for this process that no other replica shares, readable in logs."""
    return f"{socket.gethostname()[:64]}-{os.getpid()}-{secrets.token_hex(3)}"


class Storage:
    """Owns the engine; hands out units of work."""

    def __init__(self, engine: AsyncEngine, *, attempts: int = 5, max_wait: float = 2.0) -> None:
        self.engine = engine
        #: This process among the replicas on the database: ``host-pid-random``.
        self.replica_id = replica_name()
        self._attempts = attempts
        self._max_wait = max_wait

    @classmethod
    def from_url(cls, url: str, *, echo: bool = False) -> Storage:
        return cls(create_engine(url, echo=echo))

    @property
    def backend(self) -> str:
        return self.engine.dialect.name

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Repositories]:
        """One transaction: committed on success, rolled back on any error.

        Repositories speak SQLAlchemy Core on the connection: they return plain
        records, so the ORM's identity map and unit of work would only cost time.
        """
        async with self.engine.begin() as connection:
            yield Repositories.bind(connection, self.replica_id)

    async def run(self, work: Callable[[Repositories], Awaitable[T]]) -> T:
        """Run ``work`` in a transaction, retrying it whole on passing faults.

        The first attempt runs directly; only a failure pays for the retry
        machinery (it costs a fifth of a fast transaction otherwise).
        """
        try:
            async with self.transaction() as repos:
                return await work(repos)
        except Exception as error:
            if not is_transient(error) or self._attempts < 2:
                raise
            log.warning("database fault, retrying: %s", error)
        retrying = AsyncRetrying(
            retry=retry_if_exception(is_transient),
            stop=stop_after_attempt(self._attempts - 1),
            wait=wait_exponential(multiplier=0.05, max=self._max_wait),
            before_sleep=before_sleep_log(log, logging.WARNING),
            reraise=True,
        )
        async for attempt in retrying:
            with attempt:
                async with self.transaction() as repos:
                    return await work(repos)
        raise AssertionError("unreachable")

    async def ping(self) -> None:
        """One round trip to the database (callers bound it with ``asyncio.timeout``)."""
        async with self.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))

    async def close(self) -> None:
        await self.engine.dispose()
