"""The community's figures by day, for the console's charts: counted in the
database, grouped by the community's local day, so a page costs a few grouped
queries however many members, ledger rows or tickets there are."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, case, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.models import ChatHour, FaqAnswer, FaqMiss, Member, Ticket
from storage.repositories._hours import COUNTERS, epoch_hour

#: A count per local day (``YYYY-MM-DD``).
Daily = dict[str, int]
EPOCH = date(1970, 1, 1)


class FiguresRepository:
    def __init__(self, db: AsyncConnection) -> None:
        self._db = db

    def _day(self, column: Any, zone: ZoneInfo, at: datetime) -> Any:
        """``column``'s local date as ``YYYY-MM-DD``. PostgreSQL knows the zone's rules;
        SQLite is given the zone's offset at ``at`` (exact for zones without summer
        time, such as China's)."""
        if self._db.dialect.name == "postgresql":
            return func.date(func.timezone(zone.key, column))
        offset = zone.utcoffset(at.replace(tzinfo=None))
        minutes = int(offset.total_seconds() // 60) if offset else 0
        return func.strftime("%Y-%m-%d", column, f"{minutes:+d} minutes")

    async def _grouped(
        self, value: Any, column: Any, start: datetime, end: datetime, zone: ZoneInfo, *where: Any
    ) -> Daily:
        day = self._day(column, zone, start).label("day")
        query = select(day, value).where(column >= start, column < end, *where).group_by(day)
        return {str(d): int(v or 0) for d, v in (await self._db.execute(query)).all()}

    async def members_present(self, chat_id: int | None) -> int:
        """Memberships present now (one person in two groups counts twice)."""
        query = select(func.count()).select_from(Member).where(Member.left_at.is_(None))
        if chat_id is not None:
            query = query.where(Member.chat_id == chat_id)
        return int(await self._db.scalar(query) or 0)

    async def hourly(
        self, start: datetime, end: datetime, zone: ZoneInfo, chat_id: int | None
    ) -> dict[str, Daily]:
        """Messages, points earned, joins and leaves per local day, from the hourly
        counters (whole hours: a zone offset of half an hour is rounded down)."""
        offset = zone.utcoffset(start.replace(tzinfo=None))
        minutes = int(offset.total_seconds() // 60) if offset else 0
        day = ((ChatHour.hour * 60 + minutes) / 1440).label("day")
        sums = [func.sum(getattr(ChatHour, name)) for name in COUNTERS]
        query = (
            select(day, *sums)
            .where(ChatHour.hour >= epoch_hour(start), ChatHour.hour < epoch_hour(end))
            .group_by(day)
        )
        if chat_id is not None:
            query = query.where(ChatHour.chat_id == chat_id)
        daily: dict[str, Daily] = {name: {} for name in COUNTERS}
        for index, *values in await self._db.execute(query):
            label = (EPOCH + timedelta(days=int(index))).isoformat()
            for name, value in zip(COUNTERS, values, strict=True):
                if value:
                    daily[name][label] = int(value)
        return daily

    async def faq(
        self, start: datetime, end: datetime, zone: ZoneInfo, chat_id: int | None
    ) -> tuple[Daily, Daily, Daily]:
        """Answers given, suggestions offered (a button, not an answer) and misses."""
        day = self._day(FaqAnswer.answered_at, zone, start).label("day")
        suggested = func.sum(case((FaqAnswer.via == "suggestion", 1), else_=0))
        query = (
            select(day, func.count(), suggested)
            .where(FaqAnswer.answered_at >= start, FaqAnswer.answered_at < end)
            .group_by(day)
        )
        if chat_id is not None:
            query = query.where(FaqAnswer.chat_id == chat_id)
        given: Daily = {}
        offered: Daily = {}
        for label, total, suggestions in await self._db.execute(query):
            given[str(label)] = int(total) - int(suggestions or 0)
            offered[str(label)] = int(suggestions or 0)
        miss_chat = (FaqMiss.chat_id == chat_id,) if chat_id is not None else ()
        missed = await self._grouped(
            func.count(), FaqMiss.occurred_at, start, end, zone, *miss_chat
        )
        return given, offered, missed

    async def newcomers(
        self,
        start: datetime,
        end: datetime,
        zone: ZoneInfo,
        chat_id: int | None,
        milestones: Sequence[int],
    ) -> dict[str, tuple[int, ...]]:
        """Per local day a newcomer's flow started: how many, and how many of them
        took part within each of ``milestones`` days."""
        started, activated = Member.onboarding_started_at, Member.activated_at
        day = self._day(started, zone, start).label("day")
        postgresql = self._db.dialect.name == "postgresql"

        def in_time(days: int) -> Any:
            if postgresql:
                return activated - started <= timedelta(days=days)
            return func.julianday(activated) - func.julianday(started) <= days

        within = [
            func.sum(case((and_(activated.is_not(None), in_time(days)), 1), else_=0))
            for days in milestones
        ]
        query = (
            select(day, func.count(), *within).where(started >= start, started < end).group_by(day)
        )
        if chat_id is not None:
            query = query.where(Member.chat_id == chat_id)
        return {
            str(row[0]): tuple(int(value or 0) for value in row[1:])
            for row in await self._db.execute(query)
        }

    async def tickets(
        self, start: datetime, end: datetime, chat_id: int | None
    ) -> list[tuple[datetime, datetime | None, str]]:
        """Each ticket's opening, first answer and severity."""
        query = select(Ticket.created_at, Ticket.first_response_at, Ticket.severity).where(
            Ticket.created_at >= start, Ticket.created_at < end
        )
        if chat_id is not None:
            query = query.where(Ticket.chat_id == chat_id)
        return [tuple(row) for row in (await self._db.execute(query))]  # type: ignore[misc]
