"""Members' one-to-one windows on platforms that limit writing to them, and the
messages held while a window is closed."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import case, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.models import HeldMessage, ReplyWindow
from storage.records import HeldMessageRecord, ReplyWindowRecord
from storage.repositories._sql import to_record, upsert_insert


class ReplyWindowRepository:
    def __init__(self, db: AsyncConnection) -> None:
        self._db = db

    async def get(self, platform: str, user_id: str) -> ReplyWindowRecord | None:
        row = (
            await self._db.execute(
                select(ReplyWindow).where(
                    ReplyWindow.platform == platform, ReplyWindow.user_id == user_id
                )
            )
        ).first()
        return to_record(ReplyWindowRecord, row) if row else None

    async def member_wrote(
        self, platform: str, user_id: str, at: datetime, *, sent: int = 0
    ) -> None:
        """The member wrote at ``at``: the window opens again with ``sent`` of it used
        (none, unless the platform allows fewer this time). An older message processed
        late changes nothing (WeChat's times are in whole seconds, so a message of the
        same second opens it again)."""
        await self._db.execute(
            upsert_insert(self._db, ReplyWindow)
            .values(platform=platform, user_id=user_id, last_message_at=at, sent=sent)
            .on_conflict_do_update(
                index_elements=["platform", "user_id"],
                set_={"last_message_at": at, "sent": sent},
                where=ReplyWindow.last_message_at <= at,
            )
        )

    async def reserve(
        self, platform: str, user_id: str, *, opened_after: datetime, limit: int, count: int = 1
    ) -> bool:
        """Count ``count`` messages against the window, if it is still open for all of
        them (the member wrote after ``opened_after`` and at most ``limit - count`` went out
        since). Atomic, so two replicas never send the sixth message."""
        result = await self._db.execute(
            update(ReplyWindow)
            .where(
                ReplyWindow.platform == platform,
                ReplyWindow.user_id == user_id,
                ReplyWindow.last_message_at > opened_after,
                ReplyWindow.sent <= limit - count,
            )
            .values(sent=ReplyWindow.sent + count)
        )
        return result.rowcount == 1

    async def give_back(self, platform: str, user_id: str, count: int = 1) -> None:
        """Reserved messages that did not go out after all."""
        await self._db.execute(
            update(ReplyWindow)
            .where(ReplyWindow.platform == platform, ReplyWindow.user_id == user_id)
            .values(sent=case((ReplyWindow.sent > count, ReplyWindow.sent - count), else_=0))
        )

    async def close(self, platform: str, user_id: str, limit: int) -> None:
        """The platform says the window is closed (WeChat's 95001): believe it."""
        await self._db.execute(
            update(ReplyWindow)
            .where(ReplyWindow.platform == platform, ReplyWindow.user_id == user_id)
            .values(sent=limit)
        )

    async def set_servicer(self, platform: str, user_id: str, servicer: str | None) -> None:
        await self._db.execute(
            update(ReplyWindow)
            .where(ReplyWindow.platform == platform, ReplyWindow.user_id == user_id)
            .values(servicer=servicer)
        )


class HeldMessageRepository:
    def __init__(self, db: AsyncConnection) -> None:
        self._db = db

    async def hold(self, platform: str, user_id: str, text: str, reason: str, at: datetime) -> int:
        result = await self._db.execute(
            upsert_insert(self._db, HeldMessage)
            .values(platform=platform, user_id=user_id, text=text, reason=reason, created_at=at)
            .returning(HeldMessage.id)
        )
        return int(result.scalar_one())

    async def waiting(self, platform: str, user_id: str) -> list[HeldMessageRecord]:
        """Held messages for the member, oldest first."""
        rows = await self._db.execute(
            select(HeldMessage)
            .where(
                HeldMessage.platform == platform,
                HeldMessage.user_id == user_id,
                HeldMessage.released_at.is_(None),
            )
            .order_by(HeldMessage.id)
        )
        return [to_record(HeldMessageRecord, row) for row in rows]

    async def take(
        self, platform: str, user_id: str, reason: str, since: datetime, at: datetime
    ) -> list[HeldMessageRecord]:
        """The member's unreleased messages held for ``reason`` since ``since``, oldest
        first, marked released (all of them, older ones too) so none goes out twice."""
        rows = await self._db.execute(
            select(HeldMessage)
            .where(
                HeldMessage.platform == platform,
                HeldMessage.user_id == user_id,
                HeldMessage.reason == reason,
                HeldMessage.released_at.is_(None),
            )
            .order_by(HeldMessage.id)
        )
        held = [to_record(HeldMessageRecord, row) for row in rows]
        await self.release([message.id for message in held], at)
        return [message for message in held if message.created_at >= since]

    async def release(self, ids: list[int], at: datetime) -> None:
        if ids:
            await self._db.execute(
                update(HeldMessage).where(HeldMessage.id.in_(ids)).values(released_at=at)
            )

    async def count_waiting(self, platform: str) -> int:
        return int(
            (
                await self._db.execute(
                    select(func.count()).where(
                        HeldMessage.platform == platform, HeldMessage.released_at.is_(None)
                    )
                )
            ).scalar_one()
        )
