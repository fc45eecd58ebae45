"""A community whose operator set ``community.language = "en"``, tried as its members,
moderators and staff would: what they read is English throughout, lists of names
read as English lists, and names with spaces (Weekend topics) work where typed."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from markupsafe import Markup

from bot.app import App, build_app
from bot.channels.rendering import plain_text
from bot.channels.wechat import kf_convert, oa_convert
from handlers.actions import NotifyStaff, SendMessage, SendPrivate
from handlers.clock import ManualClock
from handlers.events import ChatKind, ChatRef, MessageRef
from handlers.i18n import Catalog
from storage.database import Storage
from tests.chat_harness import Chat, said
from tests.conftest import make_settings
from tests.helpers import GROUP, PLATFORM, joined, person, private_chat

# Tuesday 10:00 in Shanghai (the default time zone): staff are on duty.
MORNING = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)
EN = Catalog.load().for_language("en")
ALICE, BOB, CAROL = person("1", "Alice"), person("2", "Bob"), person("3", "Carol")
MOD, STAFF = person("42", "Mod"), person("900", "Staffer")


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(start=MORNING)


def english(tmp_path: Path, storage: Storage, clock: ManualClock, **overrides: Any) -> App:
    values: dict[str, Any] = {
        "community": {"language": "en", "staff": ["testnet:900"]},
        "faq": {"enabled": False},
    }
    values.update(overrides)
    return build_app(make_settings(tmp_path, **values), clock=clock, storage=storage)


def posts(actions: list) -> list[str]:
    return [plain_text(a.text) for a in actions if isinstance(a, SendMessage) and a.chat == GROUP]


def sandbox(script: str, tmp_path: Path, **env: str) -> list[str]:
    """``shequn sandbox --script`` as a real process, in English; its output lines."""
    path = tmp_path / "script.txt"
    path.write_text(script, "utf-8")
    values = {k: v for k, v in os.environ.items() if not k.startswith("SHEQUN_")}
    values.update(SHEQUN_DATA_DIR=str(tmp_path / "data"), SHEQUN_COMMUNITY__LANGUAGE="en", **env)
    result = subprocess.run(
        [sys.executable, "-m", "bot", "sandbox", "--script", str(path)],
        cwd=tmp_path, env=values, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr
    return result.stdout.splitlines()


def has_chinese(text: str) -> bool:
    return any("\u4e00" <= char <= "\u9fff" for char in text)


def test_a_fragment_keeps_its_spaces_and_a_list_keeps_its_markup() -> None:
    """``" (paused)"`` and ``", "`` are fragments put beside other words: read without
    markup they keep their spaces. A list of mentions stays markup, plain names escaped."""
    assert EN.plain("topics.paused_mark") == " (paused)"
    assert EN.plain("onboarding.reason_separator") == ", "
    listed = EN.join([Markup('<a href="tg://user?id=1">@a</a>'), "Tom & Jerry"])
    assert listed == '<a href="tg://user?id=1">@a</a> and Tom &amp; Jerry'
    assert EN.join([]) == ""


async def test_a_burst_of_newcomers_is_welcomed_as_an_english_list(
    tmp_path: Path, sqlite_storage: Storage, clock: ManualClock
) -> None:
    chat = Chat(english(tmp_path, sqlite_storage, clock))
    await chat.send(joined(chat.now, ALICE))
    [first] = posts(await chat.sweep())
    assert first.startswith("Welcome to 测试群 <Test> & co, @Alice!")
    chat.wait(20)
    await chat.send(joined(chat.now, BOB))
    await chat.send(joined(chat.now, CAROL))
    await chat.sweep()
    chat.wait(45)
    [welcome] = posts(await chat.sweep())
    assert "@Bob and @Carol! 🎉" in welcome  # not "@Bob, @Carol" nor "@Bob、@Carol"


async def test_pools_named_with_spaces_and_the_thanks_after_a_topic(
    tmp_path: Path, sqlite_storage: Storage, clock: ManualClock
) -> None:
    """An English pool's name has a space: typed as shown (Weekend topics), it names the
    pool and is no part of the topic; the listing marks a paused schedule apart from
    its name; the thanks name the participants as an English list."""
    schedules = [{"name": "weekend", "cron": "0 12 * * *", "pool": "weekend"}]
    app = english(tmp_path, sqlite_storage, clock, onboarding={"enabled": False},
                  topics={"schedules": schedules})  # fmt: skip
    chat = Chat(app)
    chat.platform.admins.add(MOD.id)
    for user in (ALICE, BOB, CAROL, MOD):
        await chat.send(joined(chat.now, user))
    await chat.sweep()  # the group's schedules, from the config
    added = said(await chat.cmd(MOD, "/addtopic Weekend topics What did you build this week?"))
    assert added == "Added topic #1 to pool “Weekend topics”."
    async with app.storage.transaction() as repos:
        [topic] = await repos.topics.pool("weekend")
    assert topic.text == "What did you build this week?"  # not "topics What did you…"
    # A topic that is only the rest of the name stays a topic.
    assert "#2" in said(await chat.cmd(MOD, "/addtopic weekend topics"))
    queued = said(await chat.cmd(MOD, "/nexttopic Weekend topics #1"))
    assert queued == "Topic #1 will be posted in the next slot of pool “Weekend topics”."
    added = said(await chat.cmd(MOD, "/schedule add 0 15 * * sun Weekend topics"))
    assert added.startswith("Added schedule #2 (pool “Weekend topics”)")
    await chat.cmd(MOD, "/schedule pause 1")
    listing = said(await chat.cmd(MOD, "/schedule"))
    assert "#1 Weekend topics (paused) · 0 12 * * *" in listing
    assert "#2 Weekend topics · 0 15 * * sun" in listing  # named after its pool
    await chat.cmd(MOD, "/schedule resume 1")
    chat.wait(2 * 3600 + 60)
    [posted] = posts(await chat.sweep())
    assert "What did you build this week?" in posted
    chat.wait(60)
    for user, words in ((ALICE, "A bookshelf"), (BOB, "A birdhouse"), (CAROL, "A stool!")):
        await chat.say(user, f"{words} for the garden, finally finished it")
    chat.wait(3 * 3600)
    [thanks] = posts(await chat.sweep())
    assert thanks == (
        "📝 3 people took part in this topic; thanks to Alice, Bob, and Carol for sharing!"
    )


async def test_a_festival_is_named_in_the_communitys_language(
    tmp_path: Path, sqlite_storage: Storage, clock: ManualClock
) -> None:
    calendar = tmp_path / "holidays.toml"
    calendar.write_text(
        '[[holiday]]\ndate = 2026-11-24\nname = "社群生日"\nname_en = "Community birthday"\n'
        'prompt = "今天是社群生日！"\nprompt_en = "Happy birthday to us! How did you find us?"\n',
        "utf-8",
    )
    schedules = [{"name": "noon", "cron": "0 12 * * *", "pool": "daily"}]
    app = english(tmp_path, sqlite_storage, clock, onboarding={"enabled": False},
                  topics={"schedules": schedules, "holidays_file": str(calendar)})  # fmt: skip
    chat = Chat(app)
    chat.platform.admins.add(MOD.id)
    await chat.send(joined(chat.now, MOD))
    await chat.cmd(MOD, "/addtopic daily What are you reading?")
    await chat.sweep()
    chat.wait(2 * 3600 + 60)
    [posted] = posts(await chat.sweep())
    assert posted.startswith("🎉 Community birthday\n\nHappy birthday to us!")
    assert not has_chinese(posted)
    # Stored by its calendar name (社群生日, so it is posted once), shown in English.
    stats = said(await chat.cmd(MOD, "/topicstats"))
    assert "Community birthday" in stats and not has_chinese(stats), stats


async def test_help_lists_no_chinese_keywords_but_the_operators_own(
    tmp_path: Path, sqlite_storage: Storage, clock: ManualClock
) -> None:
    app = english(tmp_path, sqlite_storage, clock, keywords={"aliases": {"score": "points"}})
    chat = Chat(app)
    await chat.send(joined(chat.now, ALICE))
    await chat.cmd(ALICE, "/start", private_chat(ALICE))
    shown = said(await chat.cmd(ALICE, "/help", private_chat(ALICE)))
    assert "/rewards — Rewards you can redeem" in shown
    assert not has_chinese(shown)  # no 帮助, 菜单, 奖励…
    in_group = said(await chat.cmd(ALICE, "/help"))  # the group's commands, privately
    assert "You can also just send a keyword, no slash needed: score" in in_group
    assert not has_chinese(in_group.replace("测试群 <Test> & co", ""))


async def test_a_member_without_a_private_chat_is_addressed_in_english(
    tmp_path: Path, sqlite_storage: Storage, clock: ManualClock
) -> None:
    """The rating request reaches the group with a mention before it: "@Alice: Your
    ticket…", not "@Alice, Your ticket…"."""
    chat = Chat(english(tmp_path, sqlite_storage, clock, onboarding={"enabled": False}))
    await chat.send(joined(chat.now, ALICE))
    await chat.cmd(ALICE, "/complain The course videos never load")
    resolved = await chat.cmd(STAFF, "/resolve 1", private_chat(STAFF))
    [asked] = posts(resolved)
    assert asked.startswith("@Alice: Your ticket #1 has been handled. How satisfied are you?")


