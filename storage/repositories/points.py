"""The points economy: ledger, derived accounts, period totals, badges, rewards.

Every award goes through :meth:`PointsRepository.apply`, which writes the
ledger row and moves the account in the same transaction; the ledger's
unique ``source`` makes a replayed award a no-op.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.models import (
    Badge,
    PointsAccount,
    PointsLedger,
    PointsPeriod,
    Redemption,
    RewardStock,
    User,
)
from storage.records import (
    BadgeRecord,
    LedgerRecord,
    PointsAccountRecord,
    RankedMember,
    RedemptionRecord,
)
from storage.repositories._sql import to_record, upsert_insert

#: Account statistics a rule may count up with an award.
STATS = frozenset({"messages", "helpful", "topics", "invites", "checkins"})


class PointsRepository:
    def __init__(self, db: AsyncConnection) -> None:
        self._db = db

    # -- accounts ----------------------------------------------------------------

    async def account(self, chat_id: int, user_id: int) -> PointsAccountRecord | None:
        row = (
            await self._db.execute(
                select(PointsAccount).where(
                    PointsAccount.chat_id == chat_id, PointsAccount.user_id == user_id
                )
            )
        ).first()
        return to_record(PointsAccountRecord, row) if row else None

    async def ensure_account(self, chat_id: int, user_id: int, at: datetime) -> None:
        await self._db.execute(
            upsert_insert(self._db, PointsAccount)
            .values(chat_id=chat_id, user_id=user_id, balance=0, earned=0, updated_at=at)
            .on_conflict_do_nothing(index_elements=["chat_id", "user_id"])
        )

    async def update_account(self, chat_id: int, user_id: int, **values: Any) -> None:
        """Set bookkeeping fields (streak, message cap, level…); never the balance."""
        if {"balance", "earned"} & set(values):
            raise ValueError("balances change only through apply()")
        await self._db.execute(
            update(PointsAccount)
            .where(PointsAccount.chat_id == chat_id, PointsAccount.user_id == user_id)
            .values(**values)
        )

    # -- the ledger ----------------------------------------------------------------

    async def apply(
        self,
        chat_id: int,
        user_id: int,
        amount: int,
        reason: str,
        source: str,
        at: datetime,
        *,
        periods: Sequence[str] = (),
        earning: bool = True,
        stat: str | None = None,
        note: str | None = None,
        actor_user_id: int | None = None,
        require_balance: bool = False,
    ) -> PointsAccountRecord | None:
        """Write one ledger row and move the account; None if ``source`` was used already
        (or, with ``require_balance``, if the balance is too low: nothing is written)."""
        if stat is not None and stat not in STATS:
            raise ValueError(f"unknown statistic {stat}")
        await self.ensure_account(chat_id, user_id, at)
        changes: dict[str, Any] = {
            "balance": PointsAccount.balance + amount,
            "updated_at": at,
        }
        if earning and amount > 0:
            changes["earned"] = PointsAccount.earned + amount
        if stat is not None:
            changes[stat] = getattr(PointsAccount, stat) + 1
        conditions = [PointsAccount.chat_id == chat_id, PointsAccount.user_id == user_id]
        if require_balance:
            conditions.append(PointsAccount.balance + amount >= 0)
        inserted = await self._db.scalar(
            upsert_insert(self._db, PointsLedger)
            .values(
                chat_id=chat_id,
                user_id=user_id,
                amount=amount,
                reason=reason,
                note=note,
                source=source[:191],
                actor_user_id=actor_user_id,
                created_at=at,
            )
            .on_conflict_do_nothing(index_elements=["source"])
            .returning(PointsLedger.id)
        )
        if inserted is None:
            return None
        row = (
            await self._db.execute(
                update(PointsAccount)
                .where(*conditions)
                .values(**changes)
                .returning(*PointsAccount.__table__.c)
            )
        ).first()
        if row is None:  # not enough points: take the ledger row back
            await self._db.execute(delete(PointsLedger).where(PointsLedger.id == inserted))
            return None
        if earning and amount > 0:
            for period in periods:
                await self._db.execute(
                    upsert_insert(self._db, PointsPeriod)
                    .values(chat_id=chat_id, period=period, user_id=user_id, earned=amount)
                    .on_conflict_do_update(
                        index_elements=["chat_id", "period", "user_id"],
                        set_={"earned": PointsPeriod.earned + amount},
                    )
                )
        return to_record(PointsAccountRecord, row)

    async def history(self, chat_id: int, user_id: int, limit: int = 5) -> list[LedgerRecord]:
        query = (
            select(PointsLedger)
            .where(PointsLedger.chat_id == chat_id, PointsLedger.user_id == user_id)
            .order_by(PointsLedger.id.desc())
            .limit(limit)
        )
        return [to_record(LedgerRecord, row) for row in (await self._db.execute(query)).all()]

    async def actor_total_since(self, actor_user_id: int, since: datetime) -> int:
        """Points a moderator has given or taken since ``since`` (absolute sum)."""
        total = await self._db.scalar(
            select(func.coalesce(func.sum(func.abs(PointsLedger.amount)), 0)).where(
                PointsLedger.actor_user_id == actor_user_id,
                PointsLedger.reason.in_(("given", "taken")),
                PointsLedger.created_at >= since,
            )
        )
        return int(total or 0)

    async def ledger_for_source(self, source: str) -> LedgerRecord | None:
        row = (
            await self._db.execute(select(PointsLedger).where(PointsLedger.source == source))
        ).first()
        return to_record(LedgerRecord, row) if row else None

    # -- rankings -------------------------------------------------------------------

    async def top(self, chat_id: int, period: str | None, limit: int = 10) -> list[RankedMember]:
        """The chat's leaders: all time by points earned, or within a period."""
        if period is None:
            points = PointsAccount.earned
            query = select(PointsAccount.user_id, User.display_name, points.label("points")).where(
                PointsAccount.chat_id == chat_id, points > 0
            )
            source = PointsAccount
        else:
            points = PointsPeriod.earned
            query = select(PointsPeriod.user_id, User.display_name, points.label("points")).where(
                PointsPeriod.chat_id == chat_id, PointsPeriod.period == period, points > 0
            )
            source = PointsPeriod
        query = (
            query.join(User, User.id == source.user_id)
            .order_by(points.desc(), source.user_id)
            .limit(limit)
        )
        return [
            RankedMember(int(r[0]), str(r[1]), int(r[2]))
            for r in (await self._db.execute(query)).all()
        ]

    # -- verification and reports ------------------------------------------------------

    async def ledger_sums(self) -> dict[tuple[int, int], int]:
        query = select(
            PointsLedger.chat_id, PointsLedger.user_id, func.sum(PointsLedger.amount)
        ).group_by(PointsLedger.chat_id, PointsLedger.user_id)
        return {(r[0], r[1]): int(r[2]) for r in (await self._db.execute(query)).all()}

    async def balances(self) -> dict[tuple[int, int], int]:
        query = select(PointsAccount.chat_id, PointsAccount.user_id, PointsAccount.balance)
        return {(r[0], r[1]): int(r[2]) for r in (await self._db.execute(query)).all()}

    async def ledger_since(self, since: datetime) -> list[LedgerRecord]:
        query = (
            select(PointsLedger).where(PointsLedger.created_at >= since).order_by(PointsLedger.id)
        )
        return [to_record(LedgerRecord, row) for row in (await self._db.execute(query)).all()]

    # -- badges -------------------------------------------------------------------------

    async def grant_badge(
        self,
        chat_id: int,
        user_id: int,
        badge: str,
        at: datetime,
        *,
        reason: str | None = None,
        granted_by: int | None = None,
    ) -> bool:
        """True if newly granted (each badge is granted once)."""
        inserted = await self._db.scalar(
            upsert_insert(self._db, Badge)
            .values(
                chat_id=chat_id,
                user_id=user_id,
                badge=badge,
                reason=reason,
                granted_by=granted_by,
                granted_at=at,
            )
            .on_conflict_do_nothing(index_elements=["chat_id", "user_id", "badge"])
            .returning(Badge.badge)
        )
        return inserted is not None

    async def revoke_badge(self, chat_id: int, user_id: int, badge: str) -> bool:
        result = await self._db.execute(
            delete(Badge).where(
                Badge.chat_id == chat_id, Badge.user_id == user_id, Badge.badge == badge
            )
        )
        return bool(result.rowcount)

    async def badges(self, chat_id: int, user_id: int) -> list[BadgeRecord]:
        query = (
            select(Badge)
            .where(Badge.chat_id == chat_id, Badge.user_id == user_id)
            .order_by(Badge.granted_at, Badge.badge)
        )
        return [to_record(BadgeRecord, row) for row in (await self._db.execute(query)).all()]

    # -- rewards and redemptions -----------------------------------------------------------

    async def stock(self, item: str, initial: int) -> int:
        """What is left of ``item``; the configured stock the first time it is asked."""
        await self._db.execute(
            upsert_insert(self._db, RewardStock)
            .values(item=item, remaining=initial)
            .on_conflict_do_nothing(index_elements=["item"])
        )
        return int(
            await self._db.scalar(select(RewardStock.remaining).where(RewardStock.item == item))
            or 0
        )

    async def take_stock(self, item: str) -> bool:
        """Take one; exactly one of two racing redemptions gets the last item."""
        result = await self._db.execute(
            update(RewardStock)
            .where(RewardStock.item == item, RewardStock.remaining > 0)
            .values(remaining=RewardStock.remaining - 1)
        )
        return bool(result.rowcount)

    async def return_stock(self, item: str) -> None:
        await self._db.execute(
            update(RewardStock)
            .where(RewardStock.item == item)
            .values(remaining=RewardStock.remaining + 1)
        )

    async def create_redemption(
        self, chat_id: int, user_id: int, item: str, cost: int, at: datetime
    ) -> RedemptionRecord:
        row = (
            await self._db.execute(
                upsert_insert(self._db, Redemption)
                .values(
                    chat_id=chat_id,
                    user_id=user_id,
                    item=item,
                    cost=cost,
                    status="pending",
                    created_at=at,
                )
                .returning(*Redemption.__table__.c)
            )
        ).one()
        return to_record(RedemptionRecord, row)

    async def redemption(self, redemption_id: int) -> RedemptionRecord | None:
        row = (
            await self._db.execute(select(Redemption).where(Redemption.id == redemption_id))
        ).first()
        return to_record(RedemptionRecord, row) if row else None

    async def decide_redemption(
        self, redemption_id: int, status: str, at: datetime, by: int | None
    ) -> RedemptionRecord | None:
        """Mark a pending redemption done or refused; None if it was decided already."""
        row = (
            await self._db.execute(
                update(Redemption)
                .where(and_(Redemption.id == redemption_id, Redemption.status == "pending"))
                .values(status=status, decided_at=at, decided_by=by)
                .returning(*Redemption.__table__.c)
            )
        ).first()
        return to_record(RedemptionRecord, row) if row else None

    async def redemptions_since(self, since: datetime) -> list[RedemptionRecord]:
        query = select(Redemption).where(Redemption.created_at >= since).order_by(Redemption.id)
        return [to_record(RedemptionRecord, r) for r in (await self._db.execute(query)).all()]
