"""Messages the bot posted under a tag, so that replies to them find their way back."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.models import SentMessage
from storage.repositories._sql import upsert_insert


class SentMessageRepository:
    def __init__(self, db: AsyncConnection) -> None:
        self._db = db

    async def remember(
        self,
        platform: str,
        chat_id: str,
        message_id: str,
        *,
        kind: str,
        key: int,
        at: datetime,
    ) -> None:
        """Record what a posted message is about (a second report changes nothing)."""
        await self._db.execute(
            upsert_insert(self._db, SentMessage)
            .values(
                platform=platform,
                chat_id=chat_id,
                message_id=message_id,
                tag_kind=kind,
                tag_key=key,
                sent_at=at,
            )
            .on_conflict_do_nothing(index_elements=["platform", "chat_id", "message_id"])
        )

    async def tag_of(self, platform: str, chat_id: str, message_id: str) -> tuple[str, int] | None:
        """What the bot's message ``message_id`` in ``chat_id`` was about, if it was tagged."""
        row = (
            await self._db.execute(
                select(SentMessage.tag_kind, SentMessage.tag_key).where(
                    SentMessage.platform == platform,
                    SentMessage.chat_id == chat_id,
                    SentMessage.message_id == message_id,
                )
            )
        ).first()
        return (row.tag_kind, row.tag_key) if row else None

    async def messages_of(self, platform: str, kind: str, key: int) -> list[tuple[str, str]]:
        """(chat id, message id) of the messages posted on ``platform`` under a tag."""
        rows = await self._db.execute(
            select(SentMessage.chat_id, SentMessage.message_id)
            .where(
                SentMessage.tag_kind == kind,
                SentMessage.tag_key == key,
                SentMessage.platform == platform,
            )
            .order_by(SentMessage.sent_at)
        )
        return [(row.chat_id, row.message_id) for row in rows]

    async def places_of(self, kind: str, key: int) -> list[tuple[str, str, str]]:
        """(platform, chat id, message id) of the messages posted under a tag on any
        platform: what was done on one (a claim in the console, a WeChat member's
        answer) updates the message where it is."""
        rows = await self._db.execute(
            select(SentMessage.platform, SentMessage.chat_id, SentMessage.message_id)
            .where(SentMessage.tag_kind == kind, SentMessage.tag_key == key)
            .order_by(SentMessage.sent_at)
        )
        return [(row.platform, row.chat_id, row.message_id) for row in rows]

    async def take(self, platform: str, kind: str, key: int) -> list[tuple[str, str]]:
        """The messages posted under a tag, forgotten as they are handed over (the
        previous group welcome, deleted when a new one is posted)."""
        found = await self.messages_of(platform, kind, key)
        await self._db.execute(
            delete(SentMessage).where(
                SentMessage.tag_kind == kind,
                SentMessage.tag_key == key,
                SentMessage.platform == platform,
            )
        )
        return found

    async def forget_before(self, cutoff: datetime) -> int:
        """Replies to messages this old are no longer routed (housekeeping)."""
        result = await self._db.execute(delete(SentMessage).where(SentMessage.sent_at < cutoff))
        return result.rowcount or 0