async def test_mydata_lists_the_groups_as_an_english_list(
    tmp_path: Path, sqlite_storage: Storage, clock: ManualClock
) -> None:
    chat = Chat(english(tmp_path, sqlite_storage, clock, onboarding={"enabled": False}))
    other = ChatRef(PLATFORM, "-100600", ChatKind.GROUP, "Woodworkers")
    await chat.send(joined(chat.now, ALICE))
    await chat.send(joined(chat.now, ALICE, other))
    data = said(await chat.cmd(ALICE, "/mydata", private_chat(ALICE)))
    assert "· Groups joined: Woodworkers and 测试群 <Test> & co" in data


def test_wechat_tells_no_language_so_members_read_the_communitys() -> None:
    assert kf_convert.member("wmAbc", "Wendy").language is None
    assert oa_convert.member("oAbc").language is None


def test_a_wechat_member_of_an_english_community_reads_english(tmp_path: Path) -> None:
    """A 微信客服 member used to read Chinese for what was said one to one and English
    for the group features, and staff got the ticket card in Chinese."""
    lines = sandbox(
        "/wechat Wendy\nhello\n/complain my parcel never arrived and it's been 3 weeks\n"
        "/rewards\n/mytickets\n/checkin\n/as operator\n/staff\n",
        tmp_path,
    )
    # What the bot said, without the sandbox's own bilingual label ([微信客服 WeChat Wendy #2]).
    said_to_wendy = "\n".join(line.split("] ", 1)[1] for line in lines if line.startswith("🤖"))
    assert "Hi Wendy! I am the community assistant" in said_to_wendy
    assert "Got it (ticket #1)" in said_to_wendy and "Your tickets" in said_to_wendy
    assert "Checked in, +5" in said_to_wendy
    assert not has_chinese(said_to_wendy)  # not even the keyword 帮助: "Send /help"
    card = "\n".join(lines[lines.index("» /staff") :])
    assert "Ticket #1 (low)" in card and "private chat (WeChat customer service)" in card
    assert "工单" not in card


