"""This replica's lease and, among replicas, the leader.

Every few seconds a replica renews its row in ``replicas``; that row is the
lease on the deliveries it is sending. The leader — the replica holding a
PostgreSQL advisory lock, which the database releases the moment its holder's
connection dies — closes what replicas gone for longer than the lease left
mid-send, and runs the work that must have one runner (the FAQ's
calibration). A replica that finds the lock free takes it at its next beat,
so a dead leader is replaced within a beat. The only process on a database
is its leader.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from storage.database import Storage, is_transient
from storage.locks import Purpose, SessionLock

log = logging.getLogger(__name__)

#: How often a replica renews its lease and looks for a free leader lock.
BEAT_SECONDS = 5.0
#: A replica not seen for this long is gone; what it held mid-send is closed.
LEASE = timedelta(seconds=30)
#: Rows of replicas gone this long are deleted.
FORGET_AFTER = timedelta(days=1)


class Membership:
    """This process among the replicas: its lease, and whether it leads."""

    def __init__(
        self,
        storage: Storage,
        *,
        replicas: bool,
        keep: Callable[[], Awaitable[bool]] | None = None,
        on_lost: Callable[[], None] | None = None,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        """``keep()``: renews what this process holds besides its lease (the sole
        process's lock); when it returns False, ``on_lost()`` stops the process."""
        self._storage = storage
        self._replicas = replicas
        self._keep, self._on_lost = keep, on_lost
        self._now = now
        self._leader_lock = SessionLock(storage.engine, Purpose.LEADER)
        self._task: asyncio.Task[None] | None = None
        self.leader = not replicas
        self.id = storage.replica_id

    async def start(self) -> None:
        """The first beat (registered, leading if the lock is free), then one every
        :data:`BEAT_SECONDS` in the background."""
        try:
            await self.beat()
        except BaseException:
            await self._leader_lock.release()
            raise
        self._task = asyncio.create_task(self._beat_forever(), name="replica lease")

    async def beat(self) -> None:
        if self._keep is not None and not await self._keep():
            log.error(
                "another Shequn process took this database's lock while the connection "
                "holding it was lost; stopping"
            )
            if self._on_lost is not None:
                self._on_lost()
            return
        if self._replicas:
            await self._contend()
        now = self._now()
        leader, me = self.leader, self.id

        async def renew(repos):  # type: ignore[no-untyped-def]
            await repos.replicas.beat(
                me, host=socket.gethostname()[:255], pid=os.getpid(), now=now, leader=leader
            )
            if not leader:
                return 0
            await repos.replicas.step_down_others(me)
            await repos.replicas.forget_gone(now - FORGET_AFTER)
            return await repos.deliveries.fail_abandoned(now, now - LEASE)

        abandoned = await self._storage.run(renew)
        if abandoned:
            log.warning(
                "%d deliveries were cut off mid-send by a replica that stopped; not resent",
                abandoned,
            )

    async def _contend(self) -> None:
        if self.leader:
            if await self._leader_lock.still_held():
                return
            self.leader = False
            log.warning("this replica (%s) lost the leader lock", self.id)
        if await self._leader_lock.try_acquire():
            self.leader = True
            log.info("this replica (%s) leads now", self.id)

    async def _beat_forever(self) -> None:
        while True:
            await asyncio.sleep(BEAT_SECONDS)
            try:
                await self.beat()
            except Exception as error:
                if not is_transient(error):
                    log.exception("renewing this replica's lease failed")
                else:
                    log.warning("cannot renew this replica's lease: %s", str(error)[:200])

    async def stop(self) -> None:
        """Give up the lease and the leadership: another replica takes over at once."""
        if self._task is None:  # never started (a start that failed earlier)
            await self._leader_lock.release()
            return
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self._task = None
        me = self.id
        try:
            await self._storage.run(lambda repos: repos.replicas.leave(me))
        except Exception as error:  # the database away: the lease runs out by itself
            log.warning("could not give up this replica's lease: %s", str(error)[:200])
        await self._leader_lock.release()
        self.leader = False
