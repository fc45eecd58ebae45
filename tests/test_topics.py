"""Scheduled topics: cron slots in the community's timezone (DST included),
posting each slot exactly once, no repeats until a pool is used up, catch-up
within the grace window only, participation, and the moderators' commands."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.app import App, build_app
from bot.channels.rendering import plain_text
from bot.settings import ConfigError
from handlers.actions import NotifyStaff, SendMessage
from handlers.clock import ManualClock
from handlers.events import BotRemovedFromChat
from handlers.i18n import Catalog
from handlers.topics.slots import CronError, slots_between, trigger
from handlers.topics.titles import title
from storage.database import Storage
from tests.chat_harness import Chat, said
from tests.conftest import create_pg_database, drop_pg_database, make_settings
from tests.helpers import GROUP, joined, person

# Monday 2026-11-23, 10:00 in Shanghai.
MONDAY = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
CATALOG = Catalog.load()
ALICE, BOB, MOD = person("1", "Alice"), person("2", "Bob"), person("42", "Mod")


@pytest.mark.parametrize(
    ("weekday", "expected"),
    [("3", {2}), ("0", {6}), ("7", {6}), ("wed", {2}), ("1-5", {0, 1, 2, 3, 4}),
     ("*/2", {6, 1, 3, 5}), ("0,6", {5, 6}), ("1-5/2", {0, 2, 4}),
     # Names beside numbers: each means its own day (mon,3 is Monday and Wednesday).
     ("mon,3", {0, 2}), ("3,fri", {2, 4}), ("sun,7", {6}), ("fri-7", {4, 5, 6})],
)  # fmt: skip
def test_weekday_numbers_are_crontab_s(weekday: str, expected: set[int]) -> None:
    """0 20 * * 3 is Wednesday, as in every crontab (APScheduler alone counts from
    Monday and would post on Thursday)."""
    zone = ZoneInfo("Asia/Shanghai")
    start = datetime(2026, 12, 3, tzinfo=UTC)  # a Thursday
    slots = slots_between(f"0 20 * * {weekday}", zone, start, start + timedelta(days=14))
    assert {slot.astimezone(zone).weekday() for slot in slots} == expected


def test_slots_follow_daylight_saving_in_berlin() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    start = datetime(2026, 3, 20, tzinfo=UTC)
    slots = slots_between("0 20 * * sat", berlin, start, start + timedelta(days=16))
    assert [slot.isoformat() for slot in slots] == [
        "2026-03-21T19:00:00+00:00",  # CET, UTC+1
        "2026-03-28T19:00:00+00:00",
        "2026-04-04T18:00:00+00:00",  # CEST from 29 March, UTC+2
    ]
    autumn = slots_between("0 12 * * *", berlin, datetime(2026, 10, 24, tzinfo=UTC),
                           datetime(2026, 10, 26, 23, 0, tzinfo=UTC))  # fmt: skip
    assert [s.hour for s in autumn] == [10, 11, 11]  # 12:00 local before and after 25 October


def test_a_slot_less_than_a_second_after_the_last_check_is_not_skipped() -> None:
    """A schedule added (or a sweep run) at 11:59:59.5 still posts the 12:00 slot; a
    check at 12:00:00 itself has decided it."""
    shanghai = ZoneInfo("Asia/Shanghai")
    noon = datetime(2026, 12, 7, 4, 0, tzinfo=UTC)  # 12:00 in Shanghai
    later = noon + timedelta(minutes=5)
    for before in (timedelta(milliseconds=500), timedelta(microseconds=1), timedelta(seconds=1)):
        assert slots_between("0 12 * * *", shanghai, noon - before, later) == [noon]
    assert slots_between("0 12 * * *", shanghai, noon, later) == []


def test_slots_in_shanghai_and_the_first_monday() -> None:
    shanghai = ZoneInfo("Asia/Shanghai")
    slots = slots_between("0 19 1-7 * mon", shanghai, MONDAY, MONDAY + timedelta(days=75))
    assert [s.astimezone(shanghai).date().isoformat() for s in slots] == [
        "2026-12-07", "2027-01-04", "2027-02-01",
    ]  # fmt: skip


def test_a_broken_rule_is_refused() -> None:
    with pytest.raises(CronError):
        trigger("every saturday", ZoneInfo("UTC"))
    with pytest.raises(CronError):
        trigger("0 25 * * *", ZoneInfo("UTC"))


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(start=MONDAY)


def topics_app(tmp_path: Path, storage: Storage, clock: ManualClock, **topics: Any) -> App:
    values: dict[str, Any] = {
        "schedules": [{"name": "noon", "cron": "0 12 * * *", "pool": "daily"}]
    }
    values.update(topics)
    settings = make_settings(
        tmp_path, topics=values, faq={"enabled": False}, onboarding={"enabled": False}
    )
    return build_app(settings, clock=clock, storage=storage)


@pytest.fixture
async def chat(tmp_path: Path, sqlite_storage: Storage, clock: ManualClock) -> Chat:
    app = topics_app(tmp_path, sqlite_storage, clock)
    await app.prepare()
    return await seeded(app)


async def seeded(app: App) -> Chat:
    """The group with three members, three topics in the pool and its schedule."""
    c = Chat(app)
    for user in (ALICE, BOB, MOD):
        await c.send(joined(c.now, user))
    for text in ("你最近读了什么书？", "分享一个学习小技巧", "周末打算做什么？"):
        await c.cmd(MOD, f"/addtopic daily {text}")
    await c.app.sweep()  # seeds the group's schedules from the config
    return c


def posts(actions: list) -> list[str]:
    return [plain_text(a.text) for a in actions if isinstance(a, SendMessage) and a.chat == GROUP]


async def test_the_next_slot_after_one_falling_due_now_is_the_one_after(
    tmp_path: Path, sqlite_storage: Storage, clock: ManualClock
) -> None:
    """The sandbox steps its clock to each moment work falls due: at 12:00 exactly, with
    slots at 12:00 and 19:00, the next is 19:00. (The 12:00 slot, not after now, used to
    hide every later one, and /advance skipped the 19:00 post as missed.)"""
    app = topics_app(tmp_path, sqlite_storage, clock, schedules=[
        {"name": "noon", "cron": "0 12 * * *", "pool": "daily"},
        {"name": "evening", "cron": "0 19 * * *", "pool": "daily"},
    ])  # fmt: skip
    await app.prepare()
    c = await seeded(app)
    noon = c.now.astimezone(ZoneInfo("Asia/Shanghai")).replace(hour=12, minute=0, second=0,
                                                               microsecond=0)  # fmt: skip
    if noon <= c.now:
        noon += timedelta(days=1)
    c.wait((noon - c.now).total_seconds())
    exactly = noon.astimezone(UTC)
    assert await app.sweeper.next_due(exactly) == exactly + timedelta(hours=7)


async def test_each_slot_is_posted_once_without_repeats_until_the_pool_is_used(chat: Chat) -> None:
    seen = []
    for _ in range(3):
        chat.wait(86400 if seen else 2 * 3600 + 60)  # to 12:01, then a day later
        posted = posts(await chat.app.sweep())
        assert len(posted) == 1
        seen.append(posted[0])
        assert posts(await chat.app.sweep()) == []  # the same slot never again
    assert len({text.splitlines()[2] for text in seen}) == 3  # every topic once
    chat.wait(86400)
    assert len(posts(await chat.app.sweep())) == 1  # a new round begins


async def test_catch_up_only_within_the_grace_window(chat: Chat) -> None:
    chat.wait(2 * 3600 + 30 * 60)  # down over noon; back at 12:30
    assert len(posts(await chat.app.sweep())) == 1
    chat.wait(86400 + 90 * 60)  # down over the next noon; back at 14:00: too late
    assert posts(await chat.app.sweep()) == []
    async with chat.app.storage.transaction() as repos:
        group = await repos.chats.get(GROUP.platform, GROUP.id)
        statuses = [p.status for p in await repos.topics.posts(group.id)]
    assert statuses == ["missed", "posted"]


async def test_taking_part_earns_points_once_per_topic(chat: Chat) -> None:
    chat.wait(2 * 3600 + 60)
    await chat.app.sweep()
    chat.wait(600)
    await chat.say(ALICE, "我在读一本讲历史的书")
    chat.wait(61)
    await chat.say(ALICE, "推荐给大家，真的很好看")
    async with chat.app.storage.transaction() as repos:
        group = await repos.chats.get(GROUP.platform, GROUP.id)
        user = await repos.users.get(ALICE.platform, ALICE.id)
        [post] = await repos.topics.posts(group.id)
        account = await repos.points.account(group.id, user.id)
    assert post.participants == 1
    assert account.topics == 1 and account.balance == 1 + 5 + 1
    chat.wait(4 * 3600)  # the window has closed
    await chat.say(BOB, "我来晚了，也说说我的书")
    async with chat.app.storage.transaction() as repos:
        [post] = await repos.topics.posts(group.id)
    assert post.participants == 1


async def test_moderators_manage_schedules(chat: Chat) -> None:
    listing = said(await chat.cmd(MOD, "/schedule"))
    assert "noon" in listing and "0 12 * * *" in listing and "3个话题" in listing
    bad = said(await chat.cmd(MOD, "/schedule add 0 25 * * * daily"))
    assert "不是有效的 cron" in bad and "0 20 * * sat" in bad
    assert "第2个字段（时）的「25」无效" in bad  # explained in the chat's language
    assert "第5个字段（星期）" in said(await chat.cmd(MOD, "/schedule add 0 20 * * someday x"))
    added = said(await chat.cmd(MOD, "/schedule add 30 20 * * * empty 晚间话题"))
    assert "已添加日程" in added and "20:30" in added
    assert "话题池「empty」还是空的" in added and "/addtopic empty" in added
    never = said(await chat.cmd(MOD, "/schedule add 0 12 31 2 * daily 二月三十一日"))
    assert "永远不会触发" in never and "已添加" not in never
    schedule_id = added.split("#")[1].split("（")[0]
    # The listing says an empty pool posts nothing, rather than promising times.
    [line] = [ln for ln in said(await chat.cmd(MOD, "/schedule")).splitlines() if "晚间话题" in ln]
    assert "话题池「empty」是空的，不会发布" in line and "20:30" not in line
    chat.wait(11 * 3600)  # 21:00: the empty pool's slot is skipped with a warning
    actions = await chat.app.sweep()
    assert any("话题池「empty」是空的" in plain_text(a.text) for a in actions
               if isinstance(a, NotifyStaff))  # fmt: skip
    assert "已暂停" in said(await chat.cmd(MOD, f"/schedule pause {schedule_id}"))
    [line] = [ln for ln in said(await chat.cmd(MOD, "/schedule")).splitlines() if "晚间话题" in ln]
    assert "已暂停，不会发布" in line  # no next times for a paused schedule
    assert "已恢复" in said(await chat.cmd(MOD, f"/schedule resume {schedule_id}"))
    assert "已删除" in said(await chat.cmd(MOD, f"/schedule remove {schedule_id}"))
    assert "没有编号为" in said(await chat.cmd(MOD, f"/schedule remove {schedule_id}"))
    assert "仅限管理员" in said(await chat.cmd(ALICE, "/schedule"))
    assert "太长" in said(await chat.cmd(MOD, "/addtopic daily " + "长" * 4000))
    assert "用法" in said(await chat.cmd(MOD, "/addtopic daily"))


async def test_the_same_schedule_is_not_added_twice(chat: Chat) -> None:
    """A second schedule posting the same pool at the same moments would post every
    topic twice: refused in one line naming the one there is, however the rule is spelled."""
    first = said(await chat.cmd(MOD, "/schedule add 0 20 * * 1-5 daily 晚间话题"))
    assert first.startswith("已添加日程 #2")
    again = said(await chat.cmd(MOD, "/schedule add 0 20 * * mon-fri daily 另一个名字"))
    assert again == (
        "本群已有相同的日程 #2（晚间话题 · 0 20 * * 1-5 · 话题池「daily」），没有重复添加。"
    )
    config_one = said(await chat.cmd(MOD, "/schedule add 00 12 * * * DAILY"))  # the config's noon
    assert config_one.startswith("本群已有相同的日程 #1（noon")
    await chat.cmd(MOD, "/schedule pause 2")
    paused = said(await chat.cmd(MOD, "/schedule add 0 20 * * 1-5 daily"))
    assert "目前已暂停" in paused and "「/schedule resume 2」" in paused
    # Another pool, or other moments, is another schedule; a removed one is gone.
    assert "已添加日程 #3" in said(await chat.cmd(MOD, "/schedule add 0 20 * * 1-5 books"))
    assert "已添加日程 #4" in said(await chat.cmd(MOD, "/schedule add 0 20 * * 1-6 daily"))
    await chat.cmd(MOD, "/schedule remove 2")
    assert "已添加日程 #5" in said(await chat.cmd(MOD, "/schedule add 0 20 * * 1-5 daily"))
    async with chat.app.storage.transaction() as repos:
        group = await repos.chats.get(GROUP.platform, GROUP.id)
        assert group is not None
        schedules = await repos.topics.schedules(group.id)
    assert [item.id for item in schedules] == [1, 3, 4, 5]


async def test_a_topic_is_not_added_twice_and_a_new_pool_is_pointed_out(chat: Chat) -> None:
    """The same topic twice in one pool would post twice; a pool's name mistyped makes a
    pool no schedule posts from: the first is refused, the second said."""
    again = said(await chat.cmd(MOD, "/addtopic daily 你最近读了什么书 ？"))
    assert again == "话题池「daily」里已经有同样的话题 #1，没有重复添加。"
    typo = said(await chat.cmd(MOD, "/addtopic dialy 今天学到了什么？"))
    assert typo.startswith("已把话题 #4 加入话题池「dialy」。\n「dialy」是新的话题池（已有：")
    assert "（已有：daily）" in typo and "/schedule add 分 时 日 月 星期 dialy" in typo
    # Once it exists (or a schedule uses it), adding to it is plain.
    assert said(await chat.cmd(MOD, "/addtopic dialy 再来一个")).endswith("话题池「dialy」。")


async def test_built_in_pools_are_shown_by_their_names(
    tmp_path: Path, sqlite_storage: Storage, clock: ManualClock
) -> None:
    """周末话题, not weekend, in a Chinese sentence: the built-in pools and schedules read
    by the catalog's names, while their codes stay what config, storage and the typed
    commands use; a moderator typing the name means the pool."""
    settings = make_settings(tmp_path, faq={"enabled": False}, onboarding={"enabled": False})
    c = await seeded(build_app(settings, clock=clock, storage=sqlite_storage))
    listing = said(await c.cmd(MOD, "/schedule"))
    assert "#1 周末话题 · 0 20 * * sat · 话题池「周末话题」（0个话题）" in listing
    assert "#2 工作日答疑" in listing and "#3 专家分享" in listing
    assert "发送「/addtopic weekend 话题内容」添加" in listing  # the code, to type
    assert not re.search(r"「(weekend|qa|expert)」|#\d (weekend|qa|expert) ", listing)
    added = said(await c.cmd(MOD, "/addtopic 周末话题 周末去哪儿玩了？"))
    assert added == "已把话题 #4 加入话题池「周末话题」。"
    assert "话题池「周末话题」的下一期话题" in said(await c.cmd(MOD, "/nexttopic weekend #4"))
    async with c.app.storage.transaction() as repos:
        assert await repos.topics.pool_sizes() == {"daily": 3, "weekend": 1}
        await repos.topics.add_topic("工作日答疑", "一个早就这样命名的话题池", c.now)
    # A pool someone already called so stays theirs.
    assert "话题池「工作日答疑」" in said(await c.cmd(MOD, "/addtopic 工作日答疑 又一个"))
    async with c.app.storage.transaction() as repos:
        assert (await repos.topics.pool_sizes()).get("工作日答疑") == 2
    # Staff are told of an empty pool by its name, with the command to fill it.
    await c.cmd(MOD, "/schedule add 0 13 * * * 专家分享 午间分享")
    c.wait(3 * 3600 + 60)
    [warning] = [plain_text(a.text) for a in await c.app.sweep() if isinstance(a, NotifyStaff)]
    assert "话题池「专家分享」是空的" in warning and "「/addtopic expert 话题内容」" in warning
    english = CATALOG.for_language("en")
    assert [title(english, code) for code in ("weekend", "qa", "daily")] == [
        "Weekend topics", "Weekday Q&A", "daily",
    ]  # fmt: skip


async def test_an_operator_names_their_own_pool_in_texts(
    tmp_path: Path, sqlite_storage: Storage, clock: ManualClock
) -> None:
    """A pool of the operator's config (codes are a-z) gets a Chinese name the way the
    built-in ones have theirs, as a text: ``topic_names.reading``; moderators may
    type it. A name for something that is no code is still refused, in one line."""
    settings = make_settings(
        tmp_path,
        faq={"enabled": False},
        onboarding={"enabled": False},
        topics={"schedules": [{"name": "reading", "cron": "0 21 * * fri", "pool": "reading"}]},
        texts={"zh": {"topic_names.reading": "周五读书会"}},
    )
    c = await seeded(build_app(settings, clock=clock, storage=sqlite_storage))
    added = said(await c.cmd(MOD, "/addtopic 周五读书会 这周读了什么书？"))
    assert added == "已把话题 #4 加入话题池「周五读书会」。"
    listing = said(await c.cmd(MOD, "/schedule"))
    assert "#1 周五读书会 · 0 21 * * fri · 话题池「周五读书会」（1个话题）" in listing
    async with c.app.storage.transaction() as repos:
        assert (await repos.topics.pool_sizes()).get("reading") == 1
    with pytest.raises(ConfigError) as raised:
        build_app(make_settings(tmp_path, texts={"zh": {"topic_names.读书会": "读书会"}}))
    assert 'no text "topic_names.读书会"' in str(raised.value)


async def test_a_group_that_removed_the_bot_pauses_and_staff_are_told(chat: Chat) -> None:
    await chat.send(BotRemovedFromChat(chat=GROUP, occurred_at=chat.now))
    actions = await chat.app.sweep()
    assert any("已暂停" in plain_text(a.text) for a in actions if isinstance(a, NotifyStaff))
    chat.wait(2 * 3600 + 60)
    assert posts(await chat.app.sweep()) == []
    assert not [a for a in await chat.app.sweep() if isinstance(a, NotifyStaff)]  # told once


async def test_answering_a_topic_activates_a_newcomer(
    tmp_path: Path, sqlite_storage: Storage, clock: ManualClock
) -> None:
    settings = make_settings(
        tmp_path,
        faq={"enabled": False},
        onboarding={"activation_signals": ["topic_answer"]},
        topics={"schedules": [{"name": "noon", "cron": "0 12 * * *", "pool": "daily"}]},
    )
    c = Chat(build_app(settings, clock=clock, storage=sqlite_storage))
    await c.cmd(MOD, "/addtopic daily 你最近读了什么书？")
    await c.send(joined(c.now, ALICE))
    await c.say(ALICE, "大家好，我是新来的")  # a message alone does not count here
    await c.app.sweep()
    c.wait(2 * 3600 + 60)
    await c.app.sweep()
    c.wait(120)
    await c.say(ALICE, "我最近在读三体")
    async with c.app.storage.transaction() as repos:
        [member] = await repos.members.onboarding_since(MONDAY - timedelta(days=1))
    assert member.activation_source == "topic_answer"


async def test_a_holiday_prompt_replaces_the_first_topic_of_the_day(
    tmp_path: Path, sqlite_storage: Storage, clock: ManualClock
) -> None:
    calendar = tmp_path / "holidays.toml"
    calendar.write_text(
        '[[holiday]]\ndate = 2026-11-23\nname = "社群生日"\nname_en = "Birthday"\n'
        'prompt = "今天是社群三周岁生日，说说你和社群的故事！"\n',
        "utf-8",
    )
    schedules = [
        {"name": "noon", "cron": "0 12 * * *", "pool": "daily"},
        {"name": "evening", "cron": "0 20 * * *", "pool": "daily"},
    ]
    c = Chat(topics_app(tmp_path, sqlite_storage, clock, schedules=schedules,
                        holidays_file=str(calendar)))  # fmt: skip
    await c.cmd(MOD, "/addtopic daily 你最近读了什么书？")
    await c.send(joined(c.now, ALICE))
    await c.app.sweep()
    c.wait(2 * 3600 + 60)
    noon = posts(await c.app.sweep())
    assert len(noon) == 1 and "社群生日" in noon[0] and "三周岁" in noon[0]
    c.wait(8 * 3600)
    evening = posts(await c.app.sweep())
    assert any("你最近读了什么书" in text for text in evening)  # once a day is enough


async def test_the_builtin_festivals_go_on_past_the_old_table(
    tmp_path: Path, sqlite_storage: Storage
) -> None:
    """中秋 2029 falls on 22 September: its prompt replaces that day's first topic."""
    clock = ManualClock(start=datetime(2029, 9, 22, 2, 0, tzinfo=UTC))  # 10:00 in Shanghai
    schedules = [
        {"name": "noon", "cron": "0 12 * * *", "pool": "daily"},
        {"name": "evening", "cron": "0 20 * * *", "pool": "daily"},
    ]
    c = Chat(topics_app(tmp_path, sqlite_storage, clock, schedules=schedules))
    await c.cmd(MOD, "/addtopic daily 你最近读了什么书？")
    await c.send(joined(c.now, ALICE))
    await c.app.sweep()
    c.wait(2 * 3600 + 60)
    [noon] = posts(await c.app.sweep())
    assert "中秋节" in noon and "月饼" in noon
    c.wait(8 * 3600)
    [evening] = posts(await c.app.sweep())
    assert "你最近读了什么书" in evening
    c.wait(16 * 3600)
    [next_noon] = posts(await c.app.sweep())
    assert "你最近读了什么书" in next_noon  # 23 September is an ordinary day


