"""What ``/metrics`` reads from the database at each scrape: the state every
replica shares (the outbox, the desk, the FAQ), counted where it is kept."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.models import Delivery, FaqAnswer, FaqMiss, Replica, Ticket
from storage.repositories.tickets import ONGOING


@dataclass(frozen=True, slots=True)
class Gauges:
    #: Scheduled messages due and not yet taken, and how long the oldest has waited.
    outbox_due: int
    outbox_oldest_seconds: float
    outbox_sending: int
    #: Open (not resolved) tickets per severity.
    open_tickets: dict[str, int] = field(default_factory=dict)
    #: Tickets whose response target was missed, ever.
    breaches: int = 0
    #: FAQ replies ever given, per way (``group``, ``ask``, ``private``, ``suggestion``).
    faq_replies: dict[str, int] = field(default_factory=dict)
    #: Questions left unanswered (kept for the operators), ever.
    faq_misses: int = 0
    #: Replicas whose lease is current.
    replicas: int = 0


class GaugeRepository:
    def __init__(self, db: AsyncConnection) -> None:
        self._db = db

    async def read(self, now: datetime, alive_since: datetime) -> Gauges:
        db = self._db
        due, oldest = (
            await db.execute(
                select(func.count(), func.min(Delivery.due_at)).where(
                    Delivery.status == "pending", Delivery.due_at <= now
                )
            )
        ).one()
        sending = await db.scalar(select(func.count()).where(Delivery.status == "sending"))
        tickets = await db.execute(
            select(Ticket.severity, func.count())
            .where(Ticket.status.in_(ONGOING))
            .group_by(Ticket.severity)
        )
        breaches = await db.scalar(select(func.count()).where(Ticket.breached_at.is_not(None)))
        replies = await db.execute(select(FaqAnswer.via, func.count()).group_by(FaqAnswer.via))
        misses = await db.scalar(select(func.count()).select_from(FaqMiss))
        replicas = await db.scalar(select(func.count()).where(Replica.seen_at >= alive_since))
        return Gauges(
            outbox_due=due or 0,
            outbox_oldest_seconds=(now - oldest).total_seconds() if oldest else 0.0,
            outbox_sending=sending or 0,
            open_tickets={severity: count for severity, count in tickets.all()},
            breaches=breaches or 0,
            faq_replies={via: count for via, count in replies.all()},
            faq_misses=misses or 0,
            replicas=replicas or 0,
        )
