"""The fake Bot API must fail like Telegram does, or the end-to-end tests prove nothing."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest
from telegram import Bot
from telegram.error import BadRequest, Conflict, Forbidden, InvalidToken, RetryAfter

from tests.fake_telegram import (
    FakeBotApi,
    FakeBotApiThread,
    HtmlEntityError,
    validate_telegram_html,
)

GROUP = -1001234567890


def seconds(error: RetryAfter) -> float:
    value = error.retry_after
    return value.total_seconds() if hasattr(value, "total_seconds") else float(value)


@pytest.fixture
async def fake() -> AsyncIterator[FakeBotApi]:
    api = FakeBotApi()
    await api.start()
    api.add_chat(GROUP, "supergroup", "Group")
    yield api
    await api.stop()


@pytest.fixture
async def bot(fake: FakeBotApi) -> AsyncIterator[Bot]:
    client = Bot(fake.token, base_url=f"{fake.base_url}/bot")
    async with client:
        yield client


@pytest.mark.parametrize(
    "text",
    [
        "<b>ok</b> &amp; &lt;x&gt; &quot; &#39; &#x1F600;",
        '<a href="tg://user?id=1">n</a>',
        '<span class="tg-spoiler">s</span>',
        "<pre><code>x</code></pre>",
        "plain",
    ],
)
def test_valid_html(text: str) -> None:
    validate_telegram_html(text)


@pytest.mark.parametrize(
    "text",
    [
        "<foo>x</foo>",
        "<b>x",
        "x</b>",
        "a & b",
        "&nbsp;",
        "<a>x</a>",
        "<b><i>x</b></i>",
        '<a href="x"><a href="y">z</a></a>',
        "<span>x</span>",
        "1 < 2",
    ],
)
def test_invalid_html(text: str) -> None:
    with pytest.raises(HtmlEntityError):
        validate_telegram_html(text)


async def test_get_me_and_wrong_token(fake: FakeBotApi, bot: Bot) -> None:
    me = await bot.get_me()
    assert me.username == "shequn_test_bot" and me.can_read_all_group_messages is False
    with pytest.raises(InvalidToken):
        async with Bot("999:wrong", base_url=f"{fake.base_url}/bot") as stranger:
            await stranger.get_me()


async def test_html_and_length_limits(bot: Bot) -> None:
    with pytest.raises(BadRequest, match=r"(?i)can't parse entities"):
        await bot.send_message(GROUP, "<b>open", parse_mode="HTML")
    await bot.send_message(GROUP, "🙂" * 2048)  # 4,096 UTF-16 units: the limit
    with pytest.raises(BadRequest, match=r"(?i)message is too long"):
        await bot.send_message(GROUP, "🙂" * 2048 + "x")
    with pytest.raises(BadRequest, match=r"(?i)text is empty"):
        await bot.send_message(GROUP, "<b> </b>", parse_mode="HTML")


async def test_private_chat_needs_start(fake: FakeBotApi, bot: Bot) -> None:
    with pytest.raises(Forbidden, match=r"(?i)can't initiate conversation"):
        await bot.send_message(42, "hi")
    fake.mark_started(42)
    await bot.send_message(42, "hi")
    fake.block(42)
    with pytest.raises(Forbidden, match=r"(?i)blocked"):
        await bot.send_message(42, "hi")


async def test_flood_answers_429_with_retry_after(fake: FakeBotApi, bot: Bot) -> None:
    for index in range(20):
        await bot.send_message(GROUP, f"m{index}")
    with pytest.raises(RetryAfter) as error:
        await bot.send_message(GROUP, "one too many")
    assert seconds(error.value) >= 1
    fake.set_flood_limits(enabled=False)
    fake.force_flood(retry_after=3)
    with pytest.raises(RetryAfter) as error:
        await bot.send_message(GROUP, "forced")
    assert seconds(error.value) == 3
    await bot.send_message(GROUP, "after")


async def test_long_polling(fake: FakeBotApi, bot: Bot) -> None:
    started = time.monotonic()
    assert await bot.get_updates(timeout=0.3) == ()
    assert time.monotonic() - started >= 0.25
    user = fake.make_user(7, "Ann")

    async def push_later() -> None:
        await asyncio.sleep(0.1)
        fake.push_update(fake.message_update(GROUP, user, "hello"))

    started = time.monotonic()
    pusher = asyncio.create_task(push_later())
    updates = await bot.get_updates(timeout=5, allowed_updates=["message", "chat_member"])
    await pusher
    assert time.monotonic() - started < 2
    assert [u.message.text for u in updates] == ["hello"]
    assert fake.allowed_updates == ["message", "chat_member"]
    assert len(await bot.get_updates(offset=updates[0].update_id + 1, timeout=0)) == 0


async def test_getupdates_conflicts_with_webhook(bot: Bot) -> None:
    await bot.set_webhook("https://example.invalid/hook", secret_token="s")
    with pytest.raises(Conflict):
        await bot.get_updates()


async def test_callback_data_limit_and_admins(fake: FakeBotApi, bot: Bot) -> None:
    from telegram import InlineKeyboardButton, InlineKeyboardMarkup

    markup = InlineKeyboardMarkup([[InlineKeyboardButton("x", callback_data="d" * 65)]])
    with pytest.raises(BadRequest, match=r"(?i)button_data_invalid"):
        await bot.send_message(GROUP, "pick", reply_markup=markup)
    owner, admin = fake.make_user(1, "Owner"), fake.make_user(2, "Admin")
    fake.set_admins(GROUP, owner=owner, admins=[admin])
    members = await bot.get_chat_administrators(GROUP)
    assert [m.status for m in members] == ["creator", "administrator"]


def test_threaded_fake_from_sync_code() -> None:
    with FakeBotApiThread() as fake:
        fake.add_chat(GROUP)
        fake.push_update(fake.message_update(GROUP, fake.make_user(3, "Sync"), "/rules"))
        assert len(fake.wait_for_messages(0, timeout=0)) == 0
        assert fake.base_url.startswith("http://127.0.0.1:")