async def test_no_thanks_long_after_the_window_closed_while_the_bot_was_down(
    chat: Chat,
) -> None:
    """The thank-you is due when the topic's window closes; a bot that was down then
    does not post it the next morning (past the grace window), nor ever after."""
    chat.wait(2 * 3600 + 60)
    assert len(posts(await chat.app.sweep())) == 1  # the noon topic
    chat.wait(60)
    await chat.say(ALICE, "我最近在读《三体》")
    chat.wait(20 * 3600)  # down from before the window closed (15:01) until 08:02
    assert posts(await chat.app.sweep()) == []
    chat.wait(4 * 3600)
    assert not any("人参与" in text for text in posts(await chat.app.sweep()))
    stats = said(await chat.cmd(MOD, "/topicstats"))
    assert "1人参与" in stats  # taking part still counted


async def test_nexttopic_queues_and_the_window_ends_with_thanks(chat: Chat) -> None:
    assert "话题池「daily」的下一期话题将使用" in said(
        await chat.cmd(MOD, "/nexttopic daily 聊聊你的家乡")
    )
    assert "没有编号为999" in said(await chat.cmd(MOD, "/nexttopic daily #999"))
    assert "用法" in said(await chat.cmd(MOD, "/nexttopic daily"))
    chat.wait(2 * 3600 + 60)
    [posted] = posts(await chat.app.sweep())
    assert "聊聊你的家乡" in posted
    chat.wait(60)
    await chat.say(ALICE, "我的家乡在海边")
    await chat.say(BOB, "我来自山区，风景很好")
    chat.wait(3 * 3600)
    [thanks] = posts(await chat.app.sweep())
    assert "共有2人参与" in thanks and "Alice和Bob" in thanks
    assert posts(await chat.app.sweep()) == []  # thanked once
    stats = said(await chat.cmd(MOD, "/topicstats"))
    assert "聊聊你的家乡 — 2人参与" in stats


