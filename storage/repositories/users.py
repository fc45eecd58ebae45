"""People, per platform."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, bindparam, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.models import User
from storage.records import UserRecord, UserSeen
from storage.repositories._sql import Prepared, Step, from_mapping, to_record, trip


def _clean(text: str) -> str:
    """PostgreSQL text cannot hold NUL; platforms occasionally send it."""
    return text.replace("\x00", "")


def _build_upsert(insert: Any) -> Any:
    table = User.__table__
    statement = insert(table).values(
        platform=bindparam("v_platform"),
        external_id=bindparam("v_external_id"),
        display_name=bindparam("v_display_name"),
        username=bindparam("v_username"),
        language=bindparam("v_language"),
        is_bot=bindparam("v_is_bot"),
        started_bot_at=bindparam("v_started_at"),
        created_at=bindparam("v_at"),
        updated_at=bindparam("v_at"),
    )
    new = statement.excluded
    return statement.on_conflict_do_update(
        index_elements=["platform", "external_id"],
        set_={
            "display_name": new.display_name,
            "username": new.username,
            "is_bot": new.is_bot,
            "updated_at": new.updated_at,
            # A language the platform left out keeps the stored one; the first
            # private message is the one remembered.
            "language": func.coalesce(new.language, table.c.language),
            "started_bot_at": func.coalesce(table.c.started_bot_at, new.started_bot_at),
        },
    ).returning(*table.c)


_UPSERT = Prepared(_build_upsert)


def upsert_step(seen: UserSeen, at: datetime) -> Step:
    """Create the user or refresh the profile fields the platform just told us.

    ``seen.started``: the user is writing privately, so the bot may write back
    (recorded once, in the same statement).
    """
    values = {
        "v_platform": seen.platform,
        "v_external_id": seen.external_id,
        "v_display_name": _clean(seen.display_name)[:256],
        "v_username": _clean(seen.username)[:128] if seen.username else None,
        "v_language": seen.language[:16] if seen.language else None,
        "v_is_bot": seen.is_bot,
        "v_started_at": at if seen.started else None,
        "v_at": at,
    }
    return Step(_UPSERT, values)


def user_from(row: dict[str, Any]) -> UserRecord:
    return from_mapping(UserRecord, row)


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
        """Create the user or refresh their profile (see :func:`upsert_step`)."""
        seen = UserSeen(platform, external_id, display_name, username, language, is_bot, started)
        step = upsert_step(seen, at)
        (outcome,) = await trip(self._db, [step])
        return user_from(outcome.rows[0])

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

    async def names(self, user_ids: Sequence[int]) -> dict[int, str]:
        """Display names of many accounts in one query (lists of tickets, redemptions)."""
        ids = sorted(set(user_ids))
        if not ids:
            return {}
        query = select(User.id, User.display_name).where(User.id.in_(ids))
        return {int(i): str(name) for i, name in await self._db.execute(query)}

    async def find_by_username(self, platform: str, username: str) -> UserRecord | None:
        row = (
            await self._db.execute(
                select(User).where(User.platform == platform, User.username == username.lstrip("@"))
            )
        ).first()
        return to_record(UserRecord, row) if row else None

    async def search(self, needle: str, limit: int = 50) -> list[UserRecord]:
        """Accounts whose name or username contains ``needle`` (any case), or whose id
        or ``platform:id`` it is; people before bots, the most recent first."""
        needle = needle.strip()
        platform, _, external = needle.partition(":")
        wanted = [
            func.lower(User.display_name).contains(needle.lower(), autoescape=True),
            func.lower(User.username).contains(needle.lower().lstrip("@"), autoescape=True),
            User.external_id == needle,
        ]
        if external:
            wanted.append(and_(User.platform == platform, User.external_id == external))
        query = (
            select(User)
            .where(or_(*wanted))
            .order_by(User.is_bot, User.updated_at.desc(), User.id.desc())
            .limit(limit)
        )
        return [to_record(UserRecord, row) for row in (await self._db.execute(query)).all()]

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
