"""The one command parser: full-width input, declared arguments, generated usage —
and the same parser on every channel (Telegram, the sandbox)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.app import App, build_app
from bot.channels.rendering import plain_text
from bot.channels.telegram.convert import to_incoming
from handlers.commands import (
    ArgumentError,
    MemberToken,
    member,
    number,
    parse_args,
    parse_command,
    parse_forms,
    text,
    word,
)
from handlers.events import CommandIssued, UserRef
from handlers.i18n import Catalog
from storage.database import Storage
from tests.chat_harness import Chat, said
from tests.conftest import make_settings
from tests.helpers import GROUP, PLATFORM, incoming, joined, person

MOD = person("42", "Mod")
ALICE = UserRef(PLATFORM, "1", "小明", username="xiaoming")


@pytest.mark.parametrize(
    ("typed", "name", "args", "addressed_to"),
    [
        ("/givepoints @小明 10 感谢", "givepoints", "@小明 10 感谢", None),
        ("／givepoints　@小明　１０　感谢", "givepoints", "@小明　１０　感谢", None),  # IME input
        ("／ｈｅｌｐ", "help", "", None),  # full-width letters too
        ("  /Help@Shequn_Bot  ", "help", "", "Shequn_Bot"),
        ("\u200b/checkin\u200b", "checkin", "", None),  # pasted from WeChat: zero-width
        ("\ufeff/givepoints @小明\u2060 10", "givepoints", "@小明 10", None),
        ("/ﬁx x", None, None, None),  # a ligature is not a command name
        ("hello /help", None, None, None),
        ("/", None, None, None),
    ],
)
def test_commands_are_read_as_people_type_them(
    typed: str, name: str | None, args: str | None, addressed_to: str | None
) -> None:
    parsed = parse_command(typed)
    if name is None:
        assert parsed is None
        return
    assert parsed is not None
    assert (parsed.name, parsed.args, parsed.addressed_to) == (name, args, addressed_to)


def test_declared_arguments_are_parsed_once() -> None:
    spec = (member(), number("amount", maximum=500), text("reason"))
    parsed = parse_args(spec, "@小明　１０　感谢 分享")
    assert parsed["member"] == MemberToken(username="小明")
    assert parsed["amount"] == 10 and parsed["reason"] == "感谢 分享"
    # A reply names the member: the first word is then the amount.
    replying = parse_args(spec, "10 感谢", replying_to_someone=True)
    assert replying["member"] is None and replying["amount"] == 10
    for raw, problem in (
        ("@小明 十 感谢", "not_a_number"),
        ("@小明 501 感谢", "out_of_range"),
        ("@小明 10", "missing"),
        ("小明 10 感谢", "not_a_member"),
    ):
        with pytest.raises(ArgumentError) as error:
            parse_args(spec, raw)
        assert error.value.problem == problem, raw
    with pytest.raises(ArgumentError) as error:
        parse_args((number("id"),), "3 4")
    assert error.value.problem == "extra"
    assert parse_args((number("id"),), "#7")["id"] == 7  # numbers are shown as #7


@pytest.mark.parametrize(
    ("raw", "problem"),
    [("9" * 25, "out_of_range"), ("1" * 5000, "out_of_range"),
     ("-9223372036854775809", "out_of_range"), ("+-5", "not_a_number"), ("--5", "not_a_number")],
)  # fmt: skip
def test_a_number_no_id_can_be_is_refused_not_a_crash(raw: str, problem: str) -> None:
    """``/ticket 99999999999999999999`` or a pasted 5,000-digit number: storage holds
    64-bit ids and Python converts at most 4,300 digits, so both are out of range."""
    with pytest.raises(ArgumentError) as error:
        parse_args((number("id", minimum=None),), raw)
    assert error.value.problem == problem
    assert len(str(error.value.values["value"])) <= 21
    assert parse_args((number("id"),), str(2**63 - 1))["id"] == 2**63 - 1


def test_a_text_with_a_limit_says_how_long_it_may_be() -> None:
    spec = (member(), text("reason", longest=10))
    assert parse_args(spec, "@小明 " + "好" * 10)["reason"] == "好" * 10
    with pytest.raises(ArgumentError) as error:
        parse_args(spec, "@小明 " + "好" * 11)
    assert error.value.problem == "too_long"
    assert error.value.values == {"arg": "reason", "longest": 10, "length": 11}


@pytest.mark.parametrize(
    "raw",
    ['@小明 "社区 MVP" 年度贡献', "@小明 “社区 MVP” 年度贡献", "@小明　「社区　MVP」年度贡献",
     "@小明 ＂社区 MVP＂ 年度贡献"],
)  # fmt: skip
def test_a_quoted_phrase_is_one_word(raw: str) -> None:
    """Names with spaces (a badge called 社区 MVP) are written in quotes, as ASCII and
    Chinese input methods type them; the quotes are not part of the word."""
    spec = (member(), word("badge"), text("reason"))
    parsed = parse_args(spec, raw)
    assert parsed["badge"].split() == ["社区", "MVP"] and parsed["reason"] == "年度贡献"
    # Replying to the member: the quoted name is still one word, kept whole.
    replying = parse_args(spec, raw.split(maxsplit=1)[1], replying_to_someone=True)
    assert replying["member"] is None and replying["badge"].split() == ["社区", "MVP"]
    # A quote that is never closed is an ordinary character.
    assert parse_args(spec, '@小明 "社区 MVP 年度贡献')["badge"] == '"社区'


def test_the_form_whose_first_word_matched_explains_the_mistake() -> None:
    forms = (
        (),
        (word("action", choices=("add",)), text("what")),
        (word("action", choices=("pause",)), number("id")),
    )
    assert parse_forms(forms, "")["action"] is None
    assert parse_forms(forms, "pause 3")["id"] == 3
    with pytest.raises(ArgumentError) as error:
        parse_forms(forms, "pause three")
    assert error.value.problem == "not_a_number"


@pytest.fixture
async def chat(tmp_path: Path, sqlite_storage: Storage) -> Chat:
    app: App = build_app(make_settings(tmp_path), storage=sqlite_storage)
    c = Chat(app)
    for user in (MOD, ALICE):
        await c.send(joined(c.now, user))
    return c


async def test_full_width_input_works_end_to_end(chat: Chat) -> None:
    given = said(await chat.cmd(MOD, "／givepoints　@xiaoming　１０　感谢分享"))
    assert "已给@小明加10分（原因：感谢分享）" in given


async def test_invisible_characters_neither_hide_a_command_nor_pass_for_a_word(
    chat: Chat,
) -> None:
    """Zero-width characters come with text pasted from WeChat: the command and the
    keyword still work, and a reason of nothing visible is no reason."""
    assert "签到成功" in said(await chat.cmd(ALICE, "/checkin\u200b"))
    assert "今天已经签过到了" in said(await chat.say(ALICE, "签\u200b到"))
    with pytest.raises(ArgumentError):
        parse_args((member(), number("amount"), text("reason")), "@小明 10 \u200b\u2060")
    refused = said(await chat.cmd(MOD, "/givepoints @xiaoming 10 \u200b"))
    assert "已给" not in refused and "原因" in refused
    # The joiner inside an emoji sequence is kept: 👨‍👩‍👧 stays one family.
    assert parse_args((text("reason"),), "感谢 👨\u200d👩\u200d👧")["reason"].count("\u200d") == 2


async def test_a_mistake_gets_the_usage_generated_from_the_declaration(chat: Chat) -> None:
    answer = said(await chat.cmd(MOD, "/givepoints @xiaoming 很多 谢谢"))
    assert answer.splitlines()[0] == "「数量」要写数字，不是「很多」。"
    assert "用法：/givepoints @成员 数量 原因" in answer
    assert "例如：/givepoints @小明 10" in answer  # the catalog's example follows
    schedule = said(await chat.cmd(MOD, "/schedule pause 三"))
    assert "用法：\n/schedule\n/schedule add" in schedule  # one line per way to call it
    assert "\n/schedule pause|resume|remove 编号\n" in schedule
    english = Catalog.load().for_language("en")
    command = chat.app.router.commands["givepoints"]
    assert plain_text(command.usage(english)).startswith("Usage: /givepoints @member AMOUNT REASON")


async def test_a_wrong_or_missing_word_says_what_is_accepted(chat: Chat) -> None:
    """A word from a list names the list (declared once, so every such command does);
    a missing argument is named, the usage after it."""
    top = said(await chat.cmd(ALICE, "/top 年")).splitlines()
    assert top[:2] == ["无法识别「年」，可选：all / week / month。", "用法：/top [all|week|month]"]
    switch = said(await chat.cmd(MOD, "/onboarding 也许")).splitlines()
    assert switch[0] == "无法识别「也许」，可选：on / off。"
    with pytest.raises(ArgumentError) as error:
        parse_args((word("period", choices=("all", "week")),), "year")
    assert error.value.values["choices"] == ("all", "week")
    missing = said(await chat.cmd(MOD, "/pointslog")).splitlines()
    assert missing[:2] == ["缺少「成员」：", "用法：/pointslog @成员"]


def test_telegram_and_the_sandbox_use_the_same_parser() -> None:
    from telegram import Update

    from bot.channels.sandbox.world import SandboxWorld
    from handlers.clock import ManualClock

    payload = {
        "update_id": 1,
        "message": {
            "message_id": 5,
            "date": 1_700_000_000,
            "chat": {"id": -100, "type": "supergroup", "title": "g"},
            "from": {"id": 42, "is_bot": False, "first_name": "Mod"},
            "text": "／top　本周",
        },
    }
    [event] = to_incoming(Update.de_json(payload, None), 1, "shequn_bot").events
    world = SandboxWorld(ManualClock(), "g", "operator")
    [typed] = world.say("／top　本周").events
    for parsed in (event, typed):
        assert isinstance(parsed, CommandIssued)
        assert (parsed.name, parsed.args) == ("top", "本周")


async def test_the_sandbox_reads_commands_like_telegram(chat: Chat) -> None:
    # /top's period accepts Chinese words, however the command was typed.
    answer = said(await chat.send(incoming(_command("／top　本周")).events[0]))
    assert "本周" in answer


def _command(raw: str) -> CommandIssued:
    from datetime import UTC, datetime

    from handlers.events import MessageRef

    parsed = parse_command(raw)
    assert parsed is not None
    return CommandIssued(
        chat=GROUP,
        occurred_at=datetime.now(UTC),
        sender=ALICE,
        message=MessageRef(GROUP, "1"),
        name=parsed.name,
        args=parsed.args,
    )