async def test_staff_read_the_communitys_language_and_a_member_their_own(
    tmp_path: Path, sqlite_storage: Storage, clock: ManualClock
) -> None:
    """A Chinese-speaking member of an English community: they read Chinese (their
    Telegram language), the staff desk reads English about them, and what staff send
    them (an answer, a rating request, a reward's outcome) is in Chinese again."""
    lin = person("7", "Lin", language="zh-hans")
    tea = {"id": "tea", "name": "茶包", "name_en": "Tea bag", "cost": 1, "stock": 5}
    app = english(
        tmp_path, sqlite_storage, clock, onboarding={"enabled": False}, points={"rewards": [tea]}
    )
    chat = Chat(app)
    await chat.send(joined(chat.now, lin))
    await chat.cmd(lin, "/start", private_chat(lin))
    raised = await chat.cmd(lin, "/human 课程视频一直打不开", private_chat(lin))
    assert said(raised).startswith("已收到（工单 #1）")
    [card] = [a for a in raised if isinstance(a, NotifyStaff)]
    assert "课程视频一直打不开" in plain_text(card.text)
    assert not has_chinese(plain_text(card.text).replace("课程视频一直打不开", ""))
    assert card.buttons[0][0].label == "🙋 Claim"

    answered = await chat.cmd(STAFF, "/reply 1 Please clear your cache", private_chat(STAFF))
    [to_lin] = [a for a in answered if isinstance(a, SendPrivate) and a.user == lin]
    answer = plain_text(to_lin.text)
    assert answer.startswith("💬 工作人员回复（工单 #1）：\nPlease clear your cache")
    told_staff = said([a for a in answered if a is not to_lin])
    assert told_staff.startswith("Sent to the member (ticket #1)")
    rating = await chat.cmd(STAFF, "/resolve 1", private_chat(STAFF))
    [asked] = [a for a in rating if isinstance(a, SendPrivate) and a.user == lin]
    assert plain_text(asked.text).startswith("你的工单 #1 已处理完毕。")

    await chat.cmd(lin, "/checkin")
    redeemed = await chat.cmd(lin, "/redeem tea")
    [request] = [a for a in redeemed if isinstance(a, NotifyStaff)]
    assert "Reward: Tea bag (1 point)" in plain_text(request.text)
    done = request.buttons[0][0].data or ""
    outcome = await chat.press(STAFF, done, on=MessageRef(private_chat(STAFF), "1"))
    [told] = [a for a in outcome if isinstance(a, SendPrivate) and a.user == lin]
    assert plain_text(told.text) == "🎁 你兑换的「茶包」已发放（单号 #1）。"
    [note] = [a for a in outcome if isinstance(a, NotifyStaff)]
    assert not has_chinese(plain_text(note.text)), note.text
