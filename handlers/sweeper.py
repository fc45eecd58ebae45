"""Due work: tasks that run on a schedule rather than on an update.

The runtime's APScheduler job calls :meth:`Sweeper.sweep` every few seconds;
the sandbox calls it after moving its clock. Each task runs in its own
transaction and returns actions for the channels, so one failing task never
stops the others.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime

from handlers.actions import Action, Receipt
from handlers.clock import Clock
from storage.database import Storage
from storage.records import DeliveryStatus
from storage.repositories import Repositories

log = logging.getLogger(__name__)

SweepTask = Callable[[Repositories, datetime], Awaitable[list[Action]]]


class Sweeper:
    def __init__(self, storage: Storage, clock: Clock, tasks: list[SweepTask]) -> None:
        self._storage = storage
        self._clock = clock
        self._tasks = tasks

    async def sweep(self) -> list[Action]:
        now = self._clock.now()
        actions: list[Action] = []
        for task in self._tasks:
            try:
                actions.extend(await self._storage.run(lambda repos, t=task: t(repos, now)))
            except Exception:
                log.exception("sweep task %s failed; it will run again next sweep", task.__name__)
        return actions

    async def record(self, receipts: list[Receipt]) -> None:
        """Close delivered (or refused) deliveries with what the channel reported."""
        if not receipts:
            return
        now = self._clock.now()

        async def work(repos: Repositories) -> None:
            for receipt in receipts:
                status = DeliveryStatus.SENT if receipt.ok else DeliveryStatus.FAILED
                await repos.deliveries.finish(receipt.delivery_id, status, now, receipt.error)

        await self._storage.run(work)
