"""The points economy: ledger, derived accounts, period totals, badges, rewards.

Every award goes through :meth:`PointsRepository.apply`, which writes the
ledger row and moves the account in the same transaction; the ledger's
unique ``source`` makes a replayed award a no-op.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, bindparam, case, delete, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.models import (
    Badge,
    Invite,
    InviteLink,
    PointsAccount,
    PointsLedger,
    Reaction,
    Redemption,
    RewardStock,
    User,
    UTCDateTime,
)
from storage.records import (
    BadgeRecord,
    InviteRecord,
    LedgerRecord,
    MessageGate,
    PointsAccountRecord,
    RankedMember,
    RedemptionRecord,
)
from storage.repositories._sql import Prepared, to_record, upsert_insert

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
        periods: tuple[str, str] | None = None,
        earning: bool = True,
        stat: str | None = None,
        note: str | None = None,
        actor_user_id: int | None = None,
        require_balance: bool = False,
        gate: MessageGate | None = None,
        bookkeeping: dict[str, Any] | None = None,
    ) -> PointsAccountRecord | None:
        """Move the account and write one ledger row; None when nothing was applied.

        Nothing is applied when ``source`` was used already (a replay), when
        the message ``gate`` is closed (cooldown, repeat, daily cap), or, with
        ``require_balance``, when the balance is too low.
        ``periods`` (this week, this month) count the points as earnings of
        those periods; ``bookkeeping`` sets rule state in the same statement.
        The account moves first, in one upsert, so a refused award (the
        common case for a chatty member) writes nothing at all.
        """
        if stat is not None and stat not in STATS:
            raise ValueError(f"unknown statistic {stat}")
        if bookkeeping and {"balance", "earned"} & set(bookkeeping):
            raise ValueError("balances change only through the amount")
        earns = earning and amount > 0
        table = PointsAccount
        new: dict[str, Any] = {
            **(bookkeeping or {}),
            "chat_id": chat_id,
            "user_id": user_id,
            "balance": amount,
            "earned": amount if earns else 0,
            "level": 0,
            "updated_at": at,
        }
        changes: dict[str, Any] = {
            **(bookkeeping or {}),
            "balance": table.balance + amount,
            "updated_at": at,
        }
        if earns:
            changes["earned"] = table.earned + amount
        if stat is not None:
            new[stat] = 1
            changes[stat] = getattr(table, stat) + 1
        if earns and periods is not None:
            week, month = periods
            new.update(week=week, week_earned=amount, month=month, month_earned=amount)
            changes.update(
                week=week,
                week_earned=case((table.week == week, table.week_earned + amount), else_=amount),
                month=month,
                month_earned=case(
                    (table.month == month, table.month_earned + amount), else_=amount
                ),
            )
        conditions: list[ColumnElement[bool]] = []
        if gate is not None:
            conditions.append(_gate_open(gate, amount))
            state = {
                "last_message_award_at": gate.now,
                "last_message_digest": gate.digest,
                "cap_day": gate.day,
            }
            new.update(state, cap_points=amount)
            changes.update(
                state,
                cap_points=case(
                    (table.cap_day == gate.day, table.cap_points + amount), else_=amount
                ),
            )
        if require_balance:
            conditions.append(table.balance + amount >= 0)
            statement: Any = (
                update(table)
                .where(table.chat_id == chat_id, table.user_id == user_id, *conditions)
                .values(**changes)
            )
        else:
            statement = (
                upsert_insert(self._db, table)
                .values(**new)
                .on_conflict_do_update(
                    index_elements=["chat_id", "user_id"],
                    set_=changes,
                    where=and_(*conditions) if conditions else None,
                )
            )
        row = (await self._db.execute(statement.returning(*table.__table__.c))).first()
        if row is None:
            return None
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
            # A replay that got past the update de-duplication: undo the account move.
            # (Rule state such as the cooldown stays as set; it describes the same event.)
            undo: dict[str, Any] = {"balance": table.balance - amount}
            if earns:
                undo["earned"] = table.earned - amount
                if periods is not None:
                    undo.update(
                        week_earned=table.week_earned - amount,
                        month_earned=table.month_earned - amount,
                    )
            if stat is not None:
                undo[stat] = getattr(table, stat) - 1
            await self._db.execute(
                update(table)
                .where(table.chat_id == chat_id, table.user_id == user_id)
                .values(**undo)
            )
            return None
        return to_record(PointsAccountRecord, row)

    async def award_message(
        self,
        chat_id: int,
        user_id: int,
        amount: int,
        source: str,
        gate: MessageGate,
        periods: tuple[str, str],
    ) -> PointsAccountRecord | None:
        """The message rule's award: the same as :meth:`apply` with a gate, through
        statements built once per backend (this runs for every group message, and
        building the SQL costs more than running it)."""
        statements = _message_statements(self._db.dialect.name)
        week, month = periods
        row = (
            await self._db.execute(
                statements.account,
                {
                    "chat_id": chat_id,
                    "user_id": user_id,
                    "amount": amount,
                    "at": gate.now,
                    "cutoff": gate.now - gate.cooldown,
                    "digest": gate.digest,
                    "day": gate.day,
                    "cap": gate.daily_cap - amount,
                    "week": week,
                    "month": month,
                },
            )
        ).first()
        if row is None:
            return None
        row_values = {"chat_id": chat_id, "user_id": user_id, "amount": amount,
                      "source": source[:191], "at": gate.now}  # fmt: skip
        inserted = await self._db.scalar(
            _MESSAGE_LEDGER.statement(self._db.dialect.name), row_values
        )
        if inserted is None:  # a replay: undo the move, as apply() does
            await self._db.execute(
                update(PointsAccount)
                .where(PointsAccount.chat_id == chat_id, PointsAccount.user_id == user_id)
                .values(
                    balance=PointsAccount.balance - amount,
                    earned=PointsAccount.earned - amount,
                    week_earned=PointsAccount.week_earned - amount,
                    month_earned=PointsAccount.month_earned - amount,
                    messages=PointsAccount.messages - 1,
                )
            )
            return None
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

    async def top(
        self, chat_id: int, period: tuple[str, str] | None = None, limit: int = 10
    ) -> list[RankedMember]:
        """The chat's leaders: all time by points earned, or for ``period`` —
        ``("week", "w2026-48")`` or ``("month", "m2026-11")``.

        The leaders are read straight off a ranking index (ties: the later
        member first), then named: ten rows, whatever the size of the chat.
        """
        table = PointsAccount
        if period is None:
            points: Any = table.earned
            where = [table.chat_id == chat_id, points > 0]
        else:
            kind, key = period
            points = table.week_earned if kind == "week" else table.month_earned
            column = table.week if kind == "week" else table.month
            where = [table.chat_id == chat_id, column == key, points > 0]
        ranked = (
            select(table.user_id, points.label("points"))
            .where(*where)
            .order_by(points.desc(), table.user_id.desc())
            .limit(limit)
            .subquery()
        )
        query = (
            select(ranked.c.user_id, User.display_name, ranked.c.points)
            .join(User, User.id == ranked.c.user_id)
            .order_by(ranked.c.points.desc(), ranked.c.user_id.desc())
        )
        return [
            RankedMember(int(r[0]), str(r[1]), int(r[2]))
            for r in (await self._db.execute(query)).all()
        ]

    # -- linked accounts ----------------------------------------------------------------

    async def merge(self, from_user: int, into_user: int, source: str, at: datetime) -> int:
        """Move every account of ``from_user`` into ``into_user``'s in the same chat (the
        accounts are now one person): the balance through two ``linked`` ledger rows, so
        the ledger still sums to every balance; earnings and statistics added, the later
        streak kept, badges carried over. Returns the points moved."""
        table = PointsAccount
        moved = 0
        sources = (await self._db.execute(select(table).where(table.user_id == from_user))).all()
        for row in sources:
            old = to_record(PointsAccountRecord, row)
            chat_id = old.chat_id
            into = await self.account(chat_id, into_user)
            values = _merged(old, into)
            values.update(chat_id=chat_id, user_id=into_user, updated_at=at)
            if into is None:
                await self._db.execute(upsert_insert(self._db, table).values(**values))
            else:
                await self._db.execute(
                    update(table)
                    .where(table.chat_id == chat_id, table.user_id == into_user)
                    .values(**values)
                )
            await self._db.execute(
                update(table)
                .where(table.chat_id == chat_id, table.user_id == from_user)
                .values(**{**_EMPTY, "updated_at": at})
            )
            if old.balance:
                for user_id, amount, side in (
                    (from_user, -old.balance, "out"),
                    (into_user, old.balance, "in"),
                ):
                    await self._db.execute(
                        upsert_insert(self._db, PointsLedger).values(
                            chat_id=chat_id,
                            user_id=user_id,
                            amount=amount,
                            reason="linked",
                            source=f"{source}:{chat_id}:{side}"[:191],
                            created_at=at,
                        )
                    )
                moved += old.balance
            badges = (
                await self._db.execute(
                    select(Badge).where(Badge.chat_id == chat_id, Badge.user_id == from_user)
                )
            ).all()
            for badge in badges:
                await self._db.execute(
                    upsert_insert(self._db, Badge)
                    .values(
                        chat_id=chat_id,
                        user_id=into_user,
                        badge=badge.badge,
                        reason=badge.reason,
                        granted_by=badge.granted_by,
                        granted_at=badge.granted_at,
                    )
                    .on_conflict_do_nothing(index_elements=["chat_id", "user_id", "badge"])
                )
            await self._db.execute(
                delete(Badge).where(Badge.chat_id == chat_id, Badge.user_id == from_user)
            )
        return moved

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

    # -- invitations ------------------------------------------------------------------------

    async def invite_link(self, chat_id: int, user_id: int) -> str | None:
        return await self._db.scalar(
            select(InviteLink.link).where(
                InviteLink.chat_id == chat_id, InviteLink.user_id == user_id
            )
        )

    async def save_invite_link(self, chat_id: int, user_id: int, link: str, at: datetime) -> None:
        await self._db.execute(
            upsert_insert(self._db, InviteLink)
            .values(chat_id=chat_id, user_id=user_id, link=link, created_at=at)
            .on_conflict_do_update(
                index_elements=["chat_id", "user_id"], set_={"link": link, "created_at": at}
            )
        )

    async def record_invite(
        self, chat_id: int, invitee_id: int, inviter_id: int, at: datetime
    ) -> bool:
        """The first invitation of a member into a chat counts; True if recorded now."""
        inserted = await self._db.scalar(
            upsert_insert(self._db, Invite)
            .values(chat_id=chat_id, invitee_id=invitee_id, inviter_id=inviter_id, joined_at=at)
            .on_conflict_do_nothing(index_elements=["chat_id", "invitee_id"])
            .returning(Invite.invitee_id)
        )
        return inserted is not None

    async def first_unsettled_join(self) -> datetime | None:
        """When the earliest invitation still to settle was made (its payout is due a
        stay later)."""
        return await self._db.scalar(
            select(func.min(Invite.joined_at)).where(Invite.settled_at.is_(None))
        )

    async def invites_due(self, joined_before: datetime, limit: int = 200) -> list[InviteRecord]:
        query = (
            select(Invite)
            .where(Invite.settled_at.is_(None), Invite.joined_at <= joined_before)
            .order_by(Invite.joined_at)
            .limit(limit)
        )
        return [to_record(InviteRecord, r) for r in (await self._db.execute(query)).all()]

    async def settle_invite(
        self, chat_id: int, invitee_id: int, outcome: str, at: datetime
    ) -> bool:
        """Close an invitation once; False if another sweep settled it first."""
        result = await self._db.execute(
            update(Invite)
            .where(
                Invite.chat_id == chat_id,
                Invite.invitee_id == invitee_id,
                Invite.settled_at.is_(None),
            )
            .values(settled_at=at, outcome=outcome)
        )
        return bool(result.rowcount)

    # -- reactions --------------------------------------------------------------------------

    async def add_reaction(self, chat_id: int, message_id: str, user_id: int, at: datetime) -> int:
        """Record one person's reaction; returns how many people have reacted."""
        await self._db.execute(
            upsert_insert(self._db, Reaction)
            .values(chat_id=chat_id, message_id=message_id, user_id=user_id, reacted_at=at)
            .on_conflict_do_nothing(index_elements=["chat_id", "message_id", "user_id"])
        )
        count = await self._db.scalar(
            select(func.count()).where(
                Reaction.chat_id == chat_id, Reaction.message_id == message_id
            )
        )
        return int(count or 0)

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

    async def redemptions_waiting(self, limit: int = 200) -> list[RedemptionRecord]:
        """Redemptions staff have not fulfilled or refused yet, the oldest first."""
        query = (
            select(Redemption)
            .where(Redemption.status == "pending")
            .order_by(Redemption.created_at, Redemption.id)
            .limit(limit)
        )
        return [to_record(RedemptionRecord, r) for r in (await self._db.execute(query)).all()]

    async def redemptions_since(self, since: datetime) -> list[RedemptionRecord]:
        query = select(Redemption).where(Redemption.created_at >= since).order_by(Redemption.id)
        return [to_record(RedemptionRecord, r) for r in (await self._db.execute(query)).all()]


