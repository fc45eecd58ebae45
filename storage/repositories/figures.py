"""The community's figures by day, for the console's charts: counted in the
database, grouped by the community's local day, so a page costs a few grouped
queries however many members, ledger rows or tickets there are."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Integer, and_, case, cast, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.models import ChatHour, FaqAnswer, FaqMiss, Member, PointsLedger, Ticket
from storage.repositories._hours import COUNTERS, epoch_hour
from storage.repositories._sql import upsert_insert
from storage.repositories.channel_state import ChannelStateRepository

#: A count per local day (``YYYY-MM-DD``).
Daily = dict[str, int]
EPOCH = date(1970, 1, 1)


#: Ledger reasons that are not earning: refunds, and points moved between linked accounts.
NOT_EARNED = ("refund", "linked")
#: Where the count of points earned keeps its place in the ledger.
ROLLUP, POINTS_CURSOR = "figures", "points_ledger_id"


class FiguresRepository:
    def __init__(self, db: AsyncConnection) -> None:
        self._db = db
        self._state = ChannelStateRepository(db)

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

    async def count_points_earned(self, settled_before: datetime, limit: int = 200_000) -> int:
        """Add the ledger rows not counted yet to the hourly points earned (taking part:
        not spending, refunds or transfers between linked accounts), up to ``limit`` of
        them; returns how many rows were read.

        Counted here, a sweep at a time, rather than with each award, which then costs
        one statement less. Only rows written before ``settled_before`` are counted, and
        only up to the first row that is not, so a transaction still open with a lower
        id is never skipped."""
        cursor = int(await self._state.get(ROLLUP, POINTS_CURSOR) or 0)
        ledger = PointsLedger
        newest = await self._db.scalar(
            select(func.max(ledger.id)).where(ledger.id > cursor, ledger.id <= cursor + limit)
        )
        if newest is None:
            return 0
        unsettled = await self._db.scalar(
            select(func.min(ledger.id)).where(
                ledger.id > cursor, ledger.id <= newest, ledger.created_at >= settled_before
            )
        )
        top = int(newest) if unsettled is None else int(unsettled) - 1
        if top <= cursor:
            return 0
        if self._db.dialect.name == "postgresql":
            hour: Any = cast(func.floor(func.extract("epoch", ledger.created_at) / 3600), Integer)
        else:
            hour = cast(func.strftime("%s", ledger.created_at), Integer) // 3600
        hour = hour.label("hour")
        grouped = await self._db.execute(
            select(ledger.chat_id, hour, func.sum(ledger.amount))
            .where(
                ledger.id > cursor,
                ledger.id <= top,
                ledger.amount > 0,
                ledger.reason.not_in(NOT_EARNED),
            )
            .group_by(ledger.chat_id, hour)
        )
        rows = [
            {"chat_id": chat, "hour": int(at), **dict.fromkeys(COUNTERS, 0), "points": int(n)}
            for chat, at, n in grouped
        ]
        if rows:
            statement = upsert_insert(self._db, ChatHour).values(rows)
            await self._db.execute(
                statement.on_conflict_do_update(
                    index_elements=["chat_id", "hour"],
                    set_={"points": ChatHour.points + statement.excluded.points},
                )
            )
        await self._state.put(ROLLUP, POINTS_CURSOR, str(top), settled_before)
        return top - cursor

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
        day = ((ChatHour.hour * 60 + minutes) // 1440).label("day")
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
                    daily[name][label] = daily[name].get(label, 0) + int(value)
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
