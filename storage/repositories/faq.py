"""The FAQ knowledge base, the answers the bot gave, votes on them, and misses."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, delete, func, insert, or_, select, true, update
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.models import FaqAnswer, FaqEntry, FaqMiss, FaqVote
from storage.records import (
    FaqAnswerRecord,
    FaqEntryRecord,
    FaqFeedbackRecord,
    FaqMissRecord,
    FaqUsage,
)
from storage.repositories._sql import to_record, upsert_insert

#: Votes are +1 (helpful) or -1 (not helpful).
HELPFUL, UNHELPFUL = 1, -1
#: Misses that say an answer was wrong: voted down, or the member asked for staff.
WRONG_ANSWER_REASONS = ("downvoted", "human")
#: A miss staff answered with an entry: the entry answers that question.
ANSWERED_BY_STAFF = "answered"


#: The verdicts the calibration learns from (and an operator can leave out): answers to
#: members' own questions that more people found helpful than not (a picked suggestion
#: records the entry's own question, which says nothing), and misses that name an
#: entry: answered wrongly (👎, "talk to staff") or answered by staff with it.
def _liked_answer() -> ColumnElement[bool]:
    return and_(FaqAnswer.helpful > FaqAnswer.unhelpful, FaqAnswer.via != "suggestion")


def _verdict_miss() -> ColumnElement[bool]:
    return and_(
        FaqMiss.entry_id.is_not(None),
        FaqMiss.reason.in_((*WRONG_ANSWER_REASONS, ANSWERED_BY_STAFF)),
    )


def _entry(row: Any) -> FaqEntryRecord:
    m = row._mapping
    return FaqEntryRecord(
        id=m["id"],
        key=m["key"],
        question=m["question"],
        answer=m["answer"],
        alternatives=tuple(m["alternatives"] or ()),
        tags=tuple(m["tags"] or ()),
        enabled=bool(m["enabled"]),
        created_at=m["created_at"],
        updated_at=m["updated_at"],
        deleted_at=m["deleted_at"],
        revision=m["revision"],
    )


class FaqRepository:
    def __init__(self, db: AsyncConnection) -> None:
        self._db = db

    # -- entries ---------------------------------------------------------------

    async def add(
        self,
        question: str,
        answer: str,
        at: datetime,
        *,
        alternatives: Sequence[str] = (),
        tags: Sequence[str] = (),
        key: str | None = None,
        enabled: bool = True,
    ) -> FaqEntryRecord:
        row = (
            await self._db.execute(
                insert(FaqEntry)
                .values(
                    key=key,
                    question=question,
                    answer=answer,
                    alternatives=list(alternatives),
                    tags=list(tags),
                    enabled=enabled,
                    revision=1,
                    created_at=at,
                    updated_at=at,
                )
                .returning(*FaqEntry.__table__.c)
            )
        ).one()
        return _entry(row)

    async def update(self, entry_id: int, at: datetime, **values: Any) -> FaqEntryRecord | None:
        """Change fields of a live entry (question, answer, alternatives, tags, enabled, key)."""
        allowed = {"question", "answer", "alternatives", "tags", "enabled", "key"}
        if set(values) - allowed:
            raise ValueError(f"cannot update {sorted(set(values) - allowed)}")
        for name in ("alternatives", "tags"):
            if name in values:
                values[name] = list(values[name])
        row = (
            await self._db.execute(
                update(FaqEntry)
                .where(FaqEntry.id == entry_id, FaqEntry.deleted_at.is_(None))
                .values(updated_at=at, revision=FaqEntry.revision + 1, **values)
                .returning(*FaqEntry.__table__.c)
            )
        ).first()
        return _entry(row) if row else None

    async def delete(self, entry_id: int, at: datetime) -> FaqEntryRecord | None:
        """Soft-delete: the row stays so running bots notice and answers keep their entry."""
        row = (
            await self._db.execute(
                update(FaqEntry)
                .where(FaqEntry.id == entry_id, FaqEntry.deleted_at.is_(None))
                .values(deleted_at=at, updated_at=at, revision=FaqEntry.revision + 1)
                .returning(*FaqEntry.__table__.c)
            )
        ).first()
        return _entry(row) if row else None

    async def stamp(self) -> tuple[int, int]:
        """(rows, sum of revisions): changes whenever any entry is added, edited or deleted."""
        row = (
            await self._db.execute(
                select(func.count(FaqEntry.id), func.coalesce(func.sum(FaqEntry.revision), 0))
            )
        ).one()
        return int(row[0]), int(row[1])

    async def revisions(self) -> dict[int, int]:
        """Every entry's revision, deleted ones included."""
        rows = (await self._db.execute(select(FaqEntry.id, FaqEntry.revision))).all()
        return {int(row[0]): int(row[1]) for row in rows}

    async def by_ids(self, entry_ids: Sequence[int]) -> list[FaqEntryRecord]:
        """Entries by id, deleted ones included (callers sync from them)."""
        records: list[FaqEntryRecord] = []
        ids = list(entry_ids)
        for start in range(0, len(ids), 500):
            query = select(FaqEntry).where(FaqEntry.id.in_(ids[start : start + 500]))
            records.extend(_entry(row) for row in (await self._db.execute(query)).all())
        return records

    async def get(self, entry_id: int) -> FaqEntryRecord | None:
        row = (
            await self._db.execute(
                select(FaqEntry).where(FaqEntry.id == entry_id, FaqEntry.deleted_at.is_(None))
            )
        ).first()
        return _entry(row) if row else None

    async def get_by_key(self, key: str) -> FaqEntryRecord | None:
        row = (
            await self._db.execute(
                select(FaqEntry).where(FaqEntry.key == key, FaqEntry.deleted_at.is_(None))
            )
        ).first()
        return _entry(row) if row else None

    async def entries(self, *, include_disabled: bool = True) -> list[FaqEntryRecord]:
        """Every entry not deleted, oldest first."""
        query = select(FaqEntry).where(FaqEntry.deleted_at.is_(None)).order_by(FaqEntry.id)
        if not include_disabled:
            query = query.where(FaqEntry.enabled.is_(True))
        return [_entry(row) for row in (await self._db.execute(query)).all()]

    async def search_text(self, needle: str, limit: int = 20) -> list[FaqEntryRecord]:
        """Entries whose question or tags contain ``needle`` (for ``/faq WORD``)."""
        pattern = f"%{needle.replace('%', '').replace('_', '')}%"
        query = (
            select(FaqEntry)
            .where(
                FaqEntry.deleted_at.is_(None),
                or_(FaqEntry.question.like(pattern), FaqEntry.answer.like(pattern)),
            )
            .order_by(FaqEntry.id)
            .limit(limit)
        )
        return [_entry(row) for row in (await self._db.execute(query)).all()]

    # -- answers and votes -----------------------------------------------------

    async def record_answer(
        self,
        entry_id: int,
        at: datetime,
        *,
        question: str,
        confidence: float,
        via: str,
        chat_id: int | None = None,
        user_id: int | None = None,
    ) -> int:
        return int(
            await self._db.scalar(
                insert(FaqAnswer)
                .values(
                    entry_id=entry_id,
                    chat_id=chat_id,
                    user_id=user_id,
                    question=question[:1000],
                    confidence=confidence,
                    via=via,
                    answered_at=at,
                    helpful=0,
                    unhelpful=0,
                )
                .returning(FaqAnswer.id)
            )
        )

    async def get_answer(self, answer_id: int) -> FaqAnswerRecord | None:
        row = (await self._db.execute(select(FaqAnswer).where(FaqAnswer.id == answer_id))).first()
        return to_record(FaqAnswerRecord, row) if row else None

    async def last_answer_at(self, chat_id: int, via: str = "group") -> datetime | None:
        """When the bot last answered unprompted in this chat (the cooldown)."""
        return await self._db.scalar(
            select(func.max(FaqAnswer.answered_at)).where(
                FaqAnswer.chat_id == chat_id, FaqAnswer.via == via
            )
        )

    async def vote(self, answer_id: int, user_id: int, vote: int, at: datetime) -> int | None:
        """Record a vote and return the person's previous one (None if first)."""
        previous = await self.vote_of(answer_id, user_id)
        if previous == vote:
            return previous
        statement = (
            upsert_insert(self._db, FaqVote)
            .values(answer_id=answer_id, user_id=user_id, vote=vote, voted_at=at)
            .on_conflict_do_update(
                index_elements=["answer_id", "user_id"], set_={"vote": vote, "voted_at": at}
            )
        )
        await self._db.execute(statement)
        changes = {"helpful": FaqAnswer.helpful, "unhelpful": FaqAnswer.unhelpful}
        values: dict[str, Any] = {}
        if vote == HELPFUL:
            values["helpful"] = changes["helpful"] + 1
        else:
            values["unhelpful"] = changes["unhelpful"] + 1
        if previous == HELPFUL:
            values["helpful"] = changes["helpful"] - 1
        elif previous == UNHELPFUL:
            values["unhelpful"] = changes["unhelpful"] - 1
        await self._db.execute(update(FaqAnswer).where(FaqAnswer.id == answer_id).values(**values))
        return previous

    async def most_asked(self, since: datetime, limit: int = 5) -> list[FaqUsage]:
        """Live entries answered most often since ``since`` (the day-7 digest's list)."""
        uses = func.count(FaqAnswer.id).label("count")
        query = (
            select(FaqEntry.id.label("entry_id"), FaqEntry.question, uses)
            .join(FaqAnswer, FaqAnswer.entry_id == FaqEntry.id)
            .where(
                FaqAnswer.answered_at >= since,
                FaqEntry.deleted_at.is_(None),
                FaqEntry.enabled.is_(True),
            )
            .group_by(FaqEntry.id, FaqEntry.question)
            .order_by(uses.desc(), FaqEntry.id)
            .limit(limit)
        )
        return [to_record(FaqUsage, row) for row in (await self._db.execute(query)).all()]

    async def usage(self, entry_ids: Sequence[int]) -> dict[int, tuple[int, int, int]]:
        """Uses, 👍 and 👎 per entry."""
        if not entry_ids:
            return {}
        query = (
            select(
                FaqAnswer.entry_id,
                func.count(FaqAnswer.id),
                func.coalesce(func.sum(FaqAnswer.helpful), 0),
                func.coalesce(func.sum(FaqAnswer.unhelpful), 0),
            )
            .where(FaqAnswer.entry_id.in_(list(entry_ids)))
            .group_by(FaqAnswer.entry_id)
        )
        return {
            row[0]: (int(row[1]), int(row[2]), int(row[3]))
            for row in (await self._db.execute(query)).all()
        }

    async def vote_of(self, answer_id: int, user_id: int) -> int | None:
        """The person's vote on an answer (None: none)."""
        return await self._db.scalar(
            select(FaqVote.vote).where(FaqVote.answer_id == answer_id, FaqVote.user_id == user_id)
        )

    async def withdraw_miss(self, text: str, reason: str, user_id: int, entry_id: int) -> None:
        """Forget the person's latest miss of this kind on this entry and question (a 👎
        they turned into a 👍 is no longer their verdict, nor an operator's to-do)."""
        newest = await self._db.scalar(
            select(func.max(FaqMiss.id)).where(
                FaqMiss.user_id == user_id,
                FaqMiss.entry_id == entry_id,
                FaqMiss.reason == reason,
                FaqMiss.text == text[:1000],
            )
        )
        if newest is not None:
            await self._db.execute(delete(FaqMiss).where(FaqMiss.id == newest))

    async def feedback(
        self, limit: int = 5000, *, with_excluded: bool = False
    ) -> list[FaqFeedbackRecord]:
        """The newest verdicts on answers to members' own questions (a suggestion picked
        in private records the entry's question, which says nothing), newest first;
        those an operator left out only ``with_excluded`` (marked so)."""
        answers: ColumnElement[bool] = FaqAnswer.excluded_at.is_(None)
        misses: ColumnElement[bool] = FaqMiss.excluded_at.is_(None)
        if with_excluded:
            answers = misses = true()
        liked = (
            select(
                FaqAnswer.id,
                FaqAnswer.question,
                FaqAnswer.entry_id,
                FaqAnswer.answered_at,
                FaqAnswer.excluded_at,
            )
            .where(_liked_answer(), answers)
            .order_by(FaqAnswer.answered_at.desc())
            .limit(limit)
        )
        misses_of = (
            select(
                FaqMiss.id,
                FaqMiss.text,
                FaqMiss.entry_id,
                FaqMiss.occurred_at,
                FaqMiss.excluded_at,
            )
            .where(_verdict_miss(), misses)
            .order_by(FaqMiss.occurred_at.desc())
            .limit(limit)
        )
        wrong = misses_of.where(FaqMiss.reason.in_(WRONG_ANSWER_REASONS))
        answered = misses_of.where(FaqMiss.reason == ANSWERED_BY_STAFF)
        rows: list[tuple[datetime, int, FaqFeedbackRecord]] = []
        # At the same moment, staff's verdict counts before a member's, 👎 before 👍.
        sources = (
            (liked, True, "helpful", "a"),
            (wrong, False, "wrong", "m"),
            (answered, True, "staff", "m"),
        )
        for weight, (query, helpful, kind, prefix) in enumerate(sources):
            rows += [
                (
                    at,
                    weight,
                    FaqFeedbackRecord(
                        text, entry, helpful, f"{prefix}{row_id}", at, kind, excluded is not None
                    ),
                )
                for row_id, text, entry, at, excluded in await self._db.execute(query)
            ]
        rows.sort(key=lambda row: row[:2], reverse=True)
        return [record for *_, record in rows[:limit]]

    async def exclude_feedback(self, ref: str, at: datetime | None) -> bool:
        """Leave the verdict ``ref`` (``a12``, ``m34``) out of the calibration from ``at``,
        or (``at`` None) take it back in; False when there is no such verdict."""
        kinds = {"a": (FaqAnswer, _liked_answer), "m": (FaqMiss, _verdict_miss)}
        table, verdict_of = kinds.get(ref[:1], (None, None))
        if table is None or verdict_of is None or not ref[1:].isdigit():
            return False
        verdict = verdict_of()
        result = await self._db.execute(
            update(table).where(table.id == int(ref[1:]), verdict).values(excluded_at=at)
        )
        return bool(result.rowcount)

    # -- misses ----------------------------------------------------------------

    async def record_miss(
        self,
        text: str,
        reason: str,
        at: datetime,
        *,
        chat_id: int | None = None,
        user_id: int | None = None,
        entry_id: int | None = None,
    ) -> None:
        await self._db.execute(
            insert(FaqMiss).values(
                text=text[:1000],
                reason=reason,
                occurred_at=at,
                chat_id=chat_id,
                user_id=user_id,
                entry_id=entry_id,
            )
        )

    async def last_miss_of(
        self, user_id: int, before: datetime, reasons: Sequence[str] = WRONG_ANSWER_REASONS
    ) -> FaqMissRecord | None:
        """The member's latest miss of these kinds up to ``before`` (what a ticket they
        opened after an answer was about)."""
        query = (
            select(FaqMiss)
            .where(
                FaqMiss.user_id == user_id,
                FaqMiss.reason.in_(list(reasons)),
                FaqMiss.occurred_at <= before,
            )
            .order_by(FaqMiss.occurred_at.desc(), FaqMiss.id.desc())
            .limit(1)
        )
        row = (await self._db.execute(query)).first()
        return to_record(FaqMissRecord, row) if row else None

    async def misses(self, since: datetime, limit: int = 1000) -> list[FaqMissRecord]:
        """Recent misses, newest first (not the ones staff answered with an entry)."""
        query = (
            select(FaqMiss)
            .where(FaqMiss.occurred_at >= since, FaqMiss.reason != ANSWERED_BY_STAFF)
            .order_by(FaqMiss.occurred_at.desc(), FaqMiss.id.desc())
            .limit(limit)
        )
        return [to_record(FaqMissRecord, row) for row in (await self._db.execute(query)).all()]
