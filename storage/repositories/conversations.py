"""Guided exchanges in progress, so a restart mid-``/addfaq`` loses nothing."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.models import Conversation
from storage.records import ConversationRecord
from storage.repositories._sql import to_record, upsert_insert


class ConversationRepository:
    def __init__(self, db: AsyncConnection) -> None:
        self._db = db

    async def start(
        self, chat_id: int, user_id: int, kind: str, state: dict[str, Any], expires_at: datetime
    ) -> None:
        """Begin (or replace) the person's exchange in this chat."""
        values = {"kind": kind, "state": state, "expires_at": expires_at}
        await self._db.execute(
            upsert_insert(self._db, Conversation)
            .values(chat_id=chat_id, user_id=user_id, **values)
            .on_conflict_do_update(index_elements=["chat_id", "user_id"], set_=values)
        )

    async def get(self, chat_id: int, user_id: int, now: datetime) -> ConversationRecord | None:
        """The live exchange, if any (an expired one is gone)."""
        row = (
            await self._db.execute(
                select(Conversation).where(
                    Conversation.chat_id == chat_id,
                    Conversation.user_id == user_id,
                    Conversation.expires_at > now,
                )
            )
        ).first()
        return to_record(ConversationRecord, row) if row else None

    async def finish(self, chat_id: int, user_id: int) -> bool:
        result = await self._db.execute(
            delete(Conversation).where(
                Conversation.chat_id == chat_id, Conversation.user_id == user_id
            )
        )
        return bool(result.rowcount)

    async def forget_expired(self, now: datetime) -> int:
        result = await self._db.execute(delete(Conversation).where(Conversation.expires_at <= now))
        return int(result.rowcount or 0)