#: An account emptied into its person's (its ledger rows stay, summing to zero).
_EMPTY: dict[str, Any] = {
    "balance": 0,
    "earned": 0,
    "level": 0,
    "week_earned": 0,
    "month_earned": 0,
    "streak": 0,
    **{stat: 0 for stat in STATS},
}


def _merged(old: PointsAccountRecord, into: PointsAccountRecord | None) -> dict[str, Any]:
    """The person's account once ``old`` joined ``into``: sums, the later period's
    earnings (both if the same period) and the streak of the later check-in."""
    if into is None:
        return {
            field.name: getattr(old, field.name)
            for field in fields(PointsAccountRecord)
            if field.name not in ("chat_id", "user_id", "updated_at")
        }
    values: dict[str, Any] = {
        "balance": into.balance + old.balance,
        "earned": into.earned + old.earned,
        "level": max(into.level, old.level),
        "best_streak": max(into.best_streak, old.best_streak),
        **{stat: getattr(into, stat) + getattr(old, stat) for stat in STATS},
    }
    for period, earned in (("week", "week_earned"), ("month", "month_earned")):
        mine, theirs = getattr(into, period), getattr(old, period)
        if mine == theirs:
            values[earned] = getattr(into, earned) + getattr(old, earned)
        elif theirs is not None and (mine is None or theirs > mine):
            values[period], values[earned] = theirs, getattr(old, earned)
    if old.last_checkin is not None and (
        into.last_checkin is None or old.last_checkin > into.last_checkin
    ):
        values.update(last_checkin=old.last_checkin, streak=old.streak)
    return values


