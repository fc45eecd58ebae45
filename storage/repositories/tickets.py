"""Tickets: complaints handed to staff, with their history."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import case, exists, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.models import SentMessage, Ticket, TicketEvent, User
from storage.records import TicketEventRecord, TicketRecord
from storage.repositories._sql import to_record

SEVERITY_ORDER = {"low": 1, "high": 2, "crisis": 3}
ONGOING = ("open", "claimed", "waiting")


class TicketRepository:
    def __init__(self, db: AsyncConnection) -> None:
        self._db = db

    async def open_or_append(
        self,
        chat_id: int,
        user_id: int,
        subject: str,
        text: str,
        severity: str,
        at: datetime,
        *,
        message_id: str | None = None,
    ) -> tuple[TicketRecord, bool, bool]:
        """The member's ongoing ticket on ``subject`` gets the text appended (and a
        higher severity if this is worse); else a new ticket. Returns the ticket,
        whether it is new, and whether the addition raised its severity."""
        row = (
            await self._db.execute(
                select(Ticket)
                .where(
                    Ticket.user_id == user_id, Ticket.subject == subject, Ticket.status.in_(ONGOING)
                )
                .order_by(Ticket.id.desc())
                .limit(1)
            )
        ).first()
        if row is not None:
            ticket = to_record(TicketRecord, row)
            worse = SEVERITY_ORDER[severity] > SEVERITY_ORDER.get(ticket.severity, 0)
            values: dict[str, object] = {"updated_at": at}
            if worse:
                values["severity"] = severity
            if ticket.status == "waiting":  # the member answered: back with staff
                values["status"] = "claimed" if ticket.assignee_id else "open"
            await self._db.execute(update(Ticket).where(Ticket.id == ticket.id).values(**values))
            await self.log(ticket.id, "appended", at, actor_id=user_id, text=text)
            if worse:  # raised by what the member said, not by anyone's decision
                await self.log(ticket.id, "raised", at, text=severity)
            return (await self.get(ticket.id)) or ticket, False, worse
        created = (
            await self._db.execute(
                insert(Ticket)
                .values(
                    chat_id=chat_id,
                    user_id=user_id,
                    subject=subject,
                    text=text[:2000],
                    severity=severity,
                    status="open",
                    message_id=message_id,
                    created_at=at,
                    updated_at=at,
                )
                .returning(*Ticket.__table__.c)
            )
        ).one()
        ticket = to_record(TicketRecord, created)
        await self.log(ticket.id, "opened", at, actor_id=user_id, text=text)
        return ticket, True, False

    async def log(
        self,
        ticket_id: int,
        kind: str,
        at: datetime,
        *,
        actor_id: int | None = None,
        text: str | None = None,
    ) -> None:
        await self._db.execute(
            insert(TicketEvent).values(
                ticket_id=ticket_id,
                kind=kind,
                actor_id=actor_id,
                text=text[:2000] if text else None,
                at=at,
            )
        )

    async def get(self, ticket_id: int) -> TicketRecord | None:
        row = (await self._db.execute(select(Ticket).where(Ticket.id == ticket_id))).first()
        return to_record(TicketRecord, row) if row else None

    async def claim(self, ticket_id: int, staff_id: int, at: datetime) -> bool:
        """Exactly one of two staff pressing Claim at once wins."""
        result = await self._db.execute(
            update(Ticket)
            .where(Ticket.id == ticket_id, Ticket.assignee_id.is_(None), Ticket.status.in_(ONGOING))
            .values(assignee_id=staff_id, status="claimed", updated_at=at)
        )
        if result.rowcount:
            await self.log(ticket_id, "claimed", at, actor_id=staff_id)
        return bool(result.rowcount)

    async def replied(self, ticket_id: int, staff_id: int, text: str, at: datetime) -> bool:
        result = await self._db.execute(
            update(Ticket)
            .where(Ticket.id == ticket_id, Ticket.status.in_(ONGOING))
            .values(
                status="waiting",
                updated_at=at,
                assignee_id=case(
                    (Ticket.assignee_id.is_(None), staff_id), else_=Ticket.assignee_id
                ),
                first_response_at=case(
                    (Ticket.first_response_at.is_(None), at), else_=Ticket.first_response_at
                ),
            )
        )
        if result.rowcount:
            await self.log(ticket_id, "replied", at, actor_id=staff_id, text=text)
        return bool(result.rowcount)

    async def resolve(self, ticket_id: int, staff_id: int, at: datetime) -> bool:
        result = await self._db.execute(
            update(Ticket)
            .where(Ticket.id == ticket_id, Ticket.status.in_(ONGOING))
            .values(status="resolved", resolved_at=at, updated_at=at)
        )
        if result.rowcount:
            await self.log(ticket_id, "resolved", at, actor_id=staff_id)
        return bool(result.rowcount)

    async def reopen(
        self, ticket_id: int, user_id: int, text: str, at: datetime, *, resolved_after: datetime
    ) -> bool:
        """The member came back to a ticket resolved after ``resolved_after``: it is with
        staff again (its assignee's, if it had one), to be resolved and rated afresh.
        The first response stays, so the response-time figures keep their meaning."""
        result = await self._db.execute(
            update(Ticket)
            .where(
                Ticket.id == ticket_id,
                Ticket.status == "resolved",
                Ticket.resolved_at >= resolved_after,
            )
            .values(
                status=case((Ticket.assignee_id.is_(None), "open"), else_="claimed"),
                resolved_at=None,
                rating=None,
                updated_at=at,
            )
        )
        if result.rowcount:
            await self.log(ticket_id, "reopened", at, actor_id=user_id, text=text)
        return bool(result.rowcount)

    async def rate(self, ticket_id: int, user_id: int, rating: int, at: datetime) -> bool:
        """The member rates a resolved ticket once."""
        result = await self._db.execute(
            update(Ticket)
            .where(
                Ticket.id == ticket_id,
                Ticket.user_id == user_id,
                Ticket.status == "resolved",
                Ticket.rating.is_(None),
            )
            .values(rating=rating, updated_at=at)
        )
        if result.rowcount:
            await self.log(ticket_id, "rated", at, actor_id=user_id, text=str(rating))
        return bool(result.rowcount)

    async def ongoing(self, limit: int = 30) -> list[TicketRecord]:
        """Open tickets, the most severe and then the oldest first."""
        order = case({"crisis": 3, "high": 2, "low": 1}, value=Ticket.severity, else_=0)
        query = (
            select(Ticket)
            .where(Ticket.status.in_(ONGOING))
            .order_by(order.desc(), Ticket.created_at)
            .limit(limit)
        )
        return [to_record(TicketRecord, r) for r in (await self._db.execute(query)).all()]

    async def of_member(self, user_id: int, limit: int = 10) -> list[TicketRecord]:
        query = (
            select(Ticket).where(Ticket.user_id == user_id).order_by(Ticket.id.desc()).limit(limit)
        )
        return [to_record(TicketRecord, r) for r in (await self._db.execute(query)).all()]

    async def of_person(self, person: int, limit: int = 10) -> list[TicketRecord]:
        """The tickets of every account of a person (linked accounts are one person)."""
        accounts = select(User.id).where(or_(User.id == person, User.person_id == person))
        query = (
            select(Ticket)
            .where(Ticket.user_id.in_(accounts))
            .order_by(Ticket.id.desc())
            .limit(limit)
        )
        return [to_record(TicketRecord, r) for r in (await self._db.execute(query)).all()]

    async def count_events(self, ticket_id: int, kind: str, since: datetime) -> int:
        """How many ``kind`` events the ticket had from ``since`` on (flood control)."""
        query = select(func.count()).where(
            TicketEvent.ticket_id == ticket_id, TicketEvent.kind == kind, TicketEvent.at >= since
        )
        return int((await self._db.execute(query)).scalar_one())

    async def history(self, ticket_id: int) -> list[TicketEventRecord]:
        query = (
            select(TicketEvent).where(TicketEvent.ticket_id == ticket_id).order_by(TicketEvent.id)
        )
        return [to_record(TicketEventRecord, r) for r in (await self._db.execute(query)).all()]

    async def awaiting_first_response(self, limit: int = 200) -> list[TicketRecord]:
        """Ongoing tickets no staff member has answered yet (the SLA clock runs)."""
        query = (
            select(Ticket)
            .where(
                Ticket.status.in_(ONGOING),
                Ticket.first_response_at.is_(None),
                Ticket.breached_at.is_(None),
            )
            .order_by(Ticket.created_at)
            .limit(limit)
        )
        return [to_record(TicketRecord, r) for r in (await self._db.execute(query)).all()]

    async def mark(self, ticket_id: int, column: str, at: datetime) -> bool:
        """Set ``reminded_at`` or ``breached_at`` once; False if it was set already."""
        if column not in ("reminded_at", "breached_at"):
            raise ValueError(column)
        field = getattr(Ticket, column)
        result = await self._db.execute(
            update(Ticket).where(Ticket.id == ticket_id, field.is_(None)).values({column: at})
        )
        return bool(result.rowcount)

    async def since(self, since: datetime) -> list[TicketRecord]:
        query = select(Ticket).where(Ticket.created_at >= since).order_by(Ticket.id)
        return [to_record(TicketRecord, r) for r in (await self._db.execute(query)).all()]

    async def set_severity(
        self, ticket_id: int, severity: str, at: datetime, *, by_id: int | None = None
    ) -> None:
        await self._db.execute(
            update(Ticket).where(Ticket.id == ticket_id).values(severity=severity, updated_at=at)
        )
        await self.log(ticket_id, "escalated", at, actor_id=by_id, text=severity)

    async def without_card(
        self,
        card_kind: str,
        created_before: datetime,
        now: datetime,
        *,
        created_after: datetime | None = None,
        limit: int = 50,
    ) -> list[TicketRecord]:
        """Ongoing tickets created in the window whose staff card was never posted (the
        staff chat could not be reached) and whose next try is due."""
        posted = exists().where(SentMessage.tag_kind == card_kind, SentMessage.tag_key == Ticket.id)
        query = (
            select(Ticket)
            .where(
                Ticket.status.in_(ONGOING),
                Ticket.created_at <= created_before,
                Ticket.created_at >= (created_after or datetime.min.replace(tzinfo=UTC)),
                (Ticket.card_retry_at.is_(None)) | (Ticket.card_retry_at <= now),
                ~posted,
            )
            .order_by(Ticket.created_at)
            .limit(limit)
        )
        return [to_record(TicketRecord, r) for r in (await self._db.execute(query)).all()]

    async def card_retried(self, ticket_id: int, attempts: int, next_at: datetime) -> None:
        await self._db.execute(
            update(Ticket)
            .where(Ticket.id == ticket_id)
            .values(card_attempts=attempts, card_retry_at=next_at)
        )

    async def recent_complaints(self, chat_id: int, since: datetime) -> list[tuple[int, str]]:
        """(member, text) of complaints raised or added in ``chat_id`` from ``since`` on."""
        query = (
            select(TicketEvent.actor_id, TicketEvent.text)
            .join(Ticket, Ticket.id == TicketEvent.ticket_id)
            .where(
                TicketEvent.at >= since,
                TicketEvent.kind.in_(("opened", "appended")),
                Ticket.chat_id == chat_id,
            )
            .order_by(TicketEvent.id.desc())
            .limit(200)
        )
        rows = (await self._db.execute(query)).all()
        return [(row.actor_id, row.text or "") for row in rows if row.actor_id is not None]
