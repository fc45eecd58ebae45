"""De-duplication of redelivered platform updates."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.models import ProcessedUpdate
from storage.records import Arrival, ChatSeen, UserSeen
from storage.repositories import chats, users
from storage.repositories._sql import Prepared, Step, trip


def _build_claim(insert: Any) -> Any:
    return (
        insert(ProcessedUpdate.__table__)
        .values(
            channel=bindparam("v_channel"), key=bindparam("v_key"), processed_at=bindparam("v_at")
        )
        .on_conflict_do_nothing(index_elements=["channel", "key"])
    )


_CLAIM = Prepared(_build_claim)


def claim_step(channel: str, key: str, at: datetime) -> Step:
    """Claims the update; as a gate, a redelivery skips the rest of the trip."""
    return Step(_CLAIM, {"v_channel": channel, "v_key": key, "v_at": at}, gate=True)


class ProcessedUpdateRepository:
    def __init__(self, db: AsyncConnection) -> None:
        self._db = db

    async def claim(self, channel: str, key: str, at: datetime) -> bool:
        """True the first time ``key`` is seen; False for a redelivery.

        The row commits with the handler's effects, so a crash before commit
        leaves the update unclaimed and the platform's redelivery is handled.
        """
        (outcome,) = await trip(self._db, [claim_step(channel, key, at)])
        return outcome.rowcount == 1

    async def arrive(
        self,
        channel: str,
        key: str,
        at: datetime,
        *,
        chat: ChatSeen | None = None,
        user: UserSeen | None = None,
        seen_at: datetime | None = None,
    ) -> Arrival:
        """Claim the update and store its chat and sender, in one trip to the database.

        A redelivery stores nothing. On SQLite the three statements cost one
        visit to the connection's thread: a new member's first message is as
        cheap as it can be. ``seen_at``: when the chat and sender were seen
        (the update's time; ``at`` by default).
        """
        seen_at = seen_at or at
        steps = [claim_step(channel, key, at)]
        if chat is not None:
            steps.append(chats.upsert_step(chat, seen_at))
        if user is not None:
            steps.append(users.upsert_step(user, seen_at))
        outcomes = await trip(self._db, steps)
        if outcomes[0].rowcount != 1:
            return Arrival(claimed=False)
        stored = iter(outcomes[1:])
        return Arrival(
            claimed=True,
            chat=chats.chat_from(next(stored).rows[0]) if chat is not None else None,
            user=users.user_from(next(stored).rows[0]) if user is not None else None,
        )

    async def forget_before(self, cutoff: datetime) -> int:
        """Drop keys older than any platform redelivers (housekeeping)."""
        result = await self._db.execute(
            delete(ProcessedUpdate).where(ProcessedUpdate.processed_at < cutoff)
        )
        return result.rowcount or 0
