"""Scheduled discussion topics: schedules per group, topic pools, decided slots
and who took part."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.models import QueuedTopic, Topic, TopicParticipant, TopicPost, TopicSchedule, User
from storage.records import TopicPostRecord, TopicRecord, TopicScheduleRecord
from storage.repositories._sql import to_record, upsert_insert


class TopicRepository:
    def __init__(self, db: AsyncConnection) -> None:
        self._db = db

    # -- schedules -------------------------------------------------------------------

    async def ensure_schedule(
        self, chat_id: int, key: str, name: str, cron: str, pool: str, at: datetime
    ) -> None:
        """Create the schedule once (a config schedule in a newly seen group)."""
        await self._db.execute(
            upsert_insert(self._db, TopicSchedule)
            .values(
                chat_id=chat_id, key=key, name=name, cron=cron, pool=pool, paused=False,
                removed=False, checked_until=at, created_at=at,
            )
            .on_conflict_do_nothing(index_elements=["chat_id", "key"])
        )  # fmt: skip

    async def add_schedule(
        self, chat_id: int, name: str, cron: str, pool: str, at: datetime
    ) -> TopicScheduleRecord:
        count = await self._db.scalar(select(func.count()).where(TopicSchedule.chat_id == chat_id))
        row = (
            await self._db.execute(
                insert(TopicSchedule)
                .values(
                    chat_id=chat_id, key=f"chat:{int(count or 0) + 1}:{at.timestamp():.0f}",
                    name=name, cron=cron, pool=pool, paused=False, removed=False,
                    checked_until=at, created_at=at,
                )
                .returning(*TopicSchedule.__table__.c)
            )
        ).one()  # fmt: skip
        return to_record(TopicScheduleRecord, row)

    async def schedules(
        self, chat_id: int | None = None, *, active_only: bool = False
    ) -> list[TopicScheduleRecord]:
        query = select(TopicSchedule).where(TopicSchedule.removed.is_(False))
        if chat_id is not None:
            query = query.where(TopicSchedule.chat_id == chat_id)
        if active_only:
            query = query.where(TopicSchedule.paused.is_(False))
        rows = (await self._db.execute(query.order_by(TopicSchedule.id))).all()
        return [to_record(TopicScheduleRecord, r) for r in rows]

    async def set_schedule_state(
        self,
        schedule_id: int,
        chat_id: int,
        *,
        paused: bool | None = None,
        removed: bool | None = None,
        checked_until: datetime | None = None,
    ) -> bool:
        values: dict[str, object] = {}
        if paused is not None:
            values["paused"] = paused
        if removed is not None:
            values["removed"] = removed
        if checked_until is not None:
            values["checked_until"] = checked_until
        result = await self._db.execute(
            update(TopicSchedule)
            .where(TopicSchedule.id == schedule_id, TopicSchedule.chat_id == chat_id,
                   TopicSchedule.removed.is_(False))
            .values(**values)
        )  # fmt: skip
        return bool(result.rowcount)

    async def pause_chat(self, chat_id: int) -> int:
        result = await self._db.execute(
            update(TopicSchedule)
            .where(TopicSchedule.chat_id == chat_id, TopicSchedule.paused.is_(False))
            .values(paused=True)
        )
        return int(result.rowcount or 0)

    # -- pools -------------------------------------------------------------------------

    async def add_topic(self, pool: str, text: str, at: datetime) -> TopicRecord:
        row = (
            await self._db.execute(
                insert(Topic)
                .values(pool=pool, text=text, created_at=at)
                .returning(*Topic.__table__.c)
            )
        ).one()
        return to_record(TopicRecord, row)

    async def pool(self, pool: str) -> list[TopicRecord]:
        query = select(Topic).where(Topic.pool == pool).order_by(Topic.id)
        return [to_record(TopicRecord, r) for r in (await self._db.execute(query)).all()]

    async def pool_sizes(self) -> dict[str, int]:
        query = select(Topic.pool, func.count()).group_by(Topic.pool)
        return {r[0]: int(r[1]) for r in (await self._db.execute(query)).all()}

    async def get_topic(self, topic_id: int) -> TopicRecord | None:
        row = (await self._db.execute(select(Topic).where(Topic.id == topic_id))).first()
        return to_record(TopicRecord, row) if row else None

    async def current_cycle(self, chat_id: int, pool: str) -> tuple[int, set[int]]:
        """The pool's current round in this chat and the topics it already used."""
        cycle = await self._db.scalar(
            select(func.max(TopicPost.cycle))
            .join(Topic, Topic.id == TopicPost.topic_id)
            .where(TopicPost.chat_id == chat_id, Topic.pool == pool)
        )
        if cycle is None:
            return 0, set()
        used = await self._db.execute(
            select(TopicPost.topic_id)
            .join(Topic, Topic.id == TopicPost.topic_id)
            .where(TopicPost.chat_id == chat_id, Topic.pool == pool, TopicPost.cycle == cycle)
        )
        return int(cycle), {int(r[0]) for r in used.all()}

    # -- slots ---------------------------------------------------------------------------

    async def claim_slot(
        self,
        schedule_id: int,
        chat_id: int,
        slot_at: datetime,
        status: str,
        *,
        topic_id: int | None = None,
        cycle: int = 0,
        posted_at: datetime | None = None,
        window_ends_at: datetime | None = None,
        holiday: str | None = None,
    ) -> TopicPostRecord | None:
        """Decide one slot; None if it was decided already (a restart, a racing sweep)."""
        row = (
            await self._db.execute(
                upsert_insert(self._db, TopicPost)
                .values(
                    schedule_id=schedule_id, chat_id=chat_id, slot_at=slot_at, status=status,
                    topic_id=topic_id, cycle=cycle, posted_at=posted_at,
                    window_ends_at=window_ends_at, participants=0, holiday=holiday,
                )
                .on_conflict_do_nothing(index_elements=["schedule_id", "slot_at"])
                .returning(*TopicPost.__table__.c)
            )
        ).first()  # fmt: skip
        return to_record(TopicPostRecord, row) if row else None

    async def open_post(self, chat_id: int, at: datetime) -> TopicPostRecord | None:
        """The topic whose participation window is open in this chat now (the latest)."""
        row = (
            await self._db.execute(
                select(TopicPost)
                .where(
                    TopicPost.chat_id == chat_id,
                    TopicPost.status == "posted",
                    TopicPost.posted_at <= at,
                    TopicPost.window_ends_at > at,
                )
                .order_by(TopicPost.posted_at.desc())
                .limit(1)
            )
        ).first()
        return to_record(TopicPostRecord, row) if row else None

    async def latest_post(self, chat_id: int) -> TopicPostRecord | None:
        row = (
            await self._db.execute(
                select(TopicPost)
                .where(TopicPost.chat_id == chat_id, TopicPost.status == "posted")
                .order_by(TopicPost.posted_at.desc())
                .limit(1)
            )
        ).first()
        return to_record(TopicPostRecord, row) if row else None

    async def join(self, post_id: int, user_id: int, at: datetime) -> bool:
        """Count a participant once; True the first time."""
        inserted = await self._db.scalar(
            upsert_insert(self._db, TopicParticipant)
            .values(post_id=post_id, user_id=user_id, joined_at=at)
            .on_conflict_do_nothing(index_elements=["post_id", "user_id"])
            .returning(TopicParticipant.user_id)
        )
        if inserted is None:
            return False
        await self._db.execute(
            update(TopicPost)
            .where(TopicPost.id == post_id)
            .values(participants=TopicPost.participants + 1)
        )
        return True

    async def posts(self, chat_id: int, limit: int = 10) -> list[TopicPostRecord]:
        query = (
            select(TopicPost)
            .where(TopicPost.chat_id == chat_id)
            .order_by(TopicPost.slot_at.desc())
            .limit(limit)
        )
        return [to_record(TopicPostRecord, r) for r in (await self._db.execute(query)).all()]

    # -- /nexttopic ------------------------------------------------------------------------

    async def queue(self, chat_id: int, pool: str, topic_id: int, at: datetime) -> None:
        await self._db.execute(
            upsert_insert(self._db, QueuedTopic)
            .values(chat_id=chat_id, pool=pool, topic_id=topic_id, queued_at=at)
            .on_conflict_do_update(
                index_elements=["chat_id", "pool"], set_={"topic_id": topic_id, "queued_at": at}
            )
        )

    async def take_queued(self, chat_id: int, pool: str) -> int | None:
        """The topic queued for this pool's next slot, removed from the queue."""
        topic_id = await self._db.scalar(
            select(QueuedTopic.topic_id).where(
                QueuedTopic.chat_id == chat_id, QueuedTopic.pool == pool
            )
        )
        if topic_id is not None:
            await self._db.execute(
                delete(QueuedTopic).where(QueuedTopic.chat_id == chat_id, QueuedTopic.pool == pool)
            )
        return topic_id

    # -- holidays and summaries --------------------------------------------------------------

    async def holiday_posted(self, chat_id: int, holiday: str, since: datetime) -> bool:
        found = await self._db.scalar(
            select(func.count()).where(
                TopicPost.chat_id == chat_id,
                TopicPost.holiday == holiday,
                TopicPost.slot_at >= since,
            )
        )
        return bool(found)

    async def windows_closed(self, at: datetime, limit: int = 100) -> list[TopicPostRecord]:
        query = (
            select(TopicPost)
            .where(
                TopicPost.status == "posted",
                TopicPost.summarized_at.is_(None),
                TopicPost.window_ends_at <= at,
            )
            .order_by(TopicPost.window_ends_at)
            .limit(limit)
        )
        return [to_record(TopicPostRecord, r) for r in (await self._db.execute(query)).all()]

    async def next_window_end(self, after: datetime) -> datetime | None:
        """When the next open topic's window closes (its thank-you is due)."""
        return await self._db.scalar(
            select(func.min(TopicPost.window_ends_at)).where(
                TopicPost.summarized_at.is_(None), TopicPost.window_ends_at > after
            )
        )

    async def decided_between(self, start: datetime, end: datetime) -> list[TopicPostRecord]:
        """Slots decided for ``(start, end]``, posted or not (skipped, missed)."""
        query = (
            select(TopicPost)
            .where(TopicPost.slot_at > start, TopicPost.slot_at <= end)
            .order_by(TopicPost.slot_at)
        )
        return [to_record(TopicPostRecord, r) for r in (await self._db.execute(query)).all()]

    async def mark_summarized(self, post_id: int, at: datetime) -> bool:
        result = await self._db.execute(
            update(TopicPost)
            .where(TopicPost.id == post_id, TopicPost.summarized_at.is_(None))
            .values(summarized_at=at)
        )
        return bool(result.rowcount)

    async def participant_names(self, post_id: int, limit: int = 5) -> list[str]:
        query = (
            select(User.display_name)
            .join(TopicParticipant, TopicParticipant.user_id == User.id)
            .where(TopicParticipant.post_id == post_id)
            .order_by(TopicParticipant.joined_at)
            .limit(limit)
        )
        return [str(r[0]) for r in (await self._db.execute(query)).all()]
