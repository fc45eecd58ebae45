"""Memberships: who is in which chat, since when, and how active."""

from __future__ import annotations

import functools
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.models import Member, User
from storage.records import JoinOutcome, MemberRecord, UserRecord
from storage.repositories._hours import count, counted
from storage.repositories._sql import Prepared, Step, from_mapping, to_record, trip, upsert_insert


def _build_membership(insert: Any, *, counted: bool) -> Any:
    """Create the membership on first sight; afterwards refresh its activity and, for a
    group message (``counted``), count it (a member who had left is back)."""
    table = Member.__table__
    statement = insert(table).values(
        chat_id=bindparam("v_chat_id"),
        user_id=bindparam("v_user_id"),
        first_seen_at=bindparam("v_at"),
        last_active_at=bindparam("v_at"),
        message_count=1 if counted else 0,
    )
    refresh: dict[str, Any] = {"last_active_at": statement.excluded.last_active_at}
    if counted:
        refresh |= {"message_count": table.c.message_count + 1, "left_at": None}
    return statement.on_conflict_do_update(
        index_elements=["chat_id", "user_id"], set_=refresh
    ).returning(*table.c)


#: Built once per backend: every group message and a new member's first command run
#: these, and building an upsert costs more than running it.
_TOUCH = Prepared(functools.partial(_build_membership, counted=False))
_MESSAGE = Prepared(functools.partial(_build_membership, counted=True))


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
        await count(self._db, "joins", chat_id, at)
        return outcome

    async def record_leave(self, chat_id: int, user_id: int, at: datetime) -> bool:
        """Mark the member gone; False when they were not present (a duplicate)."""
        await self._ensure(chat_id, user_id, at)
        result = await self._db.execute(
            update(Member)
            .where(Member.chat_id == chat_id, Member.user_id == user_id, Member.left_at.is_(None))
            .values(left_at=at)
        )
        if result.rowcount != 1:
            return False
        await count(self._db, "leaves", chat_id, at)
        return True

    async def record_message(self, chat_id: int, user_id: int, at: datetime) -> MemberRecord:
        """Count a message (the member's and the chat's hour) and refresh last activity,
        creating the membership on first sight.

        One trip: this runs for every group message.
        """
        values = {"v_chat_id": chat_id, "v_user_id": user_id, "v_at": at}
        steps = [Step(_MESSAGE, values), counted("messages", chat_id, at)]
        outcome, _ = await trip(self._db, steps)
        return from_mapping(MemberRecord, outcome.rows[0])

    async def touch(self, chat_id: int, user_id: int, at: datetime) -> MemberRecord:
        """Refresh last activity without counting a message (commands, button presses)."""
        values = {"v_chat_id": chat_id, "v_user_id": user_id, "v_at": at}
        (outcome,) = await trip(self._db, [Step(_TOUCH, values)])
        return from_mapping(MemberRecord, outcome.rows[0])

    async def _count(self, *conditions: Any) -> int:
        query = select(func.count()).select_from(Member).where(*conditions)
        return int(await self._db.scalar(query) or 0)

    async def count_present(self, chat_id: int) -> int:
        return await self._count(Member.chat_id == chat_id, Member.left_at.is_(None))

    async def get_by_id(self, member_id: int) -> MemberRecord | None:
        row = (await self._db.execute(select(Member).where(Member.id == member_id))).first()
        return to_record(MemberRecord, row) if row else None

    async def start_onboarding(self, member_id: int, at: datetime, welcomer: str | None) -> None:
        """Begin a (new) onboarding flow: welcome and activation start over."""
        await self._db.execute(
            update(Member)
            .where(Member.id == member_id)
            .values(
                onboarding_started_at=at,
                welcomer=welcomer,
                welcomed_at=None,
                activated_at=None,
                activation_source=None,
            )
        )

    async def onboarded_elsewhere(self, user_id: int, person: int, before: datetime) -> bool:
        """Whether another account of the same person (``/link``) began its newcomer
        steps before ``before``: the person has been welcomed already."""
        others = select(User.id).where(
            or_(User.id == person, User.person_id == person), User.id != user_id
        )
        found = await self._db.scalar(
            select(Member.id)
            .where(Member.user_id.in_(others), Member.onboarding_started_at < before)
            .limit(1)
        )
        return found is not None

    async def count_onboarded(self, chat_id: int) -> int:
        """How many flows this chat has started (drives round-robin welcomers)."""
        return await self._count(
            Member.chat_id == chat_id, Member.onboarding_started_at.is_not(None)
        )

    async def activate(
        self, chat_id: int, user_id: int, at: datetime, source: str, window: timedelta
    ) -> bool:
        """Mark the member activated by ``source`` if inside the window; True the first time."""
        result = await self._db.execute(
            update(Member)
            .where(
                Member.chat_id == chat_id,
                Member.user_id == user_id,
                Member.activated_at.is_(None),
                Member.onboarding_started_at.is_not(None),
                Member.onboarding_started_at >= at - window,
            )
            .values(activated_at=at, activation_source=source)
        )
        return result.rowcount == 1

    async def awaiting_welcome(
        self, chat_id: int, joined_until: datetime
    ) -> list[tuple[MemberRecord, UserRecord]]:
        """Present members whose flow started by ``joined_until`` and were not welcomed yet."""
        columns = [c.label(f"m_{c.key}") for c in Member.__table__.c]
        columns += [c.label(f"u_{c.key}") for c in User.__table__.c]
        rows = (
            await self._db.execute(
                select(*columns)
                .join_from(Member, User, User.id == Member.user_id)
                .where(
                    Member.chat_id == chat_id,
                    Member.left_at.is_(None),
                    Member.welcomed_at.is_(None),
                    Member.onboarding_started_at.is_not(None),
                    Member.onboarding_started_at <= joined_until,
                )
                .order_by(Member.onboarding_started_at)
            )
        ).all()
        return [
            (to_record(MemberRecord, row, "m_"), to_record(UserRecord, row, "u_")) for row in rows
        ]

    async def mark_welcomed(self, member_ids: list[int], at: datetime) -> None:
        if member_ids:
            await self._db.execute(
                update(Member).where(Member.id.in_(member_ids)).values(welcomed_at=at)
            )

    async def onboarding_since(
        self, since: datetime, chat_id: int | None = None
    ) -> list[MemberRecord]:
        """Memberships whose flow started since ``since`` (for funnels)."""
        query = select(Member).where(Member.onboarding_started_at >= since)
        if chat_id is not None:
            query = query.where(Member.chat_id == chat_id)
        rows = (await self._db.execute(query.order_by(Member.onboarding_started_at))).all()
        return [to_record(MemberRecord, row) for row in rows]