async def _a_cli_group(
    tmp_path: Path, schedule: Callable[[Any, int, datetime], Awaitable[None]]
) -> None:
    """The group 读书会 in the CLI's database (``run``'s data directory), with what
    ``schedule`` gives it."""
    db = Storage.from_url(f"sqlite+aiosqlite:///{tmp_path / 'data' / 'shequn.db'}")
    try:
        async with db.transaction() as repos:
            now = datetime.now(UTC)
            group = await repos.chats.upsert("telegram", "-9", kind="group", title="读书会", at=now)
            await schedule(repos, group.id, now)
    finally:
        await db.close()


def test_import_pools_and_preview_the_programme(run: Any, tmp_path: Path) -> None:
    good = tmp_path / "topics.yaml"
    good.write_text(
        "- pool: weekend\n  text: 你最近读了什么书？\n- pool: weekend\n  text: 周末去哪儿玩？\n",
        "utf-8",
    )
    bad = tmp_path / "topics.csv"
    bad.write_text("pool,text\nweekend,分享一张照片\n,没有话题池\nweekend,分享一张照片\n", "utf-8")
    code, out = run("topics", "import", str(bad))
    assert code == 1 and "line 3: needs a pool and a text" in out and "line 4: duplicate" in out
    code, out = run("topics", "import", str(bad), "--skip-bad")
    assert code == 0 and "imported 1 topic (2 skipped)" in out
    assert "imported 2 topics" in run("topics", "import", str(good))[1]
    assert "imported 0 topics" in run("topics", "import", str(good))[1]  # nothing twice

    async def a_schedule(repos: Any, group: int, now: datetime) -> None:
        await repos.topics.ensure_schedule(group, "config:weekend", "weekend", "0 20 * * sat",
                                           "weekend", now)  # fmt: skip

    asyncio.run(_a_cli_group(tmp_path, a_schedule))
    code, out = run("schedule", "preview", "--days", "14")
    lines = out.strip().splitlines()
    assert code == 0 and len(lines) == 2
    assert all("Sat 20:00  读书会  weekend: " in line for line in lines)
    assert all("pool weekend (3 topics)" in line or "holiday:" in line for line in lines)


