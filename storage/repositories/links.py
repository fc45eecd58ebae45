"""Linked accounts: one person on several platforms, joined by a one-time code."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.models import LinkCode, User
from storage.records import UserRecord
from storage.repositories._sql import to_record


class LinkRepository:
    def __init__(self, db: AsyncConnection) -> None:
        self._db = db
        #: ``(platform, external_id)`` of accounts whose person this unit of work changed
        #: (callers caching people evict them).
        self.changed: set[tuple[str, str]] = set()

    async def issue(self, code: str, user_id: int, at: datetime, expires_at: datetime) -> None:
        """A new code for ``user_id``; their earlier unused codes stop working."""
        await self._db.execute(
            delete(LinkCode).where(LinkCode.user_id == user_id, LinkCode.used_at.is_(None))
        )
        await self._db.execute(
            insert(LinkCode).values(
                code=code, user_id=user_id, created_at=at, expires_at=expires_at
            )
        )

    async def asked_by(self, code: str, at: datetime) -> int | None:
        """The account a usable code belongs to, without using it."""
        return await self._db.scalar(
            select(LinkCode.user_id).where(
                LinkCode.code == code, LinkCode.used_at.is_(None), LinkCode.expires_at > at
            )
        )

    async def redeem(self, code: str, by_user_id: int, at: datetime) -> int | None:
        """Use ``code`` once: the account that asked for it, or None if the code is
        unknown, used or expired (one statement, so two redeemers cannot both win)."""
        return await self._db.scalar(
            update(LinkCode)
            .where(LinkCode.code == code, LinkCode.used_at.is_(None), LinkCode.expires_at > at)
            .values(used_at=at, used_by=by_user_id)
            .returning(LinkCode.user_id)
        )

    async def accounts(self, person: int) -> list[UserRecord]:
        """Every account of the person ``person`` stands for, the first one first."""
        query = (
            select(User).where(or_(User.id == person, User.person_id == person)).order_by(User.id)
        )
        return [to_record(UserRecord, row) for row in (await self._db.execute(query)).all()]

    async def people(self) -> list[list[UserRecord]]:
        """Every person with linked accounts: their accounts, the first one first."""
        linked = select(User.person_id).where(User.person_id.is_not(None))
        query = (
            select(User)
            .where(or_(User.id.in_(linked), User.person_id.is_not(None)))
            .order_by(func.coalesce(User.person_id, User.id), User.id)
        )
        people: dict[int, list[UserRecord]] = {}
        for row in (await self._db.execute(query)).all():
            record = to_record(UserRecord, row)
            people.setdefault(record.person, []).append(record)
        return list(people.values())

    async def has_linked(self, user_id: int) -> bool:
        """Whether other accounts are linked to ``user_id`` (it stands for a person)."""
        found = await self._db.scalar(select(User.id).where(User.person_id == user_id).limit(1))
        return found is not None

    async def set_person(self, user_id: int, person: int | None, at: datetime) -> UserRecord:
        row = (
            await self._db.execute(
                update(User)
                .where(User.id == user_id)
                .values(person_id=person, updated_at=at)
                .returning(*User.__table__.c)
            )
        ).one()
        record = to_record(UserRecord, row)
        self.changed.add((record.platform, record.external_id))
        return record
