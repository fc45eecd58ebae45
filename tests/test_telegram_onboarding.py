"""Onboarding over the Telegram channel across days and restarts, in process so the
clock can move: members who never started the bot (most of a group) are reached on
day 3, 7 and 14 in the group, one message per day naming them, with the t.me link
that opens the private chat — through the fake Bot API's HTML and length checks."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.app import App, build_app
from bot.channels.telegram.channel import TelegramChannel
from bot.runtime import SweepJob
from handlers.clock import ManualClock
from tests.conftest import make_settings
from tests.fake_telegram.server import FakeBotApi

GROUP = -1001234567890777
MOD = {"id": 4242, "is_bot": False, "first_name": "Mod", "username": "moderator"}
ALICE = {"id": 5151, "is_bot": False, "first_name": "<b>Alice</b>"}
BOB = {"id": 6161, "is_bot": False, "first_name": "Bob"}
CAROL = {"id": 7171, "is_bot": False, "first_name": "Carol"}

Running = tuple[App, TelegramChannel]


@pytest.fixture
async def fake() -> AsyncIterator[FakeBotApi]:
    api = FakeBotApi()
    await api.start()
    api.add_chat(GROUP, "supergroup", "Shequn 群")
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
        for app, channel in running:  # a restart: the previous process is gone
            if channel.application.running:
                await channel.stop()
                await app.close()
        settings = make_settings(
            tmp_path,
            telegram={"token": fake.token, "base_url": fake.base_url, "poll_timeout": 0},
            onboarding={
                "quiet_hours": "",
                "essential_content": [{"title": "新手指南", "url": "https://example.com/start"}],
            },
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
        if channel.application.running:
            await channel.stop()
            await app.close()


async def sweep(running: Running, days: float = 0) -> None:
    app, channel = running
    app.clock.advance(timedelta(days=days))  # type: ignore[attr-defined]
    await SweepJob(app, channel.execute).run()


async def texts_with(fake: FakeBotApi, needle: str, count: int = 1) -> list[str]:
    """Texts posted in the group containing ``needle``, once there are ``count``."""
    for _ in range(500):
        found = [m["text"] for m in fake.sent_messages(GROUP) if needle in m["text"]]
        if len(found) >= count:
            return found
        await asyncio.sleep(0.02)
    raise AssertionError(f"{needle!r} never reached the group: {fake.sent_messages(GROUP)}")


async def test_members_who_never_started_the_bot_are_reached_on_days_3_7_and_14(
    fake: FakeBotApi, launch: Callable[[], Awaitable[Running]]
) -> None:
    first = await launch()
    fake.push_update(fake.message_update(CAROL["id"], CAROL, "/start"))  # only Carol did
    for _ in range(250):
        if fake.sent_messages(CAROL["id"]):
            break
        await asyncio.sleep(0.02)
    fake.push_update(fake.new_chat_members_update(GROUP, [ALICE, BOB, CAROL]))
    for _ in range(250):  # polled by the channel; the welcome is due at once
        await sweep(first)
        if fake.sent_messages(GROUP):
            break
        await asyncio.sleep(0.02)
    await texts_with(fake, "欢迎")
    for days, words in ((3, "三天啦"), (7, "一周了"), (14, "两周了")):
        running = await launch()  # a new process on the same database, days later
        await sweep(running, days=days - (0 if days == 3 else (3 if days == 7 else 7)))
        [greeting] = await texts_with(fake, words)
        assert '<a href="tg://user?id=5151">&lt;b&gt;Alice&lt;/b&gt;</a>' in greeting
        assert '<a href="tg://user?id=6161">Bob</a>' in greeting and "Carol" not in greeting
        assert f'href="https://t.me/{fake.bot["username"]}?start=onboarding"' in greeting
        private = [m["text"] for m in fake.sent_messages(CAROL["id"]) if words in m["text"]]
        # A private message speaks to Carol by name: no mention link needed there.
        assert all(text.startswith("Carol") and "tg://" not in text for text in private)
        await sweep(running)  # the same day again: nothing twice
        assert len([m for m in fake.sent_messages(GROUP) if words in m["text"]]) == 1
    carol_steps = [m["text"] for m in fake.sent_messages(CAROL["id"])]
    assert any("精华内容" in text for text in carol_steps)  # day 7, privately
    assert any("两周" in text for text in carol_steps)  # day 14, privately
