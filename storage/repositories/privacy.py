"""A member's data: all of it, for the member to take (``/mydata``), and its removal
(``/forgetme``), under 个人信息保护法 and the GDPR.

Forgetting anonymises instead of deleting rows that other people's records stand
on: the account keeps its id (the points ledger, a ticket's history and the event
log still add up, ``shequn points verify`` still passes), but loses everything
that names or describes the person: platform id, name, username, the texts they
wrote and the texts written to them in their tickets, their questions to the FAQ.
What waits to be sent to them is cancelled; what only existed for them (link
codes, open conversations, held messages, invite links) is deleted.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.models import (
    Badge,
    Chat,
    Conversation,
    Delivery,
    EventLog,
    FaqAnswer,
    FaqMiss,
    HeldMessage,
    InviteLink,
    LinkCode,
    Member,
    PointsAccount,
    PointsLedger,
    Redemption,
    ReplyWindow,
    Ticket,
    TicketEvent,
    User,
)
from storage.repositories.tickets import ONGOING

#: The platform id a forgotten account is given: unique, and no longer the person's.
FORGOTTEN = "forgotten:"


def _when(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


class PrivacyRepository:
    def __init__(self, db: AsyncConnection) -> None:
        self._db = db

    async def export(self, user_ids: Sequence[int]) -> dict[str, Any]:
        """Everything kept about the accounts ``user_ids`` (one person), as plain JSON
        values: accounts, memberships, points, badges, tickets, questions."""
        ids = list(user_ids)
        chats = {
            row.id: row.title or row.external_id
            for row in (await self._db.execute(select(Chat.id, Chat.title, Chat.external_id)))
        }
        accounts = (await self._db.execute(select(User).where(User.id.in_(ids)))).all()
        members = (await self._db.execute(select(Member).where(Member.user_id.in_(ids)))).all()
        wallets = (
            await self._db.execute(select(PointsAccount).where(PointsAccount.user_id.in_(ids)))
        ).all()
        ledger = (
            await self._db.execute(
                select(PointsLedger).where(PointsLedger.user_id.in_(ids)).order_by(PointsLedger.id)
            )
        ).all()
        badges = (await self._db.execute(select(Badge).where(Badge.user_id.in_(ids)))).all()
        tickets = (
            await self._db.execute(
                select(Ticket).where(Ticket.user_id.in_(ids)).order_by(Ticket.id)
            )
        ).all()
        history = (
            await self._db.execute(
                select(TicketEvent)
                .where(TicketEvent.ticket_id.in_([t.id for t in tickets]))
                .order_by(TicketEvent.id)
            )
        ).all()
        asked = (
            await self._db.execute(
                select(FaqAnswer.question, FaqAnswer.answered_at)
                .where(FaqAnswer.user_id.in_(ids))
                .order_by(FaqAnswer.id)
            )
        ).all()
        missed = (
            await self._db.execute(
                select(FaqMiss.text, FaqMiss.occurred_at)
                .where(FaqMiss.user_id.in_(ids))
                .order_by(FaqMiss.id)
            )
        ).all()
        redemptions = (
            await self._db.execute(select(Redemption).where(Redemption.user_id.in_(ids)))
        ).all()
        return {
            "accounts": [
                {
                    "platform": a.platform,
                    "id": a.external_id,
                    "name": a.display_name,
                    "username": a.username,
                    "language": a.language,
                    "first_seen": _when(a.created_at),
                    "wrote_to_the_bot": _when(a.started_bot_at),
                }
                for a in accounts
            ],
            "memberships": [
                {
                    "chat": chats.get(m.chat_id),
                    "joined": _when(m.joined_at or m.first_seen_at),
                    "left": _when(m.left_at),
                    "messages": m.message_count,
                    "last_active": _when(m.last_active_at),
                    "welcomed": _when(m.welcomed_at),
                    "took_part": _when(m.activated_at),
                }
                for m in members
            ],
            "points": [
                {
                    "chat": chats.get(w.chat_id),
                    "balance": w.balance,
                    "earned": w.earned,
                    "level": w.level,
                    "checkins": w.checkins,
                    "best_streak": w.best_streak,
                }
                for w in wallets
            ],
            "points_history": [
                {
                    "chat": chats.get(row.chat_id),
                    "amount": row.amount,
                    "reason": row.reason,
                    "note": row.note,
                    "at": _when(row.created_at),
                }
                for row in ledger
            ],
            "badges": [
                {"chat": chats.get(b.chat_id), "badge": b.badge, "at": _when(b.granted_at)}
                for b in badges
            ],
            "tickets": [
                {
                    "number": t.id,
                    "subject": t.subject,
                    "text": t.text,
                    "status": t.status,
                    "opened": _when(t.created_at),
                    "resolved": _when(t.resolved_at),
                    "rating": t.rating,
                    "history": [
                        {"what": e.kind, "text": e.text, "at": _when(e.at)}
                        for e in history
                        if e.ticket_id == t.id
                    ],
                }
                for t in tickets
            ],
            "questions": [
                {"text": q.question, "at": _when(q.answered_at)} for q in asked if q.question
            ]
            + [{"text": q.text, "at": _when(q.occurred_at)} for q in missed if q.text],
            "redemptions": [
                {
                    "item": r.item,
                    "cost": r.cost,
                    "status": r.status,
                    "at": _when(r.created_at),
                }
                for r in redemptions
            ],
        }

    async def forget(self, user_ids: Sequence[int], at: datetime) -> dict[str, int]:
        """Anonymise the accounts ``user_ids`` (one person) everywhere; how many rows of
        each kind changed. Points sums, ticket numbers and the event log's rows stay."""
        ids = list(user_ids)
        accounts = (
            await self._db.execute(
                select(User.id, User.platform, User.external_id).where(User.id.in_(ids))
            )
        ).all()
        addresses = [(a.platform, a.external_id) for a in accounts]
        done: dict[str, int] = {}

        async def run(name: str, statement: Any) -> None:
            result = await self._db.execute(statement)
            done[name] = done.get(name, 0) + (result.rowcount or 0)

        for account in accounts:
            await run(
                "accounts",
                update(User)
                .where(User.id == account.id)
                .values(
                    external_id=f"{FORGOTTEN}{account.id}",
                    display_name=f"#{account.id}",
                    username=None,
                    language=None,
                    started_bot_at=None,
                    person_id=None,
                    updated_at=at,
                ),
            )
        tickets = select(Ticket.id).where(Ticket.user_id.in_(ids)).scalar_subquery()
        await run(
            "tickets",
            update(Ticket).where(Ticket.user_id.in_(ids)).values(text="", updated_at=at),
        )
        await run(
            "tickets_closed",
            update(Ticket)
            .where(Ticket.user_id.in_(ids), Ticket.status.in_(ONGOING))
            .values(status="resolved", resolved_at=at, updated_at=at),
        )
        await run(
            "ticket_texts",
            update(TicketEvent)
            .where(TicketEvent.ticket_id.in_(tickets), TicketEvent.text.is_not(None))
            .values(text=None),
        )
        await run(
            "questions",
            update(FaqAnswer).where(FaqAnswer.user_id.in_(ids)).values(question=""),
        )
        await run("misses", delete(FaqMiss).where(FaqMiss.user_id.in_(ids)))
        await run(
            "points_notes",
            update(PointsLedger)
            .where(PointsLedger.user_id.in_(ids), PointsLedger.note.is_not(None))
            .values(note=None),
        )
        await run(
            "cancelled",
            update(Delivery)
            .where(Delivery.user_id.in_(ids), Delivery.status == "pending")
            .values(status="skipped", last_error="forgotten", payload={}, finished_at=at),
        )
        await run("events", update(EventLog).where(EventLog.user_id.in_(ids)).values(payload={}))
        await run("link_codes", delete(LinkCode).where(LinkCode.user_id.in_(ids)))
        await run("conversations", delete(Conversation).where(Conversation.user_id.in_(ids)))
        await run("invite_links", delete(InviteLink).where(InviteLink.user_id.in_(ids)))
        if addresses:
            await run(
                "windows",
                delete(ReplyWindow).where(
                    or_(
                        *(
                            and_(ReplyWindow.platform == p, ReplyWindow.user_id == u)
                            for p, u in addresses
                        )
                    )
                ),
            )
            await run(
                "held",
                delete(HeldMessage).where(
                    or_(
                        *(
                            and_(HeldMessage.platform == p, HeldMessage.user_id == u)
                            for p, u in addresses
                        )
                    )
                ),
            )
            await run(
                "private_chats",
                update(Chat)
                .where(
                    Chat.kind == "private",
                    or_(*(and_(Chat.platform == p, Chat.external_id == u) for p, u in addresses)),
                )
                .values(title=None),
            )
            await run(
                "welcomer",
                update(Member)
                .where(Member.welcomer.in_([f"{p}:{u}" for p, u in addresses]))
                .values(welcomer=None),
            )
        return {name: count for name, count in done.items() if count}

    async def purge_texts(self, before: datetime) -> int:
        """Clear members' texts older than ``before``: the complaint and history of
        tickets settled before then (a ticket open for months keeps its texts for the
        whole term after it is resolved: a reply reopens it), questions the FAQ
        answered or missed. Figures (counts, times, ratings) stay. Returns how many
        texts were cleared."""
        settled_at = func.coalesce(Ticket.resolved_at, Ticket.updated_at)
        settled = select(Ticket.id).where(Ticket.status.not_in(ONGOING), settled_at < before)
        cleared = 0
        for statement in (
            update(Ticket)
            .where(Ticket.id.in_(settled.scalar_subquery()), Ticket.text != "")
            .values(text=""),
            update(TicketEvent)
            .where(
                TicketEvent.ticket_id.in_(settled.scalar_subquery()),
                TicketEvent.at < before,
                TicketEvent.text.is_not(None),
            )
            .values(text=None),
            update(FaqAnswer)
            .where(FaqAnswer.answered_at < before, FaqAnswer.question != "")
            .values(question=""),
            delete(FaqMiss).where(FaqMiss.occurred_at < before),
        ):
            result = await self._db.execute(statement)
            cleared += result.rowcount or 0
        return cleared

    async def forgotten(self) -> int:
        """How many accounts were forgotten."""
        found = await self._db.scalar(
            select(func.count()).select_from(User).where(User.external_id.like(f"{FORGOTTEN}%"))
        )
        return int(found or 0)
