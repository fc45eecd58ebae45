"""Due work: tasks that run on a schedule rather than on an update.

The runtime's APScheduler job calls :meth:`Sweeper.sweep` every few seconds;
the sandbox calls it after moving its clock. Each task runs in its own
transaction and returns actions for the channels, so one failing task never
stops the others. Replicas sweep too: a task another replica is running at
that moment is skipped (its turn is a lock in the database), and each task's
outcome commits with what it changed, so the next sweep, here or elsewhere,
never does it twice.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime

from handlers.actions import Action, Receipt
from handlers.clock import Clock
from handlers.i18n import Texts
from handlers.receipts import ReceiptHook, record_receipts
from storage.database import Storage, is_transient
from storage.repositories import Repositories

log = logging.getLogger(__name__)

SweepTask = Callable[[Repositories, datetime], Awaitable[list[Action]]]


class Sweeper:
    def __init__(
        self,
        storage: Storage,
        clock: Clock,
        tasks: list[SweepTask],
        receipt_hooks: Mapping[str, ReceiptHook],
        texts: Texts,
    ) -> None:
        self._storage = storage
        self._clock = clock
        self._tasks = tasks
        self._receipt_hooks = receipt_hooks
        #: The community's texts, for what the hooks say about the receipts.
        self._texts = texts

    async def sweep(self) -> list[Action]:
        now = self._clock.now()
        actions: list[Action] = []
        for task in self._tasks:
            try:
                actions.extend(
                    await self._storage.run(lambda repos, t=task: _in_turn(t, repos, now))
                )
            except Exception as error:
                if not is_transient(error):  # a bug: its traceback is wanted
                    log.exception("sweep task %s failed; it runs again next sweep", task.__name__)
                    continue
                reason = (str(error) or type(error).__name__).splitlines()[0][:200]
                log.warning(
                    "sweep task %s skipped, the database is away: %s", task.__name__, reason
                )
        return actions

    async def next_due(self, now: datetime) -> datetime | None:
        """The earliest moment after ``now`` a task says something falls due (tasks
        that can tell have a ``next_due(repos, now)``). The sandbox steps its clock
        through these, so moving it by days shows every message on the way."""
        moments = []
        for task in self._tasks:
            estimate = getattr(task, "next_due", None)
            if estimate is not None:
                found = await self._storage.run(lambda repos, e=estimate: e(repos, now))
                if found is not None and found > now:
                    moments.append(found)
        return min(moments, default=None)

    async def record(self, receipts: list[Receipt] | None) -> list[Action]:
        """Close delivered (or refused) deliveries and remember tagged messages; returns
        what the features have to say about them, for the caller to deliver."""
        if not receipts:
            return []
        now = self._clock.now()
        return await self._storage.run(
            lambda repos: record_receipts(repos, receipts, now, self._receipt_hooks, self._texts)
        )


async def _in_turn(task: SweepTask, repos: Repositories, now: datetime) -> list[Action]:
    """``task``, unless another replica is running it right now (a task that keeps
    this process's own state, such as the FAQ index, runs on every replica)."""
    shared = not getattr(task, "every_replica", False)
    if shared and not await repos.replicas.if_free(f"sweep:{task.__name__}"):
        return []
    return await task(repos, now)
