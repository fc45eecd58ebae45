"""The append-only event log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.models import EventLog
from storage.records import EventRecord
from storage.repositories._sql import to_record


class EventLogRepository:
    def __init__(self, db: AsyncConnection) -> None:
        self._db = db

    async def append(
        self,
        kind: str,
        at: datetime,
        *,
        chat_id: int | None = None,
        user_id: int | None = None,
        payload: dict[str, Any] | None = None,
    ) -> None:
        await self._db.execute(
            insert(EventLog).values(
                kind=kind, occurred_at=at, chat_id=chat_id, user_id=user_id, payload=payload or {}
            )
        )

    async def recent(
        self, chat_id: int | None = None, kind: str | None = None, limit: int = 50
    ) -> list[EventRecord]:
        query = select(EventLog).order_by(EventLog.id.desc()).limit(limit)
        if chat_id is not None:
            query = query.where(EventLog.chat_id == chat_id)
        if kind is not None:
            query = query.where(EventLog.kind == kind)
        rows = (await self._db.execute(query)).all()
        return [to_record(EventRecord, row) for row in rows]

    async def count(
        self,
        kind: str,
        chat_id: int | None = None,
        *,
        user_id: int | None = None,
        since: datetime | None = None,
    ) -> int:
        query = select(func.count()).select_from(EventLog).where(EventLog.kind == kind)
        if chat_id is not None:
            query = query.where(EventLog.chat_id == chat_id)
        if user_id is not None:
            query = query.where(EventLog.user_id == user_id)
        if since is not None:
            query = query.where(EventLog.occurred_at >= since)
        return int(await self._db.scalar(query) or 0)
