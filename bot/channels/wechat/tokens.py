"""The WeCom access token in the database, shared by every replica.

WeCom allows a limited number of ``gettoken`` calls a day, and each fetch may end
the previous token; so the token is stored, one replica fetches a new one under
a short lease, and the others wait for it instead of fetching their own.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from bot.channels.wechat.api import REFRESH_BEFORE
from handlers.clock import Clock
from storage.database import Storage
from storage.repositories import Repositories

#: How long a replica may take to fetch and store a new token before another may try.
LEASE = timedelta(seconds=30)
#: How long, and how often, a replica waits for the one holding the lease.
WAIT_STEPS, WAIT_STEP = 50, 0.2


class DatabaseTokenStore:
    def __init__(self, storage: Storage, name: str, clock: Clock) -> None:
        self._storage, self._name, self._clock = storage, name, clock
        #: Until when this replica holds the lease (its own fetch failed: try again).
        self._holding_until: datetime | None = None

    async def load(self) -> tuple[str, datetime] | None:
        """A token good for a while yet; None when this replica should fetch one (it
        then holds the lease until :meth:`save`)."""
        for _ in range(WAIT_STEPS):
            fresh, leased = await self._storage.run(self._fresh_or_lease)
            if fresh is not None:
                return fresh
            now = self._clock.now()
            if leased:
                self._holding_until = now + LEASE
                return None
            if self._holding_until is not None and now < self._holding_until:
                return None  # our own lease: the last fetch failed, fetch again
            await asyncio.sleep(WAIT_STEP)  # another replica is fetching it
        return None  # it never stored one: fetch here

    async def _fresh_or_lease(
        self, repos: Repositories
    ) -> tuple[tuple[str, datetime] | None, bool]:
        now = self._clock.now()
        fresh = await repos.access_tokens.valid(self._name, now + REFRESH_BEFORE)
        if fresh is not None:
            return fresh, False
        return None, await repos.access_tokens.take_lease(self._name, now, now + LEASE)

    async def save(self, token: str, expires_at: datetime) -> None:
        self._holding_until = None
        await self._storage.run(
            lambda repos: repos.access_tokens.store(self._name, token, expires_at)
        )

    async def forget(self, token: str) -> None:
        await self._storage.run(lambda repos: repos.access_tokens.forget(self._name, token))
