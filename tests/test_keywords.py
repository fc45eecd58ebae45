"""Keywords members type instead of slash commands (签到, ``投诉 退款还没到``), through
the real dispatcher and an SQLite file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bot.app import build_app
from bot.settings import ConfigError
from handlers.actions import NotifyStaff, SendPrivate
from handlers.clock import ManualClock
from handlers.commands import CommandText
from handlers.features import build_router
from handlers.keywords import DEFAULT_KEYWORDS, Keywords, KeywordSettings
from handlers.points.settings import PointsSettings
from storage.database import Storage
from tests.chat_harness import Chat, said
from tests.conftest import make_settings
from tests.helpers import joined, person
from tests.test_points import MONDAY, balance

ALICE = person("1", "Alice")


@pytest.fixture
def keywords() -> Keywords:
    return Keywords(KeywordSettings().effective())


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("签到", CommandText("checkin", "")),
        ("  签到  ", CommandText("checkin", "")),
        ("投诉 退款三周了还没到账", CommandText("complain", "退款三周了还没到账")),
        ("投诉　退款三周了还没到账", CommandText("complain", "退款三周了还没到账")),  # full width
        ("投诉：退款三周了还没到账", CommandText("complain", "退款三周了还没到账")),
        ("兑换 mug", CommandText("redeem", "mug")),
        ("积分怎么算？", None),  # a question for the FAQ, not /points
        ("我想投诉", None),  # the keyword must come first
        ("", None),
    ],
)
def test_a_message_starting_with_a_keyword_is_its_command(
    keywords: Keywords, text: str, expected: CommandText | None
) -> None:
    assert keywords.command_in(text) == expected


def test_operators_add_remove_and_turn_off_keywords() -> None:
    settings = KeywordSettings(aliases={"打卡": "", "ＨＥＬＰ": "help", "冒泡": "checkin"})
    keywords = Keywords(settings.effective())
    assert keywords.command_in("打卡") is None  # removed
    assert keywords.command_in("help") == CommandText("help", "")  # folded
    assert keywords.command_in("冒泡") == CommandText("checkin", "")
    assert Keywords(KeywordSettings(enabled=False).effective()).command_in("签到") is None
    with pytest.raises(ValueError, match="without '/'"):
        KeywordSettings(aliases={"签到": "/checkin"})
    with pytest.raises(ValueError, match="one word"):
        KeywordSettings(aliases={"签 到": "checkin"})


def test_a_keyword_for_no_command_is_a_config_error(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, keywords={"aliases": {"冒泡": "bubble"}})
    with pytest.raises(ConfigError, match="'冒泡' names no command /bubble"):
        build_app(settings)
    # A built-in keyword for a feature that is not there is simply not used.
    router = build_router()  # no FAQ library: no /ask
    assert DEFAULT_KEYWORDS["提问"] == "ask" and "提问" not in router.keywords.aliases
    assert router.keywords.aliases["签到"] == "checkin"


@pytest.fixture
async def chat(tmp_path: Path, sqlite_storage: Storage) -> Chat:
    settings = make_settings(
        tmp_path,
        community={"staff": ["testnet:900"]},
        onboarding={"enabled": False},
        faq={"enabled": False},
    )
    app = build_app(settings, clock=ManualClock(start=MONDAY), storage=sqlite_storage)
    await app.prepare()
    c = Chat(app)
    await c.send(joined(c.now, ALICE))
    return c


async def test_members_check_in_and_look_up_points_by_keyword(chat: Chat) -> None:
    assert "签到成功" in said(await chat.say(ALICE, "签到"))
    assert "已经签过到了" in said(await chat.say(ALICE, "打卡"))
    assert await balance(chat, ALICE) == PointsSettings().checkin_points
    assert str(PointsSettings().checkin_points) in said(await chat.say(ALICE, "积分"))


async def test_a_complaint_by_keyword_opens_a_ticket_with_its_text(chat: Chat) -> None:
    actions = await chat.say(ALICE, "投诉　退款三周了还没到账")
    cards = [action for action in actions if isinstance(action, NotifyStaff)]
    assert len(cards) == 1 and "退款三周了还没到账" in str(cards[0].text)


async def test_an_answer_to_the_bot_stays_text(chat: Chat) -> None:
    """A reply to the bot's own message (a prompt, a card) is an answer, not a command."""
    actions = await chat.say(ALICE, "签到", reply_to_bot=True)
    assert "签到成功" not in said(actions)
    assert await balance(chat, ALICE) == 0


async def test_help_names_the_keywords(chat: Chat) -> None:
    actions = await chat.say(ALICE, "帮助")
    text = said([action for action in actions if isinstance(action, SendPrivate)])
    assert "/checkin" in text and "直接发关键词" in text and "签到" in text


def test_keywords_are_in_the_settings(tmp_path: Path) -> None:
    settings: Any = make_settings(tmp_path, keywords={"enabled": False})
    assert settings.keywords.enabled is False
