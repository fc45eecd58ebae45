"""Refuses a process that would share its database unsafely.

SQLite serves one process: a lock file beside the database, held for the
process's life (the operating system drops it when the process dies, however
it dies). PostgreSQL without Redis runs one process too, held by an advisory
lock; with Redis, replicas are welcome (each holds that lock shared, so a process
without Redis cannot join them, nor they it), but only one may poll Telegram, and
not beside replicas that take its webhook.
"""

from __future__ import annotations

import contextlib
import logging
from pathlib import Path

from filelock import FileLock, Timeout
from sqlalchemy.engine import URL

from bot.settings import Settings
from bot.startup import StartupError
from storage.database import Storage
from storage.locks import Purpose, SessionLock

log = logging.getLogger(__name__)


class ProcessGuard:
    """What this process holds so that no other process runs unsafely beside it."""

    def __init__(self, storage: Storage, settings: Settings, *, sandbox: bool = False) -> None:
        self._storage = storage
        self._settings = settings
        self._sandbox = sandbox
        self._file: FileLock | None = None
        self._locks: list[SessionLock] = []

    @property
    def replicas(self) -> bool:
        """Several processes may run on this database (PostgreSQL with Redis)."""
        return self._storage.backend == "postgresql" and self._settings.redis.configured

    async def acquire(self) -> None:
        """Take what this process needs, or raise a one-line :class:`StartupError`."""
        url = self._storage.engine.url
        if self._storage.backend == "sqlite":
            if self._settings.redis.configured:
                raise StartupError(
                    "{setting} is set, but replicas need PostgreSQL (database.url): SQLite "
                    "serves one process; unset it, or move to PostgreSQL",
                    setting="redis.url",
                )
            self._lock_file(url)
            return
        where = _where(url)
        if not self.replicas:
            await self._hold(
                Purpose.SOLE_PROCESS,
                f"another Shequn process is running on the database {where}; without Redis "
                "only one may: stop it, or set {setting} to run replicas",
                setting="redis.url",
            )
        else:  # its caches and limits would go unshared, its start close replicas' sends
            await self._hold(
                Purpose.SOLE_PROCESS,
                f"a Shequn process without Redis is running on the database {where}; "
                "replicas cannot run beside it: stop it, or restart it with {setting} set",
                setting="redis.url",
                shared=True,
            )
        if not self._settings.telegram_token:
            return
        # A poller holds the Telegram lock alone, webhook replicas share it: a poller's
        # start would delete the replicas' webhook, a replica's start end the polling.
        if self._settings.telegram.mode == "polling":
            await self._hold(
                Purpose.POLLING,
                f"another Shequn process serves Telegram for the database {where} (it polls, "
                "or replicas take its webhook); only one may poll, and none beside webhook "
                "replicas: stop it, or run this one in webhook mode ({setting})",
                setting="telegram.mode",
            )
        else:
            await self._hold(
                Purpose.POLLING,
                f"a Shequn process is polling Telegram for the database {where}; a webhook "
                "replica beside it would end its polling: stop it, or set {setting} to "
                "webhook there too",
                setting="telegram.mode",
                shared=True,
            )

    async def acquire_alone(self, refusal: str) -> None:
        """Hold the database as its only user, for work no running Shequn may see half
        done (a copy of its data): the SQLite lock file, or the process lock taken
        exclusively, which neither a sole process nor a replica holds beside."""
        if self._storage.backend == "sqlite":
            self._lock_file(self._storage.engine.url, refusal)
        else:
            await self._hold(Purpose.SOLE_PROCESS, refusal, setting=None)

    async def _hold(
        self, purpose: Purpose, refusal: str, *, setting: str | None, shared: bool = False
    ) -> None:
        lock = SessionLock(self._storage.engine, purpose, shared=shared)
        if not await lock.try_acquire():
            raise StartupError(refusal, setting=setting)
        self._locks.append(lock)

    def _lock_file(self, url: URL, refusal: str | None = None) -> None:
        database = url.database
        if not database or database == ":memory:":
            return
        path = Path(database)
        lock = FileLock(path.with_name(path.name + ".lock"), timeout=0)
        try:
            lock.acquire()
        except Timeout:
            if refusal is not None:
                raise StartupError(refusal) from None
            if self._sandbox:
                raise StartupError(
                    f"the sandbox's database {path} is in use by another sandbox; close that "
                    "one first (one sandbox per data directory)"
                ) from None
            raise StartupError(
                f"the SQLite database {path} is in use by another Shequn process; SQLite "
                "serves one process: stop the other one, or run replicas on PostgreSQL "
                "with Redis"
            ) from None
        self._file = lock

    async def keep(self) -> bool:
        """Keep every database lock: one whose connection was lost (a database restart)
        is taken again; False when another process took it meanwhile."""
        for lock in self._locks:
            if not await lock.still_held() and not await lock.try_acquire():
                return False
        return True

    async def release(self) -> None:
        for lock in reversed(self._locks):
            await lock.release()
        self._locks.clear()
        if self._file is not None:
            with contextlib.suppress(OSError):
                self._file.release()
            self._file = None


def _where(url: URL) -> str:
    return f"{url.host or 'localhost'}:{url.port or 5432}/{url.database}"
