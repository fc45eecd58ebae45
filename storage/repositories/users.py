"""People, per platform."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.models import User
from storage.records import UserRecord
from storage.repositories._sql import to_record, upsert_insert


def _clean(text: str) -> str:
    """PostgreSQL text cannot hold NUL; platforms occasionally send it."""
    return text.replace("\x00", "")


class UserRepository:
    def __init__(self, db: AsyncConnection) -> None:
        self._db = db

    async def upsert(
        self,
        platform: str,
        external_id: str,
        *,
        display_name: str,
        username: str | None,
        language: str | None,
        is_bot: bool,
        at: datetime,
        started: bool = False,
    ) -> UserRecord:
        """Create the user or refresh the profile fields the platform just told us.

        ``started``: the user is writing privately, so the bot may write back
        (recorded once, in the same statement).
        """
        values: dict[str, object] = {
            "display_name": _clean(display_name)[:256],
            "username": _clean(username)[:128] if username else None,
            "is_bot": is_bot,
            "updated_at": at,
        }
        if language:
            values["language"] = language[:16]
        on_conflict = dict(values)
        if started:
            values["started_bot_at"] = at
            on_conflict["started_bot_at"] = func.coalesce(User.started_bot_at, at)
        statement = (
            upsert_insert(self._db, User)
            .values(platform=platform, external_id=external_id, created_at=at, **values)
            .on_conflict_do_update(index_elements=["platform", "external_id"], set_=on_conflict)
            .returning(*User.__table__.c)
        )
        row = (await self._db.execute(statement)).one()
        return to_record(UserRecord, row)

    async def get(self, platform: str, external_id: str) -> UserRecord | None:
        row = (
            await self._db.execute(
                select(User).where(User.platform == platform, User.external_id == external_id)
            )
        ).first()
        return to_record(UserRecord, row) if row else None

    async def get_by_id(self, user_id: int) -> UserRecord | None:
        row = (await self._db.execute(select(User).where(User.id == user_id))).first()
        return to_record(UserRecord, row) if row else None

    async def find_by_username(self, platform: str, username: str) -> UserRecord | None:
        row = (
            await self._db.execute(
                select(User).where(User.platform == platform, User.username == username.lstrip("@"))
            )
        ).first()
        return to_record(UserRecord, row) if row else None

    async def mark_started(self, user_id: int, at: datetime) -> bool:
        """Remember that the user opened a private chat; True the first time."""
        result = await self._db.execute(
            update(User)
            .where(User.id == user_id, User.started_bot_at.is_(None))
            .values(started_bot_at=at)
        )
        return result.rowcount == 1

    async def started_ids(self, platform: str) -> set[str]:
        """Platform ids of everyone who opened a private chat with the bot."""
        rows = await self._db.scalars(
            select(User.external_id).where(
                User.platform == platform, User.started_bot_at.is_not(None)
            )
        )
        return set(rows.all())
