"""The WeCom access token in the database, shared by every replica.

WeCom allows a limited number of ``gettoken`` calls and each replica fetching its
own would waste them; so the token is stored, one replica refreshes it under a
short lease, and the others use what it stored.
"""

from __future__ import annotations

from datetime import datetime

from handlers.clock import Clock
from storage.database import Storage


class DatabaseTokenStore:
    def __init__(self, storage: Storage, name: str, clock: Clock) -> None:
        self._storage, self._name, self._clock = storage, name, clock

    async def load(self) -> tuple[str, datetime] | None:
        now = self._clock.now()
        return await self._storage.run(lambda repos: repos.access_tokens.valid(self._name, now))

    async def save(self, token: str, expires_at: datetime) -> None:
        await self._storage.run(
            lambda repos: repos.access_tokens.store(self._name, token, expires_at)
        )

    async def forget(self, token: str) -> None:
        await self._storage.run(lambda repos: repos.access_tokens.forget(self._name, token))
