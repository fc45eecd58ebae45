"""The staff loop over the Telegram channel, in process so the clock can move:
a card the staff chat refused is posted again, reminders and the breach come
once each across a restart (the breach in the leads' chat), staff answer by
replying to the card, a member who blocked the bot is answered in the group
with a mention, and the member answers back by replying."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from markupsafe import Markup

from bot.app import App, build_app
from bot.channels.telegram.channel import TelegramChannel
from bot.runtime import SweepJob
from handlers.actions import SendMessage
from handlers.clock import ManualClock
from handlers.events import ChatKind, ChatRef
from tests.conftest import make_settings
from tests.fake_telegram.server import FakeBotApi

GROUP, STAFF, LEADS = -1001234567890123, -1009000, -1009001
MOD = {"id": 4242, "is_bot": False, "first_name": "Mod", "username": "moderator"}
ALICE = {"id": 5151, "is_bot": False, "first_name": "<b>Alice</b>", "language_code": "zh-hans"}

Running = tuple[App, TelegramChannel]


@pytest.fixture
async def fake() -> AsyncIterator[FakeBotApi]:
    api = FakeBotApi()
    await api.start()
    api.add_chat(GROUP, "supergroup", "Shequn 群")
    api.add_chat(STAFF, "supergroup", "Staff")
    api.add_chat(LEADS, "supergroup", "Leads")
    api.set_admins(GROUP, owner=MOD)
    yield api
    await api.stop()


@pytest.fixture
async def launch(
    fake: FakeBotApi, tmp_path: Path
) -> AsyncIterator[Callable[[], Awaitable[Running]]]:
    clock = ManualClock(start=datetime.now(UTC))
    running: list[Running] = []

    async def start() -> Running:
        settings = make_settings(
            tmp_path,
            telegram={
                "token": fake.token,
                "base_url": fake.base_url,
                "poll_timeout": 0,
                "staff_chat_id": STAFF,
                "leads_chat_id": LEADS,
            },
            community={"staff": [f"telegram:{MOD['id']}"]},
            escalation={"staff_hours": "", "leads": ["@lead_wang"]},
            onboarding={"enabled": False},
        )
        app = build_app(settings, clock=clock)
        await app.prepare()
        token = settings.telegram_token
        assert token is not None
        channel = TelegramChannel(
            settings.telegram, token, app.dispatcher, app.texts, app.router, settings.staff
        )
        await channel.start()
        running.append((app, channel))
        return app, channel

    yield start
    for app, channel in running:
        await stop((app, channel))


async def stop(running: Running) -> None:
    app, channel = running
    if channel.application.running:
        await channel.stop()
        await app.close()


async def sweep(running: Running, minutes: float) -> None:
    """Move the clock and run the scheduler's job once, as the runtime does."""
    app, channel = running
    app.clock.advance(timedelta(minutes=minutes))  # type: ignore[attr-defined]
    await SweepJob(app, channel.execute).run()


async def wait_for(fake: FakeBotApi, chat: int, needle: str, count: int = 1) -> list[dict]:
    for _ in range(500):
        found = [m for m in fake.sent_messages(chat) if needle in m["text"]]
        if len(found) >= count:
            return found
        await asyncio.sleep(0.02)
    raise AssertionError(f"{needle!r} never reached {chat}: {fake.sent_messages(chat)}")


async def history_until(app: App, ticket_id: int, done: Callable[[list[str]], bool]) -> list[str]:
    """The ticket's history once ``done`` holds for it (or after five seconds)."""
    kinds: list[str] = []
    for _ in range(250):
        async with app.storage.transaction() as repos:
            kinds = [event.kind for event in await repos.tickets.history(ticket_id)]
        if done(kinds):
            break
        await asyncio.sleep(0.02)
    return kinds


def said(fake: FakeBotApi, chat: int, needle: str) -> list[dict]:
    return [m for m in fake.sent_messages(chat) if needle in m["text"]]


