"""The points repository: one contract on SQLite and PostgreSQL, including two
redemptions racing for the last item in concurrent transactions."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from storage.database import Storage

T0 = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
WEEK, MONTH = "w2026-48", "m2026-11"


async def _members(storage: Storage, count: int = 2) -> tuple[int, list[int]]:
    async with storage.transaction() as repos:
        chat = await repos.chats.upsert("testnet", "-1", kind="group", title="群", at=T0)
        users = []
        for index in range(count):
            user = await repos.users.upsert(
                "testnet", str(index + 1), display_name=f"user{index + 1}", username=None,
                language=None, is_bot=False, at=T0,
            )  # fmt: skip
            users.append(user.id)
    return chat.id, users


async def test_apply_is_idempotent_by_source_and_keeps_totals(storage: Storage) -> None:
    chat, (alice, _) = await _members(storage)
    async with storage.transaction() as repos:
        first = await repos.points.apply(
            chat, alice, 5, "checkin", "checkin:x", T0, periods=(WEEK, MONTH), stat="checkins"
        )
        assert first is not None and (first.balance, first.earned, first.checkins) == (5, 5, 1)
        assert await repos.points.apply(chat, alice, 5, "checkin", "checkin:x", T0) is None
        taken = await repos.points.apply(
            chat, alice, -3, "taken", "manual:1", T0, earning=False, actor_user_id=alice
        )
        assert taken is not None and (taken.balance, taken.earned) == (2, 5)
        assert await repos.points.actor_total_since(alice, T0 - timedelta(hours=1)) == 3
        assert [r.reason for r in await repos.points.history(chat, alice)] == ["taken", "checkin"]
        assert await repos.points.ledger_sums() == {(chat, alice): 2}
        assert await repos.points.balances() == {(chat, alice): 2}


async def test_require_balance_writes_nothing_when_short(storage: Storage) -> None:
    chat, (alice, _) = await _members(storage)
    async with storage.transaction() as repos:
        await repos.points.apply(chat, alice, 4, "given", "g", T0)
        assert (
            await repos.points.apply(
                chat, alice, -5, "redeem", "r", T0, earning=False, require_balance=True
            )
            is None
        )
        assert await repos.points.ledger_for_source("r") is None
        assert (await repos.points.account(chat, alice)).balance == 4


async def test_rankings_all_time_and_by_period(storage: Storage) -> None:
    chat, (alice, bob) = await _members(storage)
    async with storage.transaction() as repos:
        await repos.points.apply(chat, alice, 10, "given", "a", T0, periods=("w2026-47", MONTH))
        await repos.points.apply(chat, bob, 7, "given", "b", T0, periods=(WEEK, MONTH))
        await repos.points.apply(chat, bob, -7, "taken", "c", T0, earning=False)
        all_time = await repos.points.top(chat, None)
        week = await repos.points.top(chat, ("week", WEEK))
        month = await repos.points.top(chat, ("month", MONTH))
        # A new week starts from zero for that member.
        await repos.points.apply(chat, alice, 2, "given", "d", T0, periods=(WEEK, MONTH))
        week_later = await repos.points.top(chat, ("week", WEEK))
    assert [(m.display_name, m.points) for m in all_time] == [("user1", 10), ("user2", 7)]
    assert [(m.display_name, m.points) for m in week] == [("user2", 7)]
    assert [m.points for m in month] == [10, 7]
    assert [(m.display_name, m.points) for m in week_later] == [("user2", 7), ("user1", 2)]


async def test_badges_are_granted_once(storage: Storage) -> None:
    chat, (alice, bob) = await _members(storage)
    async with storage.transaction() as repos:
        assert await repos.points.grant_badge(chat, alice, "mvp", T0, reason="好", granted_by=bob)
        assert not await repos.points.grant_badge(chat, alice, "mvp", T0)
        [badge] = await repos.points.badges(chat, alice)
        assert (badge.badge, badge.reason, badge.granted_by) == ("mvp", "好", bob)
        assert await repos.points.revoke_badge(chat, alice, "mvp")
        assert not await repos.points.revoke_badge(chat, alice, "mvp")


async def test_redemptions_are_decided_once(storage: Storage) -> None:
    chat, (alice, bob) = await _members(storage)
    async with storage.transaction() as repos:
        assert await repos.points.stock("mug", 2) == 2
        assert await repos.points.stock("mug", 99) == 2  # the configured stock seeds once
        request = await repos.points.create_redemption(chat, alice, "mug", 30, T0)
        done = await repos.points.decide_redemption(request.id, "done", T0, bob)
        assert done is not None and done.status == "done" and done.decided_by == bob
        assert await repos.points.decide_redemption(request.id, "refused", T0, bob) is None
        assert [r.status for r in await repos.points.redemptions_since(T0)] == ["done"]


async def test_two_redemptions_race_for_the_last_item(storage: Storage) -> None:
    async with storage.transaction() as repos:
        await repos.points.stock("last", 1)

    async def redeem(delay: float) -> bool:
        await asyncio.sleep(delay)
        async with storage.transaction() as repos:
            taken = await repos.points.take_stock("last")
            await asyncio.sleep(0.2)  # hold the transaction open while the other one tries
            return taken

    results = await asyncio.gather(redeem(0), redeem(0.05))
    assert sorted(results) == [False, True]
    async with storage.transaction() as repos:
        assert await repos.points.stock("last", 1) == 0
        await repos.points.return_stock("last")
        assert await repos.points.stock("last", 1) == 1


@pytest.mark.parametrize("prebuilt", [False, True], ids=["apply", "award_message"])
async def test_the_message_gate_checks_cooldown_repeats_and_cap(
    storage: Storage, prebuilt: bool
) -> None:
    from storage.records import MessageGate

    chat, (alice, _) = await _members(storage)

    def gate(now: datetime, digest: str, cap: int = 3) -> MessageGate:
        return MessageGate(now, timedelta(seconds=60), digest, now.date().isoformat(), cap)

    async def award(now: datetime, digest: str, source: str, cap: int = 3) -> bool:
        async with storage.transaction() as repos:
            if prebuilt:
                done = await repos.points.award_message(
                    chat, alice, 1, source, gate(now, digest, cap), (WEEK, MONTH)
                )
            else:
                done = await repos.points.apply(
                    chat, alice, 1, "message", source, now, gate=gate(now, digest, cap),
                    stat="messages", periods=(WEEK, MONTH),
                )  # fmt: skip
            return done is not None

    assert await award(T0, "a", "m1")
    assert not await award(T0 + timedelta(seconds=30), "b", "m2")  # cooldown
    assert not await award(T0 + timedelta(seconds=90), "a", "m3")  # repeat
    assert await award(T0 + timedelta(seconds=90), "b", "m4")
    assert await award(T0 + timedelta(seconds=180), "c", "m5")
    assert not await award(T0 + timedelta(seconds=270), "d", "m6")  # cap of 3 reached
    assert await award(T0 + timedelta(days=1), "e", "m7")  # a new day
    assert not await award(T0 + timedelta(days=2), "f", "m7")  # a replayed source
    async with storage.transaction() as repos:
        account = await repos.points.account(chat, alice)
        assert account is not None and (account.balance, account.messages) == (4, 4)
        assert (account.earned, account.week_earned) == (4, 4)
        assert await repos.points.ledger_sums() == {(chat, alice): 4}
        # The console's hourly count of points earned: the replay is not in it either.
        await repos.figures.count_points_earned(T0 + timedelta(days=3))
        zone = ZoneInfo("UTC")
        counted = await repos.figures.hourly(T0, T0 + timedelta(days=3), zone, chat)
        assert sum(counted["points"].values()) == 4


async def test_merging_accounts_moves_balance_stats_and_badges_and_keeps_the_ledger(
    storage: Storage,
) -> None:
    chat, (alice, other) = await _members(storage)
    async with storage.transaction() as repos:
        for user_id, amount, day, streak, best in (
            (alice, 5, "2026-11-23", 1, 4),
            (other, 7, "2026-11-24", 2, 2),
        ):
            state = {"last_checkin": day, "streak": streak, "best_streak": best}
            await repos.points.apply(
                chat, user_id, amount, "checkin", f"c{user_id}", T0,
                periods=(WEEK, MONTH), stat="checkins", bookkeeping=state,
            )  # fmt: skip
        await repos.points.apply(chat, other, -2, "redeem", "o2", T0, earning=False)
        await repos.points.grant_badge(chat, other, "first_message", T0)
        await repos.points.grant_badge(chat, alice, "first_message", T0)
        await repos.points.grant_badge(chat, other, "streak7", T0)
        assert await repos.points.merge(other, alice, "link:x", T0) == 5
        merged = await repos.points.account(chat, alice)
        emptied = await repos.points.account(chat, other)
        assert merged is not None and emptied is not None
        assert (merged.balance, merged.earned, merged.checkins) == (10, 12, 2)
        assert (merged.week_earned, merged.month_earned) == (12, 12)
        assert (merged.last_checkin, merged.streak, merged.best_streak) == ("2026-11-24", 2, 4)
        assert (emptied.balance, emptied.earned, emptied.checkins) == (0, 0, 0)
        assert sorted(b.badge for b in await repos.points.badges(chat, alice)) == [
            "first_message",
            "streak7",
        ]
        assert await repos.points.badges(chat, other) == []
        assert await repos.points.ledger_sums() == await repos.points.balances()
        # Into an account that did not exist yet (the first account never earned here).
        assert await repos.points.merge(alice, other, "link:y", T0) == 10
        assert (await repos.points.account(chat, other)).earned == 12
        assert await repos.points.ledger_sums() == await repos.points.balances()


async def test_a_link_code_is_used_once_even_by_two_racing_accounts(storage: Storage) -> None:
    _, (alice, other, third) = await _members(storage, 3)
    async with storage.transaction() as repos:
        await repos.links.issue("K7M2QX9P", alice, T0, T0 + timedelta(minutes=10))
        assert await repos.links.asked_by("K7M2QX9P", T0 + timedelta(minutes=10)) is None

    async def redeem(user_id: int) -> int | None:
        async with storage.transaction() as repos:
            return await repos.links.redeem("K7M2QX9P", user_id, T0 + timedelta(minutes=1))

    results = await asyncio.gather(redeem(other), redeem(third))
    assert sorted(results, key=lambda r: r is None) == [alice, None]
    async with storage.transaction() as repos:
        await repos.links.set_person(other, alice, T0)
        assert [u.id for u in await repos.links.accounts(alice)] == [alice, other]
        assert await repos.links.has_linked(alice) and not await repos.links.has_linked(other)
        assert (await repos.users.get_by_id(other)).person == alice
