"""Memberships: who is in which chat, since when, and how active."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.models import Member
from storage.records import JoinOutcome, MemberRecord
from storage.repositories._sql import to_record, upsert_insert


class MemberRepository:
    def __init__(self, db: AsyncConnection) -> None:
        self._db = db

    async def get(self, chat_id: int, user_id: int) -> MemberRecord | None:
        row = (
            await self._db.execute(
                select(Member).where(Member.chat_id == chat_id, Member.user_id == user_id)
            )
        ).first()
        return to_record(MemberRecord, row) if row else None

    async def _ensure(self, chat_id: int, user_id: int, at: datetime) -> None:
        await self._db.execute(
            upsert_insert(self._db, Member)
            .values(chat_id=chat_id, user_id=user_id, first_seen_at=at, message_count=0)
            .on_conflict_do_nothing(index_elements=["chat_id", "user_id"])
        )

    async def record_join(self, chat_id: int, user_id: int, at: datetime) -> JoinOutcome:
        """Record a join signal; tells a real join from a second signal of the same one.

        Telegram reports one join twice (a ``chat_member`` update and a
        ``new_chat_members`` message): the second finds the member present with
        a join already recorded and is a duplicate.
        """
        existing = await self.get(chat_id, user_id)
        if existing is None:
            await self._ensure(chat_id, user_id, at)
            existing = await self.get(chat_id, user_id)
            assert existing is not None
        if existing.present and existing.joined_at is not None:
            return JoinOutcome.DUPLICATE
        outcome = JoinOutcome.REJOINED if existing.left_at is not None else JoinOutcome.NEW
        await self._db.execute(
            update(Member).where(Member.id == existing.id).values(joined_at=at, left_at=None)
        )
        return outcome

    async def record_leave(self, chat_id: int, user_id: int, at: datetime) -> bool:
        """Mark the member gone; False when they were not present (a duplicate)."""
        await self._ensure(chat_id, user_id, at)
        result = await self._db.execute(
            update(Member)
            .where(Member.chat_id == chat_id, Member.user_id == user_id, Member.left_at.is_(None))
            .values(left_at=at)
        )
        return result.rowcount == 1

    async def record_message(self, chat_id: int, user_id: int, at: datetime) -> MemberRecord:
        """Count a message and refresh last activity, creating the membership on first sight.

        One statement: this runs for every group message.
        """
        statement = (
            upsert_insert(self._db, Member)
            .values(
                chat_id=chat_id,
                user_id=user_id,
                first_seen_at=at,
                last_active_at=at,
                message_count=1,
            )
            .on_conflict_do_update(
                index_elements=["chat_id", "user_id"],
                set_={
                    "message_count": Member.message_count + 1,
                    "last_active_at": at,
                    "left_at": None,
                },
            )
            .returning(*Member.__table__.c)
        )
        return to_record(MemberRecord, (await self._db.execute(statement)).one())

    async def touch(self, chat_id: int, user_id: int, at: datetime) -> MemberRecord:
        """Refresh last activity without counting a message (commands, button presses)."""
        statement = (
            upsert_insert(self._db, Member)
            .values(
                chat_id=chat_id,
                user_id=user_id,
                first_seen_at=at,
                last_active_at=at,
                message_count=0,
            )
            .on_conflict_do_update(
                index_elements=["chat_id", "user_id"], set_={"last_active_at": at}
            )
            .returning(*Member.__table__.c)
        )
        return to_record(MemberRecord, (await self._db.execute(statement)).one())

    async def count_present(self, chat_id: int) -> int:
        return int(
            await self._db.scalar(
                select(func.count())
                .select_from(Member)
                .where(Member.chat_id == chat_id, Member.left_at.is_(None))
            )
            or 0
        )
