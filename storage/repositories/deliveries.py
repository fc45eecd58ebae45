"""The outbox of scheduled messages.

Sending is at most once: a sweep claims due rows (``pending → sending``, marked
with the claiming replica) and commits before anything is sent; the outcome is
recorded afterwards. A crash between the two leaves the row ``sending``; once
its replica's lease has run out (:class:`storage.models.Replica`),
:meth:`fail_abandoned` closes it as failed instead of sending it again — a
missing nudge is better than a duplicate one.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.models import Delivery, Replica, User
from storage.records import DeliveryRecord, DeliveryStatus
from storage.repositories._sql import to_record, upsert_insert

PENDING, SENDING = DeliveryStatus.PENDING.value, DeliveryStatus.SENDING.value


class DeliveryRepository:
    def __init__(self, db: AsyncConnection, holder: str | None = None) -> None:
        self._db = db
        self._holder = holder

    async def schedule(
        self,
        key: str,
        *,
        kind: str,
        audience: str,
        due_at: datetime,
        at: datetime,
        chat_id: int | None = None,
        user_id: int | None = None,
        stale_at: datetime | None = None,
        payload: dict[str, Any] | None = None,
    ) -> bool:
        """Schedule once per ``key``; False when it was already scheduled."""
        statement = (
            upsert_insert(self._db, Delivery)
            .values(
                key=key,
                kind=kind,
                audience=audience,
                chat_id=chat_id,
                user_id=user_id,
                payload=payload or {},
                due_at=due_at,
                stale_at=stale_at,
                status=PENDING,
                attempts=0,
                created_at=at,
            )
            .on_conflict_do_nothing(index_elements=["key"])
        )
        return (await self._db.execute(statement)).rowcount == 1

    async def expire_stale(self, now: datetime) -> int:
        """Due rows past their ``stale_at`` are closed unsent."""
        result = await self._db.execute(
            update(Delivery)
            .where(
                Delivery.status == PENDING,
                Delivery.due_at <= now,
                Delivery.stale_at.is_not(None),
                Delivery.stale_at <= now,
            )
            .values(status=DeliveryStatus.STALE.value, finished_at=now)
        )
        return result.rowcount or 0

    async def claim_due(self, now: datetime, limit: int) -> list[DeliveryRecord]:
        """Atomically take up to ``limit`` due rows; two racing sweeps never share one."""
        due = (
            select(Delivery.id)
            .where(Delivery.status == PENDING, Delivery.due_at <= now)
            .order_by(Delivery.due_at)
            .limit(limit)
        )
        return await self._claim(due)

    async def claim_unreached(
        self, chat_id: int, kind: str, until: datetime
    ) -> list[DeliveryRecord]:
        """Take the chat's pending ``kind`` rows due before ``until`` whose member never
        opened a private chat with the bot: they are greeted together in the group."""
        never_started = select(User.id).where(User.started_bot_at.is_(None))
        return await self._claim(
            select(Delivery.id).where(
                Delivery.status == PENDING,
                Delivery.chat_id == chat_id,
                Delivery.kind == kind,
                Delivery.due_at < until,
                Delivery.user_id.in_(never_started),
            )
        )

    async def _claim(self, rows: Select[tuple[int]]) -> list[DeliveryRecord]:
        """Mark the pending rows ``rows`` selects as being sent, and return them in due
        order. PostgreSQL skips rows another sweep has locked; SQLite has one writer.
        The outer ``status`` check makes a row claimed by a sweep that won the race
        invisible to the other."""
        statement = (
            update(Delivery)
            .where(
                Delivery.id.in_(rows.with_for_update(skip_locked=True).scalar_subquery()),
                Delivery.status == PENDING,
            )
            .values(status=SENDING, attempts=Delivery.attempts + 1, holder=self._holder)
            .returning(*Delivery.__table__.c)
        )
        found = (await self._db.execute(statement)).all()
        return sorted((to_record(DeliveryRecord, row) for row in found), key=lambda d: d.due_at)

    async def finish(
        self,
        delivery_id: int,
        status: DeliveryStatus,
        at: datetime,
        error: str | None = None,
        reached: str | None = None,
    ) -> None:
        """Record how a claimed delivery ended (and, when sent, how it reached the member)."""
        await self._db.execute(
            update(Delivery)
            .where(Delivery.id == delivery_id)
            .values(status=status.value, finished_at=at, last_error=error, reached=reached)
        )

    async def latest(self, chat_id: int, kind: str) -> DeliveryRecord | None:
        """The chat's most recently due ``kind`` row (the last group welcome)."""
        row = (
            await self._db.execute(
                select(Delivery)
                .where(Delivery.chat_id == chat_id, Delivery.kind == kind)
                .order_by(Delivery.due_at.desc())
                .limit(1)
            )
        ).first()
        return to_record(DeliveryRecord, row) if row else None

    async def outcomes(
        self, chat_id: int, since: datetime, kind_prefix: str, audience: str
    ) -> list[tuple[str, str, str | None, str | None, int]]:
        """How the chat's ``kind_prefix*`` rows for ``audience`` created since ``since``
        ended: (kind, status, reached, last_error, count), earliest due first."""
        query = (
            select(
                Delivery.kind,
                Delivery.status,
                Delivery.reached,
                Delivery.last_error,
                func.count(),
            )
            .where(
                Delivery.chat_id == chat_id,
                Delivery.created_at >= since,
                Delivery.kind.startswith(kind_prefix),
                Delivery.audience == audience,
            )
            .group_by(Delivery.kind, Delivery.status, Delivery.reached, Delivery.last_error)
            .order_by(func.min(Delivery.due_at))  # a flow's steps in the order they come
        )
        return [tuple(row) for row in (await self._db.execute(query)).all()]  # type: ignore[misc]

    async def defer(self, delivery_id: int, until: datetime) -> None:
        """Put a claimed delivery back for later (quiet hours, rate spreading)."""
        await self._db.execute(
            update(Delivery).where(Delivery.id == delivery_id).values(status=PENDING, due_at=until)
        )

    async def skip_pending(
        self, *, chat_id: int, user_id: int, at: datetime, reason: str, kinds: Sequence[str] = ()
    ) -> int:
        """Cancel what is still pending for a member (they left, say)."""
        query = update(Delivery).where(
            Delivery.status == PENDING, Delivery.chat_id == chat_id, Delivery.user_id == user_id
        )
        if kinds:
            query = query.where(Delivery.kind.in_(kinds))
        result = await self._db.execute(
            query.values(status=DeliveryStatus.SKIPPED.value, finished_at=at, last_error=reason)
        )
        return result.rowcount or 0

    async def fail_interrupted(self, at: datetime) -> int:
        """Close every delivery left mid-send by another process, without sending it
        again (at the start of the only process on the database)."""
        return await self._fail(Delivery.holder.is_distinct_from(self._holder), at)

    async def fail_abandoned(self, at: datetime, alive_since: datetime) -> int:
        """Close the deliveries of replicas not seen since ``alive_since`` (their lease
        ran out: killed mid-send), without sending them again."""
        live = select(Replica.id).where(Replica.seen_at >= alive_since)
        return await self._fail(or_(Delivery.holder.is_(None), Delivery.holder.not_in(live)), at)

    async def _fail(self, whose: Any, at: datetime) -> int:
        result = await self._db.execute(
            update(Delivery)
            .where(Delivery.status == SENDING, whose)
            .values(
                status=DeliveryStatus.FAILED.value,
                finished_at=at,
                last_error="interrupted: the bot stopped while sending",
            )
        )
        return result.rowcount or 0

    async def next_due(self, after: datetime) -> datetime | None:
        """When the next pending row falls due after ``after``."""
        return await self._db.scalar(
            select(func.min(Delivery.due_at)).where(
                Delivery.status == PENDING, Delivery.due_at > after
            )
        )

    async def get(self, delivery_id: int) -> DeliveryRecord | None:
        row = (await self._db.execute(select(Delivery).where(Delivery.id == delivery_id))).first()
        return to_record(DeliveryRecord, row) if row else None

    async def status_counts(self, kind_prefix: str = "") -> dict[str, int]:
        query = select(Delivery.status, func.count()).group_by(Delivery.status)
        if kind_prefix:
            query = query.where(Delivery.kind.startswith(kind_prefix))
        return {status: count for status, count in (await self._db.execute(query)).all()}