async def test_the_staff_loop_over_telegram_across_a_restart(
    fake: FakeBotApi, launch: Callable[[], Awaitable[Running]]
) -> None:
    fake.mark_started(MOD["id"])
    fake.push_update(fake.message_update(ALICE["id"], ALICE, "/start"))  # Alice opened a chat…
    first = await launch()
    await wait_for(fake, ALICE["id"], "")
    fake.block(ALICE["id"])  # … and then blocked the bot
    fake.kick_bot(STAFF)  # the staff chat cannot be reached
    complaint = fake.message_update(GROUP, ALICE, "/complain 课件一直下载不了，怎么回事！")
    fake.push_update(complaint)
    await wait_for(fake, GROUP, "工单 #1")
    fake.push_update(fake.message_update(MOD["id"], MOD, "/tickets"))
    listing = await wait_for(fake, MOD["id"], "未解决的工单")
    assert "#1" in listing[0]["text"]  # stored and visible although the card never went out
    assert said(fake, STAFF, "工单 #1") == []

    fake.restore_bot(STAFF)
    await sweep(first, 1.5)
    [card] = await wait_for(fake, STAFF, "工单 #1")
    assert "补发" in card["text"] and "&lt;b&gt;Alice&lt;/b&gt;" in card["text"]
    link = f"https://t.me/c/{str(GROUP)[4:]}/{complaint['message']['message_id']}"
    assert f'<a href="{link}">Shequn 群</a>' in card["text"]  # the member's own message
    assert card["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "esc:claim:1"

    await stop(first)
    second = await launch()  # a restart: same database, the clock keeps moving
    await sweep(second, 59)  # an hour into the 2-hour target: the reminder, in the staff chat
    await wait_for(fake, STAFF, "还剩")
    await sweep(second, 61)  # past the target: the breach, in the leads' chat
    [breach] = await wait_for(fake, LEADS, "已超过120分钟")
    assert "@lead_wang" in breach["text"]
    await sweep(second, 30)
    assert len(said(fake, STAFF, "还剩")) == 1 and len(said(fake, LEADS, "已超过")) == 1
    assert said(fake, STAFF, "补发") == [card]  # the card was not posted a second time

    # Staff answer by replying to the card; Alice blocked the bot, so the answer
    # comes in the group with a mention, and the ticket's history says so.
    fake.push_update(
        fake.message_update(STAFF, MOD, "换个浏览器试试 <i>Chrome</i>", reply_to=card["message_id"])
    )
    [answer] = await wait_for(fake, GROUP, "工作人员回复（工单 #1）")
    assert "tg://user?id=5151" in answer["text"] and "&lt;i&gt;Chrome&lt;/i&gt;" in answer["text"]
    await wait_for(fake, STAFF, "已发送给成员（工单 #1）")
    for _ in range(250):  # the card is edited right after: it shows the state now
        edited = fake.chats[STAFF].messages[card["message_id"]]["text"]
        if "状态：待成员回复" in edited:
            break
        await asyncio.sleep(0.02)
    assert "状态：待成员回复 · 处理人：Mod" in edited
    # Answered, the ticket is Mod's: the edited card offers no 🙋 Claim any more.
    keyboard = fake.chats[STAFF].messages[card["message_id"]]["reply_markup"]["inline_keyboard"]
    assert [[b["callback_data"] for b in row] for row in keyboard] == [
        ["esc:reply:1"], ["esc:resolve:1", "esc:escalate:1"],
    ]  # fmt: skip
    fake.push_update(fake.message_update(GROUP, ALICE, "好了，谢谢", reply_to=answer["message_id"]))
    await wait_for(fake, GROUP, "已补充到工单 #1")
    await wait_for(fake, STAFF, "回复了：好了，谢谢")
    # The Reply button claims the ticket and opens the reply box for whoever pressed it.
    reply_button = card["reply_markup"]["inline_keyboard"][0][0]  # on the card as edited
    fake.push_update(
        fake.callback_query_update(STAFF, MOD, card["message_id"], reply_button["callback_data"])
    )
    [prompt] = await wait_for(fake, STAFF, "直接回复这条消息")
    assert prompt["_requested_markup"] == {"force_reply": True, "selective": True}
    assert "tg://user?id=4242" in prompt["text"]  # the staff member it is for
    fake.push_update(
        fake.message_update(STAFF, MOD, "已为你延长有效期", reply_to=prompt["message_id"])
    )
    await wait_for(fake, GROUP, "已为你延长有效期")
    app, _ = second
    # The channel reports how the answer went right after posting it: wait for the record.
    kinds = await history_until(app, 1, lambda kinds: len(kinds) >= 7)
    async with app.storage.transaction() as repos:
        ticket = await repos.tickets.get(1)
    assert kinds == [
        "opened", "breached", "replied", "delivered_in_group", "appended", "replied",
        "delivered_in_group",
    ]  # fmt: skip
    assert ticket is not None and ticket.status == "waiting" and ticket.breached_at is not None


async def test_one_bad_action_never_drops_the_rest_of_the_batch(
    fake: FakeBotApi, launch: Callable[[], Awaitable[Running]]
) -> None:
    """An action Telegram cannot even be asked about (a sandbox chat id is no number)
    fails alone: its receipt says why, and the actions after it go out."""
    _, channel = await launch()
    sandbox_chat = ChatRef("telegram", "sandbox-group", ChatKind.GROUP)
    group = ChatRef("telegram", str(GROUP), ChatKind.GROUP)
    receipts = await channel.execute(
        [
            SendMessage(chat=sandbox_chat, text=Markup("迷路的消息"), deliveries=(1,)),
            SendMessage(chat=group, text=Markup("照常送达"), deliveries=(2,)),
        ]
    )
    assert [(r.deliveries, r.ok) for r in receipts] == [((1,), False), ((2,), True)]
    assert receipts[0].error is not None and receipts[0].error.startswith("ValueError: ")
    assert [m["text"] for m in fake.sent_messages(GROUP)] == ["照常送达"]
