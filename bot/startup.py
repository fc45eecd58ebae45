"""Start-up failures a user can cause, each told in one line that names the fix.

Starting touches the outside world — the data directory, the database server,
Telegram — and what goes wrong there is a setting or an outage, not a bug: it
gets one sentence and an exit code (2 for configuration, 1 for an outage that
outlasted the retries) instead of a traceback, which is logged at DEBUG. A
database server or a Redis that is not up yet (a container starting beside
Shequn) is waited for a little, saying so.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import socket
import sqlite3
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlsplit

from redis.exceptions import AuthenticationError, AuthorizationError, RedisError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError

from bot.settings import ConfigError, Settings, env_name
from storage.database import Storage, engine_url
from storage.migrate import UnknownRevision

if TYPE_CHECKING:
    from bot.app import App

log = logging.getLogger(__name__)
T = TypeVar("T")

#: Seconds between attempts to reach a database server (or Redis) that is down at start.
DATABASE_RETRY_DELAYS = (1, 2, 4, 8)

#: PostgreSQL error codes met when connecting (https://www.postgresql.org/docs/current/errcodes-appendix.html).
_NO_DATABASE = "3D000"
_AUTHENTICATION = ("28P01", "28000")
_NOT_READY = ("57P03", "53300")  # starting up or shutting down; too many connections


class StartupError(Exception):
    """Shequn cannot start. ``{setting}`` in the message is replaced by where the
    operator fixes it (the variable, or the config file), which only the caller knows."""

    def __init__(
        self, message: str, *, setting: str | None = None, code: int = 2, transient: bool = False
    ) -> None:
        super().__init__(message)
        self.message = message
        self.setting = setting
        self.code = code
        #: Worth trying again: the outside world may change by itself (a server starting).
        self.transient = transient

    def line(self, where: Callable[[str], str] = env_name) -> str:
        return self.message.format(setting=where(self.setting)) if self.setting else self.message

    def __str__(self) -> str:
        return self.line()


def build(settings: Settings, *, url: str | None = None, **kwargs: Any) -> App:
    """:func:`bot.app.build_app` on the database at ``url`` (default: the settings'),
    with a directory that cannot be made and settings that cannot work told in one line."""
    from bot.app import build_app

    url = url or settings.database_url
    parsed = engine_url(url)
    path = Path(parsed.database or "")
    if parsed.get_backend_name() == "sqlite" and parsed.database and path.is_dir():
        # Told before connecting: a failed open leaves aiosqlite's thread reporting to a
        # loop that is gone, which prints a traceback of its own.
        setting = _database_setting(settings, parsed)
        raise StartupError(
            f"cannot open the SQLite database {path}: it is a directory; point {{setting}} at "
            f"a file, e.g. {path / 'shequn.db'}",
            setting=setting,
        )
    try:
        storage = Storage.from_url(url, echo=settings.database.echo)
    except OSError as error:
        raise _directory_problem(settings, engine_url(url), error) from error
    try:
        return build_app(settings, storage=storage, **kwargs)
    except ConfigError as error:
        raise StartupError(str(error)) from None


def existing_database(settings: Settings) -> None:
    """A command that only reads refuses an SQLite file that is not there: opening it
    would create an empty one, and a mistyped path would then report that all is well."""
    url = engine_url(settings.database_url)
    path = Path(url.database or "")
    if url.get_backend_name() == "sqlite" and url.database and not path.exists():
        raise StartupError(
            f"there is no SQLite database at {path}, so nothing to read: check {{setting}} "
            "(a start, or shequn db upgrade, creates it)",
            setting=_database_setting(settings, url),
        )


async def prepare(app: App, *, retry: bool) -> None:
    """:meth:`App.prepare` (the schema brought up to date): see :func:`using_database`."""
    await using_database(app, app.prepare, retry=retry)


async def using_database(app: App, work: Callable[[], Awaitable[T]], *, retry: bool = False) -> T:
    """``work()``, the first use of the database, with what the operator can fix told
    in one line; a database server that is not up yet is waited for when ``retry``
    (a long-running start, not a one-shot command)."""
    return await _patiently(work, lambda error: database_problem(app, error), retry=retry)


async def using_redis(url: str, work: Callable[[], Awaitable[T]], *, retry: bool = False) -> T:
    """``work()`` on Redis, which replicas need to share their caches: told in one line,
    and waited for as the database is when ``retry`` (a container starting beside)."""
    return await _patiently(work, lambda error: redis_problem(url, error), retry=retry)


async def _patiently(
    work: Callable[[], Awaitable[T]],
    problem_of: Callable[[BaseException], StartupError | None],
    *,
    retry: bool,
) -> T:
    """``work()``; a failure ``problem_of`` finds transient is tried again after each of
    :data:`DATABASE_RETRY_DELAYS` (saying so), any other it names is raised as that."""
    delays = iter(DATABASE_RETRY_DELAYS if retry else ())
    while True:
        try:
            return await work()
        except Exception as error:
            problem = problem_of(error)
            if problem is None:
                raise
            log.debug("failure at start", exc_info=True)
            delay = next(delays, None) if problem.transient else None
            if delay is None:
                # A connection that failed to open hands its worker thread a stop to
                # report back: let it, before the loop closes (else it prints a traceback).
                await asyncio.sleep(0.05)
                raise problem from None
            log.warning("%s; retrying in %d s", problem.message.split(";")[0], delay)
            await asyncio.sleep(delay)


def database_problem(app: App, error: BaseException) -> StartupError | None:
    """One line for a database failure at start, or None for one that is not the
    operator's to fix (a bug: its traceback is wanted)."""
    url = app.storage.engine.url
    setting = _database_setting(app.settings, url)
    if isinstance(error, UnknownRevision):
        return StartupError(
            f"the database's schema is at {error.current}, from a newer version of Shequn "
            f"(this one knows up to {error.head}): run that version or a newer one, or "
            "restore the backup taken before the upgrade"
        )
    if url.get_backend_name() == "sqlite":
        return _sqlite_problem(url, setting, error)
    return _postgres_problem(url, setting, error)


def redis_problem(url: str, error: BaseException) -> StartupError | None:
    """One line for a Redis failure at start, or None for one that is not the
    operator's to fix."""
    where = _redis_where(url)
    if isinstance(error, AuthenticationError | AuthorizationError):
        return StartupError(
            f"Redis at {where} refused the credentials ({_first_line(error)}); check the "
            "user and password in {setting}",
            setting="redis.url",
        )
    if isinstance(error, RedisConnectionError | RedisTimeoutError | OSError):
        cause = error.__cause__ or error.__context__  # refused, not found, timed out, reset
        reason = _os_reason(cause) if isinstance(cause, OSError) else _first_line(error)
        return StartupError(
            f"cannot reach Redis at {where} ({reason}); start Redis, or fix {{setting}}",
            setting="redis.url",
            code=1,
            transient=True,
        )
    if isinstance(error, RedisError):  # it answered, with an error: a database index, …
        return StartupError(
            f"Redis at {where} answered: {_first_line(error)}; fix {{setting}}",
            setting="redis.url",
        )
    return None


def _redis_where(url: str) -> str:
    """``host:port`` (or the socket's path) of a Redis URL, without its password."""
    parts = urlsplit(url)
    if parts.scheme == "unix":
        return parts.path
    return f"{parts.hostname or 'localhost'}:{parts.port or 6379}"


def _first_line(error: BaseException) -> str:
    return (str(error) or type(error).__name__).splitlines()[0]


def _database_setting(settings: Settings, url: URL) -> str:
    """``database.url`` when the operator chose this database, else ``data_dir``."""
    chosen = settings.database.url
    return "database.url" if chosen and engine_url(chosen) == url else "data_dir"


def _postgres_problem(url: URL, setting: str, error: BaseException) -> StartupError | None:
    host = f"{url.host or 'localhost'}:{url.port or 5432}"
    cause = _driver_error(error)
    state = getattr(cause, "sqlstate", None)
    if state == _NO_DATABASE:
        command = f"createdb -h {url.host or 'localhost'} -p {url.port or 5432}"
        command += f" -U {url.username}" if url.username else ""
        return StartupError(
            f'database "{url.database}" does not exist on {host}; create it: '
            f"{command} {url.database} (or fix the name in {{setting}})",
            setting=setting,
        )
    if state in _AUTHENTICATION:
        return StartupError(
            f"PostgreSQL at {host} refused user {url.username or '(none)'!r}: {cause}; "
            "check the user and password in {setting}",
            setting=setting,
        )
    if state in _NOT_READY:
        return StartupError(
            f"the database server at {host} is not accepting connections ({cause}); "
            "try again shortly",
            code=1,
            transient=True,
        )
    if "rejected SSL" in str(cause):  # asyncpg's words for a server without SSL
        return StartupError(
            f"PostgreSQL at {host} does not offer SSL; use sslmode=prefer or sslmode=disable "
            "in {setting}",
            setting=setting,
        )
    if isinstance(cause, socket.gaierror):
        reason = f"host {url.host!r} not found"
    elif isinstance(cause, OSError | ConnectionError):  # refused, unreachable, timed out, reset
        reason = _os_reason(cause)
    else:
        return None
    return StartupError(
        f"cannot reach the database server at {host} ({reason}); "
        "start PostgreSQL, or fix the host and port in {setting}",
        setting=setting,
        code=1,
        transient=True,
    )


def _sqlite_problem(url: URL, setting: str, error: BaseException) -> StartupError | None:
    cause = _driver_error(error)
    if not isinstance(cause, sqlite3.Error):
        return None
    path = Path(url.database or "")
    text = str(cause)
    elsewhere = "another directory" if setting == "data_dir" else "another file"
    if "locked" in text:
        return StartupError(
            f"the SQLite database {path} is locked by another process (is Shequn running?)",
            code=1,
        )
    if "unable to open" in text and path.is_dir():
        why, fix = "it is a directory", f"point {{setting}} at a file, e.g. {path / 'shequn.db'}"
    elif "unable to open" in text:
        why, fix = "its directory is not writable", f"set {{setting}} to {elsewhere}"
    elif "readonly" in text:
        why, fix = "the file is read-only", f"make it writable or set {{setting}} to {elsewhere}"
    elif "not a database" in text:
        why, fix = "it is not an SQLite database", f"set {{setting}} to {elsewhere}"
    else:  # not about the file: a bug, whose traceback is wanted
        return None
    return StartupError(f"cannot open the SQLite database {path}: {why}; {fix}", setting=setting)


def _directory_problem(settings: Settings, url: URL, error: OSError) -> StartupError:
    directory = Path(url.database or "").parent
    setting = _database_setting(settings, url)
    if error.errno == errno.ENOTDIR:
        blocker = next((p for p in (directory, *directory.parents) if p.is_file()), directory)
        why = f"{blocker} is a file, not a directory"
    elif error.errno == errno.EEXIST:
        why = f"{error.filename or directory} is a file, not a directory"
    else:
        why = _os_reason(error)
    if setting == "data_dir":
        what, fix = "data directory", "set {setting} to a directory Shequn can write to"
    else:
        what = "directory of the SQLite database"
        fix = "point {setting} at a file in a directory Shequn can write to"
    return StartupError(f"cannot create the {what} {directory}: {why}; {fix}", setting=setting)


def _driver_error(error: BaseException) -> BaseException:
    """The driver's own exception under SQLAlchemy's wrappers."""
    if isinstance(error, DBAPIError) and error.orig is not None:
        original: BaseException = error.orig
        return original.__cause__ or original
    return error


def _os_reason(error: OSError | ConnectionError) -> str:
    if isinstance(error, ConnectionRefusedError):
        return "connection refused"
    if isinstance(error, TimeoutError):
        return "timed out"
    if isinstance(error, OSError) and error.strerror:
        return error.strerror.lower()
    return str(error) or type(error).__name__
