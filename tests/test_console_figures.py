"""The overview's figures on SQLite and PostgreSQL: counted by the community's local
day (a message at 23:30 in Shanghai is that day's, at 00:30 the next one's), by
chat or for the whole community, and put into weekly charts."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from alembic import command
from sqlalchemy import text

from handlers.escalation.settings import EscalationSettings
from handlers.overview import Period, as_csv_rows, overview
from storage.database import Storage
from storage.migrate import alembic_config, upgrade
from storage.repositories import Repositories

SHANGHAI = ZoneInfo("Asia/Shanghai")
# Monday 2026-11-30, 23:30 in Shanghai, and an hour later (Tuesday).
LATE_MONDAY = datetime(2026, 11, 30, 15, 30, tzinfo=UTC)
EARLY_TUESDAY = LATE_MONDAY + timedelta(hours=1)
NOW = datetime(2026, 12, 3, 4, 0, tzinfo=UTC)
PERIOD = Period(date(2026, 11, 23), date(2026, 12, 3), SHANGHAI)


async def seed(repos: Repositories) -> tuple[int, int]:
    """Two groups: A with three members (one of them left), B with one."""
    at = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)
    a = await repos.chats.upsert("telegram", "-1", kind="group", title="A", at=at)
    b = await repos.chats.upsert("telegram", "-2", kind="group", title="B", at=at)
    users = [
        await repos.users.upsert(
            "telegram",
            str(n),
            display_name=f"u{n}",
            username=None,
            language=None,
            is_bot=False,
            at=at,
        )
        for n in range(1, 5)
    ]
    joins = [(a, users[0], at), (a, users[1], LATE_MONDAY), (a, users[2], EARLY_TUESDAY)]
    joins.append((b, users[3], EARLY_TUESDAY))
    for chat, user, when in joins:
        await repos.members.record_join(chat.id, user.id, when)
        await repos.members.start_onboarding(
            (await repos.members.get(chat.id, user.id)).id,
            when,
            None,  # type: ignore[union-attr]
        )
    window = timedelta(days=14)
    await repos.members.activate(a.id, users[0].id, at + timedelta(days=5), "message", window)
    await repos.members.activate(
        a.id, users[1].id, LATE_MONDAY + timedelta(hours=1), "message", window
    )
    await repos.members.record_leave(a.id, users[0].id, EARLY_TUESDAY)
    for when, count in ((LATE_MONDAY, 3), (EARLY_TUESDAY, 2)):
        for n in range(count):
            await repos.members.record_message(a.id, users[1].id, when + timedelta(minutes=n))
    await repos.members.record_message(b.id, users[3].id, EARLY_TUESDAY)
    entry = await repos.faq.add("退款多久到账", "3 个工作日", at)
    await repos.faq.record_answer(
        entry.id, LATE_MONDAY, question="q", confidence=0.9, via="group", chat_id=a.id
    )
    await repos.faq.record_answer(
        entry.id, EARLY_TUESDAY, question="q", confidence=0.6, via="suggestion", chat_id=a.id
    )
    await repos.faq.record_miss("没答上", "unanswered", EARLY_TUESDAY, chat_id=b.id)
    await repos.points.apply(a.id, users[1].id, 10, "message", "m1", LATE_MONDAY)
    await repos.points.apply(a.id, users[1].id, 5, "checkin", "c1", EARLY_TUESDAY)
    await repos.points.apply(a.id, users[1].id, -8, "redeem", "r1", EARLY_TUESDAY)
    await repos.figures.count_points_earned(NOW)  # the sweep counting points earned
    ticket, _, _ = await repos.tickets.open_or_append(
        a.id, users[1].id, "general", "太慢了", "high", LATE_MONDAY
    )
    await repos.tickets.replied(
        ticket.id, users[3].id, "在处理", LATE_MONDAY + timedelta(minutes=20)
    )
    await repos.tickets.open_or_append(
        b.id, users[3].id, "general", "骗子", "crisis", EARLY_TUESDAY
    )
    return a.id, b.id


async def test_figures_are_counted_by_local_day_on_both_backends(storage: Storage) -> None:
    async with storage.transaction() as repos:
        a, b = await seed(repos)
    start, end = PERIOD.start, PERIOD.end
    async with storage.transaction() as repos:
        figures = repos.figures
        counted = await figures.hourly(start, end, SHANGHAI, None)
        assert counted["joins"] == {"2026-11-24": 1, "2026-11-30": 1, "2026-12-01": 2}
        assert counted["leaves"] == {"2026-12-01": 1}
        assert counted["messages"] == {"2026-11-30": 3, "2026-12-01": 3}
        # Spending is not earning.
        assert counted["points"] == {"2026-11-30": 10, "2026-12-01": 5}
        of_b = await figures.hourly(start, end, SHANGHAI, b)
        assert (of_b["joins"], of_b["leaves"]) == ({"2026-12-01": 1}, {})
        assert (await figures.hourly(start, end, SHANGHAI, a))["messages"] == {
            "2026-11-30": 3,
            "2026-12-01": 2,
        }
        assert await figures.members_present(None) == 3
        assert await figures.members_present(a) == 2
        assert await figures.newcomers(start, end, SHANGHAI, None, (3, 7, 14)) == {
            "2026-11-24": (1, 0, 1, 1),
            "2026-11-30": (1, 1, 1, 1),
            "2026-12-01": (2, 0, 0, 0),
        }
        given, offered, missed = await figures.faq(start, end, SHANGHAI, None)
        assert (given.get("2026-11-30"), offered.get("2026-12-01"), missed) == (
            1,
            1,
            {"2026-12-01": 1},
        )
        charts = {c.key: c for c in await overview(repos, PERIOD, EscalationSettings(), NOW)}
    weeks = ("2026-11-23", "2026-11-30")
    members = charts["members"]
    assert members.labels == weeks
    values = {s.name: s.values for s in members.series}
    assert values["joins"] == (1.0, 3.0) and values["leaves"] == (0.0, 1.0)
    # Headcount at each week's end: 3 now; the week of the 23rd ended with 1.
    assert values["members"] == (1.0, 3.0)
    funnel = {s.name: s.values for s in charts["funnel"].series}
    # Week of the 23rd: one newcomer, who took part after 5 days; week of the 30th:
    # three, one of them within the hour.
    assert funnel["activated_3"] == (0.0, 33.3)
    assert funnel["activated_7"] == (100.0, 33.3)
    tickets = {s.name: s.values for s in charts["tickets"].series}
    assert tickets["severity_high"] == (0.0, 1.0) and tickets["severity_crisis"] == (0.0, 1.0)
    assert charts["response_time"].series[0].values == (None, 20.0)
    # The crisis ticket went unanswered past its target: one of two in time.
    assert charts["response"].series[0].values == (None, 50.0)
    assert charts["messages"].labels[0] == "2026-11-23" and len(charts["messages"].labels) == 11
    rows = as_csv_rows(charts["points"], {"points": "积分"})
    assert rows == [["date", "积分"], ["2026-11-23", "0"], ["2026-11-30", "15"]]


async def test_the_upgrade_counts_what_happened_before_the_counters(storage: Storage) -> None:
    """Points earned and joins and leaves recorded before the hourly counters existed
    are counted into them by the migration that adds them (messages were not kept)."""
    await downgrade_to(storage, "0012")
    async with storage.engine.begin() as db:
        await db.execute(
            text(
                "INSERT INTO chats (id, platform, external_id, kind, title, bot_status, "
                "created_at, updated_at, onboarding_enabled) VALUES "
                "(1, 'telegram', '-1', 'group', 'A', 'admin', :at, :at, true)"
            ),
            {"at": LATE_MONDAY},
        )
        await db.execute(
            text(
                "INSERT INTO users (id, platform, external_id, display_name, is_bot, "
                "created_at, updated_at) VALUES (1, 'telegram', '1', 'u', false, :at, :at)"
            ),
            {"at": LATE_MONDAY},
        )
        for kind, at in (("member_joined", LATE_MONDAY), ("member_joined", EARLY_TUESDAY),
                         ("member_left", EARLY_TUESDAY)):  # fmt: skip
            await db.execute(
                text(
                    "INSERT INTO event_log (chat_id, user_id, kind, payload, occurred_at) "
                    "VALUES (1, 1, :kind, '{}', :at)"
                ),
                {"kind": kind, "at": at},
            )
        entries = ((10, "message", "a"), (4, "refund", "b"), (-3, "redeem", "c"), (6, "given", "d"))
        for amount, reason, source in entries:
            await db.execute(
                text(
                    "INSERT INTO points_ledger (chat_id, user_id, amount, reason, source, "
                    "created_at) VALUES (1, 1, :amount, :reason, :source, :at)"
                ),
                {"amount": amount, "reason": reason, "source": source, "at": EARLY_TUESDAY},
            )
    await upgrade(storage.engine)
    async with storage.transaction() as repos:
        assert await repos.figures.count_points_earned(NOW) == 4  # the ledger's rows, read
        counted = await repos.figures.hourly(PERIOD.start, PERIOD.end, SHANGHAI, None)
    assert counted["joins"] == {"2026-11-30": 1, "2026-12-01": 1}
    assert counted["leaves"] == {"2026-12-01": 1}
    assert counted["points"] == {"2026-12-01": 16}
    assert counted["messages"] == {}


async def downgrade_to(storage: Storage, revision: str) -> None:
    def run(connection: Any) -> None:
        config = alembic_config()
        config.attributes["connection"] = connection
        command.downgrade(config, revision)

    async with storage.engine.begin() as connection:
        await connection.run_sync(run)


async def test_points_earned_are_counted_once_and_never_ahead_of_an_open_write(
    storage: Storage,
) -> None:
    """The sweep counts ledger rows once; a row written too recently to be sure every
    lower id has committed stops it there until the next sweep."""
    async with storage.transaction() as repos:
        a, _ = await seed(repos)
        user = await repos.users.get("telegram", "2")
        assert user is not None
        later = EARLY_TUESDAY + timedelta(minutes=30)
        await repos.points.apply(a, user.id, 7, "topic", "t1", later)
        await repos.points.apply(a, user.id, 3, "checkin", "c2", EARLY_TUESDAY)
    async with storage.transaction() as repos:
        # Settled only before the topic award: the check-in after it waits too.
        assert await repos.figures.count_points_earned(later) == 0
        assert await repos.figures.count_points_earned(later + timedelta(seconds=1)) == 2
        assert await repos.figures.count_points_earned(NOW) == 0  # nothing new
        counted = await repos.figures.hourly(PERIOD.start, PERIOD.end, SHANGHAI, None)
    assert counted["points"] == {"2026-11-30": 10, "2026-12-01": 15}
