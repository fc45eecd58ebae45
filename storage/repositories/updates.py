"""De-duplication of redelivered platform updates."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.models import ProcessedUpdate
from storage.repositories._sql import upsert_insert


class ProcessedUpdateRepository:
    def __init__(self, db: AsyncConnection) -> None:
        self._db = db

    async def claim(self, channel: str, key: str, at: datetime) -> bool:
        """True the first time ``key`` is seen; False for a redelivery.

        The row commits with the handler's effects, so a crash before commit
        leaves the update unclaimed and the platform's redelivery is handled.
        """
        statement = (
            upsert_insert(self._db, ProcessedUpdate)
            .values(channel=channel, key=key, processed_at=at)
            .on_conflict_do_nothing(index_elements=["channel", "key"])
        )
        result = await self._db.execute(statement)
        return result.rowcount == 1

    async def forget_before(self, cutoff: datetime) -> int:
        """Drop keys older than any platform redelivers (housekeeping)."""
        result = await self._db.execute(
            delete(ProcessedUpdate).where(ProcessedUpdate.processed_at < cutoff)
        )
        return result.rowcount or 0
