"""Members' data rights through the real dispatcher, on SQLite and PostgreSQL: ``/mydata``
shows what is kept about the whole person, ``/forgetme`` asks first and then anonymises
every linked account everywhere while the points ledger still sums to every balance;
old texts are purged on schedule; staff export and forget from the command line."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from handlers.clock import ManualClock
from storage.database import Storage
from storage.models import EventLog, FaqMiss, Ticket, TicketEvent, User
from tests.chat_harness import Chat, said
from tests.helpers import GROUP, private_chat
from tests.test_linking import ALICE, ALICE_WX, BOB, WX_PRIVATE, chat_for, code_for, link_wechat
from tests.test_points_cli import Cli, _database


@pytest.fixture
def clock() -> ManualClock:
    from tests.test_linking import MONDAY

    return ManualClock(start=MONDAY)


@pytest.fixture
async def chat(tmp_path: Path, storage: Storage, clock: ManualClock) -> Chat:
    return await chat_for(tmp_path, storage, clock, scope="community")


async def texts_in_database(chat: Chat) -> str:
    """Every name and text the database holds about people, as one string."""
    async with chat.app.storage.engine.connect() as db:
        names = (await db.execute(select(User.display_name, User.username))).all()
        tickets = (await db.execute(select(Ticket.text))).scalars().all()
        history = (await db.execute(select(TicketEvent.text))).scalars().all()
        misses = (await db.execute(select(FaqMiss.text))).scalars().all()
    return repr([names, tickets, history, misses])


async def test_mydata_shows_the_whole_person_privately(chat: Chat) -> None:
    await chat.cmd(ALICE, "/checkin")
    await chat.cmd(ALICE, "/complain 退款三周了还没到账")
    await link_wechat(chat, await code_for(chat))
    shown = said(await chat.cmd(ALICE, "/mydata", private_chat(ALICE)))
    assert "Alice" in shown and "小王" in shown  # both accounts of the person
    assert "工单1张" in shown and "积分余额5" in shown
    assert "/forgetme" in shown
    assert "私聊" in said(await chat.cmd(ALICE, "/mydata", GROUP))  # never in the group
    assert "Alice" in said(await chat.say(ALICE_WX, "我的数据", WX_PRIVATE))


async def test_forgetme_asks_then_anonymises_every_linked_account(chat: Chat) -> None:
    await chat.cmd(ALICE, "/checkin")
    await chat.cmd(ALICE, "/complain 退款三周了还没到账，客服也不回")
    await link_wechat(chat, await code_for(chat))
    async with chat.app.storage.transaction() as repos:
        alice = await repos.users.get(ALICE.platform, ALICE.id)
        assert alice is not None
        question = "Alice 的会员卡号是 8888 吗"
        await repos.faq.record_miss(question, "unanswered", chat.now, user_id=alice.id)

    asked = said(await chat.cmd(ALICE, "/forgetme", private_chat(ALICE)))
    assert "无法撤销" in asked and "/forgetme 确认" in asked
    assert "Alice" in await texts_in_database(chat)  # nothing happened yet

    done = said(await chat.cmd(ALICE, "/forgetme　ＣＯＮＦＩＲＭ", private_chat(ALICE)))
    assert "已删除" in done
    held = await texts_in_database(chat)
    for trace in ("Alice", "小王", "退款三周", "8888"):
        assert trace not in held
    async with chat.app.storage.transaction() as repos:
        assert await repos.users.get(ALICE.platform, ALICE.id) is None
        assert await repos.users.get(ALICE_WX.platform, ALICE_WX.id) is None
        assert await repos.users.get(BOB.platform, BOB.id) is not None  # others untouched
        assert await repos.points.ledger_sums() == await repos.points.balances()
        ticket = await repos.tickets.get(1)
        assert ticket is not None and ticket.status == "resolved" and ticket.text == ""
    async with chat.app.storage.engine.connect() as db:
        audit = (
            (await db.execute(select(EventLog.payload).where(EventLog.kind == "member_forgotten")))
            .scalars()
            .all()
        )
    assert len(audit) == 1 and audit[0]["by"] == "self" and "Alice" not in json.dumps(audit)

    # Writing again: a new member with nothing of the old one; a repeat forgets nothing more.
    again = said(await chat.cmd(ALICE, "/points"))
    assert "可用积分：0" in again
    assert "已删除" in said(await chat.cmd(ALICE, "/forgetme 确认", private_chat(ALICE)))
    async with chat.app.storage.transaction() as repos:
        assert await repos.privacy.forgotten() == 3  # Alice, 小王, then the new Alice
        assert await repos.points.ledger_sums() == await repos.points.balances()


async def test_forgetme_without_the_confirmation_word_changes_nothing(chat: Chat) -> None:
    await chat.cmd(ALICE, "/checkin")
    for typed in ("/forgetme", "/forgetme 好的", "/forgetme 确认删除吧"):
        assert "无法撤销" in said(await chat.cmd(ALICE, typed, private_chat(ALICE)))
    async with chat.app.storage.transaction() as repos:
        assert await repos.users.get(ALICE.platform, ALICE.id) is not None
        assert await repos.privacy.forgotten() == 0


async def test_old_texts_are_purged_but_ongoing_tickets_keep_theirs(
    chat: Chat, clock: ManualClock
) -> None:
    await chat.cmd(ALICE, "/complain 退款三周了还没到账")
    await chat.cmd(BOB, "/complain 课程链接打不开，你们到底管不管")
    async with chat.app.storage.transaction() as repos:
        bob = await repos.users.get(BOB.platform, BOB.id)
        assert bob is not None
        await repos.tickets.resolve(1, bob.id, chat.now)
        await repos.faq.record_miss("会员卡怎么退", "unanswered", chat.now)
    clock.advance(timedelta(days=179))
    await chat.sweep()
    assert "退款三周" in await texts_in_database(chat)  # within the 180 days
    clock.advance(timedelta(days=2))
    await chat.sweep()
    held = await texts_in_database(chat)
    assert "退款三周" not in held and "会员卡怎么退" not in held
    assert "课程链接" in held  # still open: staff need it
    async with chat.app.storage.transaction() as repos:
        ticket = await repos.tickets.get(1)
        assert ticket is not None and ticket.status == "resolved"  # the figures stay


async def test_a_ticket_settled_after_months_keeps_its_texts_for_the_term_after(
    chat: Chat, clock: ManualClock
) -> None:
    """The term runs from when a ticket was resolved, not opened: one open for 200
    days and then resolved keeps its texts (a reply within 7 days reopens it)."""
    await chat.cmd(ALICE, "/complain 退款三周了还没到账")
    clock.advance(timedelta(days=200))
    async with chat.app.storage.transaction() as repos:
        bob = await repos.users.get(BOB.platform, BOB.id) or await repos.users.upsert(
            BOB.platform, BOB.id, display_name="Bob", username=None, language=None,
            is_bot=False, at=chat.now,
        )  # fmt: skip
        await repos.tickets.resolve(1, bob.id, chat.now)
    await chat.sweep()
    assert "退款三周" in await texts_in_database(chat)
    clock.advance(timedelta(days=181))
    await chat.sweep()
    assert "退款三周" not in await texts_in_database(chat)


def test_staff_export_and_forget_from_the_command_line(run: Cli, tmp_path: Path) -> None:
    assert run("db", "upgrade")[0] == 0

    async def fill() -> None:
        storage = _database(tmp_path)
        try:
            async with storage.transaction() as repos:
                now = datetime.now(UTC)
                chat = await repos.chats.upsert(
                    "telegram", "-1", kind="group", title="读书群", at=now
                )
                alice = await repos.users.upsert(
                    "telegram", "1", display_name="Alice", username="alice", language=None,
                    is_bot=False, at=now,
                )  # fmt: skip
                await repos.points.apply(chat.id, alice.id, 5, "checkin", "c1", now)
        finally:
            await storage.close()

    asyncio.run(fill())
    code, out = run("accounts", "export", "telegram:1")
    assert code == 0
    data = json.loads(out)
    assert data["accounts"][0]["name"] == "Alice" and data["points"][0]["balance"] == 5
    assert data["points"][0]["chat"] == "读书群"
    target = tmp_path / "alice.json"
    assert run("accounts", "export", "telegram:1", "--out", str(target)) == (
        0,
        f"written to {target}\n",
    )
    assert json.loads(target.read_text("utf-8")) == data
    assert run("accounts", "forget", "telegram:1")[0] == 1  # asked, not confirmed
    code, out = run("accounts", "forget", "telegram:1", "--yes")
    assert code == 0 and out.startswith("forgotten: accounts 1")
    assert run("accounts", "export", "telegram:1") == (1, "no account telegram:1 is known\n")
    assert run("accounts", "forget", "telegram:1", "--yes")[0] == 1
    assert run("accounts", "export", "nocolon")[0] == 2
    assert run("points", "verify")[0] == 0
