"""The staff console's sign-ins, sessions and audit log.

Tokens are random and only their SHA-256 is stored: a copy of the database
signs nobody in. A link is used in one statement (two tabs opening it: one
wins); a session ends after a set idle time, or at sign-out.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.models import AuditEntry, ConsoleLink, ConsoleSession

#: A session's last-seen time is written at most this often (not on every page).
TOUCH_EVERY = timedelta(minutes=1)


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class SignIn:
    """Who a link or session is for; ``chats`` limits a group's admin to their groups
    (None: the role the config gives the account)."""

    account: str
    chats: tuple[int, ...] | None = None


@dataclass(frozen=True, slots=True)
class ConsoleSessionRecord:
    account: str
    csrf: str
    chats: tuple[int, ...] | None = None


@dataclass(frozen=True, slots=True)
class AuditRecord:
    id: int
    actor: str
    action: str
    target: str
    detail: dict[str, Any]
    at: datetime


def _chats(value: list[int] | None) -> tuple[int, ...] | None:
    return tuple(int(chat) for chat in value) if value is not None else None


class ConsoleRepository:
    def __init__(self, db: AsyncConnection) -> None:
        self._db = db

    async def issue_link(
        self,
        token: str,
        account: str,
        at: datetime,
        expires_at: datetime,
        chats: Sequence[int] | None = None,
    ) -> None:
        await self._db.execute(
            insert(ConsoleLink).values(
                token_hash=digest(token),
                account=account,
                chats=list(chats) if chats is not None else None,
                created_at=at,
                expires_at=expires_at,
            )
        )

    async def use_link(self, token: str, at: datetime) -> SignIn | None:
        """Whom a usable link signs in, using it up; None if unknown, used or expired."""
        row = (
            await self._db.execute(
                update(ConsoleLink)
                .where(
                    ConsoleLink.token_hash == digest(token),
                    ConsoleLink.used_at.is_(None),
                    ConsoleLink.expires_at > at,
                )
                .values(used_at=at)
                .returning(ConsoleLink.account, ConsoleLink.chats)
            )
        ).first()
        if row is None:
            return None
        return SignIn(row.account, _chats(row.chats))

    async def link_usable(self, token: str, at: datetime) -> bool:
        found = await self._db.scalar(
            select(ConsoleLink.account).where(
                ConsoleLink.token_hash == digest(token),
                ConsoleLink.used_at.is_(None),
                ConsoleLink.expires_at > at,
            )
        )
        return found is not None

    async def open_session(self, token: str, who: SignIn | str, csrf: str, at: datetime) -> None:
        who = SignIn(who) if isinstance(who, str) else who
        await self._db.execute(
            insert(ConsoleSession).values(
                token_hash=digest(token),
                account=who.account,
                chats=list(who.chats) if who.chats is not None else None,
                csrf=csrf,
                created_at=at,
                last_seen_at=at,
            )
        )

    async def session(
        self, token: str, at: datetime, idle: timedelta
    ) -> ConsoleSessionRecord | None:
        """The live session of ``token`` (seen again now), or None: unknown, signed out,
        or idle for longer than ``idle``."""
        row = (
            await self._db.execute(
                select(ConsoleSession).where(
                    ConsoleSession.token_hash == digest(token), ConsoleSession.ended_at.is_(None)
                )
            )
        ).one_or_none()
        if row is None:
            return None
        if at - row.last_seen_at > idle:
            await self.end_session(token, at)
            return None
        if at - row.last_seen_at >= TOUCH_EVERY:
            await self._db.execute(
                update(ConsoleSession)
                .where(ConsoleSession.token_hash == row.token_hash)
                .values(last_seen_at=at)
            )
        return ConsoleSessionRecord(row.account, row.csrf, _chats(row.chats))

    async def end_session(self, token: str, at: datetime) -> None:
        await self._db.execute(
            update(ConsoleSession)
            .where(ConsoleSession.token_hash == digest(token), ConsoleSession.ended_at.is_(None))
            .values(ended_at=at)
        )

    async def audit(
        self, actor: str, action: str, target: str, at: datetime, detail: dict[str, Any] | None
    ) -> None:
        await self._db.execute(
            insert(AuditEntry).values(
                actor=actor, action=action, target=target, detail=detail or {}, at=at
            )
        )

    async def audit_entries(self, limit: int = 200) -> list[AuditRecord]:
        rows = await self._db.execute(
            select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
        )
        return [
            AuditRecord(row.id, row.actor, row.action, row.target, dict(row.detail), row.at)
            for row in rows
        ]