def _gate_open(gate: MessageGate, amount: int) -> ColumnElement[bool]:
    table = PointsAccount
    return and_(
        or_(
            table.last_message_award_at.is_(None),
            table.last_message_award_at <= gate.now - gate.cooldown,
        ),
        or_(table.last_message_digest.is_(None), table.last_message_digest != gate.digest),
        or_(
            table.cap_day.is_(None),
            table.cap_day != gate.day,
            table.cap_points + amount <= gate.daily_cap,
        ),
    )


@dataclass(frozen=True, slots=True)
class _MessageStatements:
    account: Any


_MESSAGE_STATEMENTS: dict[str, _MessageStatements] = {}


def _message_statements(dialect: str) -> _MessageStatements:
    """The message award's two statements for ``dialect``, built on first use."""
    built = _MESSAGE_STATEMENTS.get(dialect)
    if built is not None:
        return built
    insert_for = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}[dialect]
    table = PointsAccount
    amount, at, day = bindparam("amount"), bindparam("at", type_=UTCDateTime()), bindparam("day")
    week, month, digest = bindparam("week"), bindparam("month"), bindparam("digest")
    account = (
        insert_for(table)
        .values(
            chat_id=bindparam("chat_id"), user_id=bindparam("user_id"), balance=amount,
            earned=amount, level=0, messages=1, week=week, week_earned=amount, month=month,
            month_earned=amount, last_message_award_at=at, last_message_digest=digest,
            cap_day=day, cap_points=amount, updated_at=at,
        )
        .on_conflict_do_update(
            index_elements=["chat_id", "user_id"],
            set_={
                "balance": table.balance + amount,
                "earned": table.earned + amount,
                "messages": table.messages + 1,
                "week": week,
                "week_earned": case((table.week == week, table.week_earned + amount),
                                    else_=amount),
                "month": month,
                "month_earned": case((table.month == month, table.month_earned + amount),
                                     else_=amount),
                "last_message_award_at": at,
                "last_message_digest": digest,
                "cap_day": day,
                "cap_points": case((table.cap_day == day, table.cap_points + amount),
                                   else_=amount),
                "updated_at": at,
            },
            where=and_(
                or_(
                    table.last_message_award_at.is_(None),
                    table.last_message_award_at <= bindparam("cutoff", type_=UTCDateTime()),
                ),
                or_(table.last_message_digest.is_(None), table.last_message_digest != digest),
                or_(table.cap_day.is_(None), table.cap_day != day,
                    table.cap_points <= bindparam("cap")),
            ),
        )
        .returning(*table.__table__.c)
    )  # fmt: skip
    built = _MESSAGE_STATEMENTS[dialect] = _MessageStatements(account)
    return built


def _build_message_ledger(insert: Any) -> Any:
    """The message award's ledger row; a replay (its source used already) adds none."""
    return (
        insert(PointsLedger)
        .values(
            chat_id=bindparam("chat_id"), user_id=bindparam("user_id"),
            amount=bindparam("amount"), reason="message", source=bindparam("source"),
            created_at=bindparam("at", type_=UTCDateTime()),
        )
        .on_conflict_do_nothing(index_elements=["source"])
        .returning(PointsLedger.id)
    )  # fmt: skip


#: Built once per backend: it runs for every awarded message.
_MESSAGE_LEDGER = Prepared(_build_message_ledger)