def test_the_preview_puts_a_festival_on_a_groups_first_slot_and_marks_paused_schedules(
    run: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As the bot posts it: on a festival only the day's first slot of a group is the
    festival's post, the later ones are pool topics; a paused schedule is named, with
    how to resume it, instead of being left out."""
    assert run("db", "upgrade")[0] == 0
    festival = (datetime.now(ZoneInfo("Asia/Shanghai")) + timedelta(days=2)).date()
    calendar = tmp_path / "holidays.toml"
    calendar.write_text(
        f'[[holiday]]\nname = "社群日"\nprompt = "聊聊社群"\ndate = {festival.isoformat()}\n',
        "utf-8",
    )
    monkeypatch.setenv("SHEQUN_TOPICS__HOLIDAYS_FILE", str(calendar))

    async def three_schedules(repos: Any, group: int, now: datetime) -> None:
        await repos.topics.add_schedule(group, "早", "0 9 * * *", "qa", now)
        await repos.topics.add_schedule(group, "晚", "0 20 * * *", "qa", now)
        paused = await repos.topics.add_schedule(group, "周末", "0 20 * * sat", "weekend", now)
        await repos.topics.set_schedule_state(paused.id, group, paused=True)

    asyncio.run(_a_cli_group(tmp_path, three_schedules))
    code, out = run("schedule", "preview", "--days", "5")
    assert code == 0, out
    lines = out.strip().splitlines()
    assert lines[0] == "paused  读书会  周末: /schedule resume 3"
    on_the_day = [line for line in lines if line.startswith(festival.isoformat())]
    assert [line.split("  ")[-1] for line in on_the_day] == [
        "早: holiday: 社群日",
        "晚: pool qa is empty: nothing is posted",
    ]


async def test_replicas_sweeping_at_once_post_each_slot_once(
    tmp_path: Path, clock: ManualClock
) -> None:
    """Two replicas (each its own engine and app) on one PostgreSQL sweep at the same
    moment: each task runs in one of them at a time, and every slot is posted once."""
    name, url = await create_pg_database()
    replicas = [Storage.from_url(url), Storage.from_url(url)]
    try:
        first, second = (topics_app(tmp_path, s, clock) for s in replicas)
        await first.prepare()
        await second.prepare()
        c = await seeded(first)
        seen = []
        for day in range(3):
            c.wait(86400 if day else 2 * 3600 + 60)
            together = await asyncio.gather(first.sweep(), second.sweep(), first.sweep())
            posted = [text for actions in together for text in posts(actions)]
            assert len(posted) == 1, posted
            seen.append(posted[0])
        assert len({text.splitlines()[2] for text in seen}) == 3  # every topic once
    finally:
        for storage in replicas:
            await storage.close()
        await drop_pg_database(name)
