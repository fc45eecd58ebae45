"""The points economy through the real dispatcher and an SQLite file: every
earning rule, cap and streak, levels, badges, rewards and refunds, moderator
adjustments with their limits, and idempotency under redelivery."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.app import App, build_app
from bot.channels.rendering import plain_text
from handlers.actions import AnswerButton, NotifyStaff, SendMessage, SendPrivate
from handlers.clock import ManualClock
from handlers.events import CommandIssued, MessageRef
from storage.database import Storage
from tests.chat_harness import Chat, buttons, said
from tests.conftest import make_settings
from tests.helpers import GROUP, command, joined, message, person, private_chat

# 10:00 on a Monday in Shanghai: days and weeks are easy to reason about.
MONDAY = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
ALICE, BOB = person("1", "Alice <i>"), person("2", "Bob")
CAROL = person("3", "Carol")
MOD = person("42", "Mod")
STAFF = person("900", "Staffer")
REWARDS = [
    {"id": "mug", "name": "社群马克杯", "name_en": "Mug", "cost": 30, "stock": 1},
    {"id": "coupon", "name": "优惠券", "name_en": "Coupon", "cost": 5, "stock": 10},
]


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(start=MONDAY)


def points_app(tmp_path: Path, storage: Storage, clock: ManualClock, **points: Any) -> App:
    values: dict[str, Any] = {"rewards": REWARDS, "moderator_daily_limit": 300}
    values.update(points)
    settings = make_settings(
        tmp_path,
        points=values,
        community={"staff": ["testnet:900"]},
        onboarding={"enabled": False},
        faq={"enabled": False},
    )
    return build_app(settings, clock=clock, storage=storage)


@pytest.fixture
async def chat(tmp_path: Path, sqlite_storage: Storage, clock: ManualClock) -> Chat:
    app = points_app(tmp_path, sqlite_storage, clock)
    await app.prepare()
    c = Chat(app)
    for user in (ALICE, BOB, CAROL, MOD):
        await c.send(joined(c.now, user))
    return c


async def balance(chat: Chat, user: Any) -> int:
    async with chat.app.storage.transaction() as repos:
        group = await repos.chats.get(GROUP.platform, GROUP.id)
        stored = await repos.users.get(user.platform, user.id)
        assert group and stored
        account = await repos.points.account(group.id, stored.id)
        return account.balance if account else 0


async def reply_cmd(chat: Chat, user: Any, text: str, to: Any, message_id: str) -> list:
    event = command(chat.now, user, text)
    event = CommandIssued(
        **{f: getattr(event, f) for f in event.__dataclass_fields__}
        | {"reply_to": MessageRef(GROUP, message_id), "reply_to_sender": to}
    )
    return await chat.send(event)


# -- messages ------------------------------------------------------------------------


async def test_messages_earn_with_cooldown_cap_and_no_repeats(chat: Chat) -> None:
    await chat.say(ALICE, "大家好，我是新来的")
    assert await balance(chat, ALICE) == 1
    await chat.say(ALICE, "第二条消息马上就发")  # within the cooldown
    await chat.say(ALICE, "好")  # too short
    assert await balance(chat, ALICE) == 1
    chat.wait(61)
    await chat.say(ALICE, "大家好，我是新来的")  # a repeat of the last rewarded message
    assert await balance(chat, ALICE) == 1
    await chat.say(ALICE, "今天学到了很多东西")
    assert await balance(chat, ALICE) == 2


async def test_the_daily_cap_resets_at_local_midnight(
    tmp_path: Path, sqlite_storage: Storage, clock: ManualClock
) -> None:
    c = Chat(points_app(tmp_path, sqlite_storage, clock, message_daily_cap=3))
    for index in range(5):
        await c.say(ALICE, f"第 {index} 条有内容的消息")
        c.wait(61)
    assert await balance(c, ALICE) == 3
    c.wait(14 * 3600)  # past midnight in Shanghai
    await c.say(ALICE, "新的一天新的消息")
    assert await balance(c, ALICE) == 4


async def test_a_redelivered_message_awards_once(chat: Chat) -> None:
    event = message(chat.now, ALICE, "这条消息会被重发")
    await chat.send(event, key="tg:1")
    await chat.send(event, key="tg:1")
    chat.wait(61)
    await chat.send(event, key="tg:2")  # same message id under another update key
    assert await balance(chat, ALICE) == 1


async def test_bots_earn_nothing(chat: Chat) -> None:
    robot = person("77", "Robot", is_bot=True)
    await chat.say(robot, "我是机器人发的消息")
    assert await balance(chat, robot) == 0


# -- check-in and streaks ------------------------------------------------------------


async def test_checkin_once_a_day_with_streak_bonuses(chat: Chat) -> None:
    text = said(await chat.cmd(ALICE, "/checkin"))
    assert "签到成功，积分+5" in text and "已连续签到1天" in text
    assert "已经签过到了" in said(await chat.cmd(ALICE, "/checkin"))
    chat.wait(86400)
    await chat.cmd(ALICE, "/checkin")
    chat.wait(86400)
    third = said(await chat.cmd(ALICE, "/checkin"))
    assert "连续签到3天，额外奖励5积分" in third
    assert await balance(chat, ALICE) == 5 * 3 + 5
    chat.wait(2 * 86400)  # a day missed: the streak starts again
    assert "已连续签到1天" in said(await chat.cmd(ALICE, "/checkin"))


async def test_a_seven_day_streak_earns_its_badge(chat: Chat) -> None:
    actions: list = []
    for _ in range(7):
        actions = await chat.cmd(BOB, "/checkin")
        chat.wait(86400)
    assert "七日坚持" in said(actions) and "连续签到7天，额外奖励20积分" in said(actions)
    assert "七日坚持" in said(await chat.cmd(BOB, "/badges"))


# -- helpful replies -------------------------------------------------------------------


async def test_a_moderator_marks_a_reply_helpful_once(chat: Chat) -> None:
    text = said(await reply_cmd(chat, MOD, "/helpful", ALICE, "501"))
    assert "获得10积分" in text and "Alice &lt;i&gt;" not in text  # plain text shows the name
    assert "已经被标记过" in said(await reply_cmd(chat, MOD, "/helpful", ALICE, "501"))
    assert await balance(chat, ALICE) == 10
    assert "仅限管理员" in said(await reply_cmd(chat, BOB, "/helpful", ALICE, "502"))
    assert "回复" in said(await chat.cmd(MOD, "/helpful"))


# -- levels and badges -------------------------------------------------------------------


async def test_levels_are_announced_once_in_the_group_and_privately(chat: Chat) -> None:
    actions = await chat.cmd(MOD, "/givepoints @nobody 1 x")
    assert "找不到" in said(actions)
    async with chat.app.storage.transaction() as repos:  # give Alice a username to target
        await repos.users.upsert(
            "testnet", "1", display_name="Alice <i>", username="alice", language=None,
            is_bot=False, at=chat.now,
        )  # fmt: skip
    actions = await chat.cmd(MOD, "/givepoints @alice 100 组织线下活动")
    group = [a for a in actions if isinstance(a, SendMessage) and a.reply_to is None]
    private = [a for a in actions if isinstance(a, SendPrivate)]
    assert len(group) == 1 and "活跃成员" in said(group)
    assert len(private) == 1 and "活跃成员" in said(private)
    again = await chat.cmd(MOD, "/givepoints @alice 50 再次感谢")
    assert "活跃成员" not in said(again)
    essay = said(await chat.cmd(MOD, "/givepoints @alice 50 " + "谢" * 201))
    assert essay.startswith("「原因」最多写200个字，这里有201个。")  # nothing given
    text = said(await chat.cmd(ALICE, "/points"))
    assert "可用积分：150" in text and "等级：活跃成员" in text
    assert "距「核心成员」还差350分" in text and "组织线下活动" in text


async def test_first_message_and_early_member_badges(chat: Chat) -> None:
    actions = await chat.say(CAROL, "第一次在群里说话")
    notes = said([a for a in actions if isinstance(a, SendPrivate)])
    assert "初次发言" in notes and "元老成员" in notes
    chat.wait(61)
    assert "勋章" not in said(await chat.say(CAROL, "第二次在群里说话"))


async def test_manual_badges_are_granted_once_and_revocable(chat: Chat) -> None:
    assert "用法" in said(await reply_cmd(chat, MOD, "/grantbadge mvp", BOB, "9"))
    assert "已授予" in said(await reply_cmd(chat, MOD, "/grantbadge mvp 年度贡献", BOB, "9"))
    assert "已经有" in said(await reply_cmd(chat, MOD, "/grantbadge mvp 再来", BOB, "9"))
    assert "没有这个勋章" in said(await reply_cmd(chat, MOD, "/grantbadge nope x", BOB, "9"))
    listing = said(await chat.cmd(BOB, "/badges"))
    assert "社区 MVP" in listing and "还可以争取的勋章" in listing and "签到" in listing
    assert "已收回" in said(await reply_cmd(chat, MOD, "/revokebadge mvp", BOB, "9"))
    assert "没有勋章" in said(await reply_cmd(chat, MOD, "/revokebadge mvp", BOB, "9"))


async def test_a_badge_whose_name_has_a_space_is_named_in_quotes_or_last(chat: Chat) -> None:
    """社区 MVP is granted by its name as members see it, space included: quoted when a
    reason follows, as the rest of the line to revoke it."""
    granted = said(await reply_cmd(chat, MOD, "/grantbadge “社区 MVP” 年度贡献", BOB, "9"))
    assert granted == "已授予@Bob勋章「社区 MVP」。"
    async with chat.app.storage.transaction() as repos:
        group = await repos.chats.get(GROUP.platform, GROUP.id)
        bob = await repos.users.get(BOB.platform, BOB.id)
        assert group and bob
        [badge] = [b for b in await repos.points.badges(group.id, bob.id) if b.badge == "mvp"]
    assert badge.reason == "年度贡献"
    had = said(await chat.cmd(MOD, '/grantbadge 2 "社区 MVP" 再来一次'))
    assert had == "@Bob已经有勋章「社区 MVP」了。"
    # Unquoted, its second word would be the reason: the refusal says how to write it.
    unquoted = said(await reply_cmd(chat, MOD, "/grantbadge 社区 MVP 年度贡献", BOB, "9"))
    assert unquoted.startswith("没有这个勋章")
    assert unquoted.endswith("名字里有空格时请加引号，例如 /grantbadge @成员 “社区 MVP” 原因")
    revoked = said(await reply_cmd(chat, MOD, "/revokebadge 社区 MVP", BOB, "9"))
    assert revoked == "已收回@Bob的勋章「社区 MVP」。"
    assert "没有勋章" in said(await chat.cmd(MOD, "/revokebadge 2 “社区 MVP”"))


# -- leaderboards ----------------------------------------------------------------------------


async def test_top_for_all_time_week_and_month(chat: Chat) -> None:
    await reply_cmd(chat, MOD, "/givepoints 40 上周的活动", BOB, "1")
    chat.wait(7 * 86400)  # next week
    await reply_cmd(chat, MOD, "/givepoints 30 本周的分享", ALICE, "2")
    await chat.cmd(CAROL, "/checkin")
    all_time = said(await chat.cmd(ALICE, "/top")).splitlines()
    assert "Bob — 40" in all_time[1] and "Alice <i> — 30" in all_time[2]
    week = said(await chat.cmd(ALICE, "/top week")).splitlines()
    assert "Alice <i> — 30" in week[1] and "Carol — 5" in week[2] and len(week) == 3
    month = said(await chat.cmd(ALICE, "/top month"))
    assert "Bob — 40" in month and "Alice <i> — 30" in month  # 23 and 30 November
    assert "用法" in said(await chat.cmd(ALICE, "/top year"))


# -- rewards ----------------------------------------------------------------------------------


async def test_redeem_refuse_refunds_and_done_is_final(chat: Chat) -> None:
    assert "马克杯" in said(await chat.cmd(ALICE, "/rewards"))
    short = said(await chat.cmd(ALICE, "/redeem mug"))
    assert "积分不够" in short and await balance(chat, ALICE) == 0
    await reply_cmd(chat, MOD, "/givepoints 40 奖励", ALICE, "1")
    actions = await chat.cmd(ALICE, "/redeem mug")
    assert "已兑换" in said(actions) and await balance(chat, ALICE) == 10
    [card] = [a for a in actions if isinstance(a, NotifyStaff)]
    done, refuse = buttons([SendMessage(chat=GROUP, text=card.text, buttons=card.buttons)])
    assert "已经兑完" in said(await chat.cmd(BOB, "/redeem mug"))  # stock was 1
    staff_chat = MessageRef(private_chat(STAFF), "1")
    assert "只有工作人员" in str(await chat.press(BOB, refuse, on=staff_chat))
    refused = await chat.press(STAFF, refuse, on=staff_chat)
    assert "积分已退回" in said(refused) and await balance(chat, ALICE) == 40
    # Alice never opened a private chat with the bot: she learns the outcome in her group.
    [told] = [a for a in refused if isinstance(a, SendMessage) and a.chat == GROUP]
    assert plain_text(told.text).startswith("@Alice") and "分已退回" in plain_text(told.text)
    assert "马克杯" in said(await chat.cmd(ALICE, "/rewards")) and "剩余1份" in said(
        await chat.cmd(ALICE, "/rewards")
    )
    again = await chat.press(STAFF, done, on=staff_chat)
    assert [a.text for a in again if isinstance(a, AnswerButton)] == ["这个兑换已经处理过了。"]
    assert await balance(chat, ALICE) == 40  # no double refund


async def test_redeem_bad_input(chat: Chat) -> None:
    missing = said(await chat.cmd(ALICE, "/redeem")).splitlines()
    assert missing[:2] == ["缺少「奖励」：", "用法：/redeem 奖励"]
    # Nothing like it: what there is to redeem follows, as /rewards shows it.
    unknown = said(await chat.cmd(ALICE, "/redeem cake")).splitlines()
    assert unknown[0] == "没有叫「cake」的奖励。" and unknown[1] == "可兑换奖励"
    assert any("社群马克杯" in line for line in unknown) and await balance(chat, ALICE) == 0


SPACED_REWARDS = [
    {"id": "coupon10", "name": "10 元优惠券", "name_en": "¥10 coupon", "cost": 20, "stock": 5},
    {"id": "mug", "name": "社群马克杯", "name_en": "Mug", "cost": 30, "stock": 1},
]


async def test_a_reward_is_redeemed_by_the_name_rewards_shows(
    tmp_path: Path, sqlite_storage: Storage, clock: ManualClock
) -> None:
    """The rest of the line names the reward, spaces and all, by command or keyword;
    a name that only resembles one is asked about, and nothing is spent on a guess."""
    c = Chat(points_app(tmp_path, sqlite_storage, clock, rewards=SPACED_REWARDS))
    for user in (ALICE, MOD):
        await c.send(joined(c.now, user))
    await reply_cmd(c, MOD, "/givepoints 100 奖励", ALICE, "1")
    redeemed = said(await c.say(ALICE, "兑换 10 元优惠券"))
    assert redeemed.startswith("🎁 已兑换「10 元优惠券」，扣除20分，剩余80分。")
    assert "已兑换「10 元优惠券」" in said(await c.cmd(ALICE, "/redeem 10元优惠券"))
    assert "已兑换「10 元优惠券」" in said(await c.cmd(ALICE, "/redeem coupon10"))
    assert await balance(c, ALICE) == 40
    guessed = said(await c.say(ALICE, "兑换 马克杯"))
    assert guessed == "没有叫「马克杯」的奖励，你是不是想兑换「社群马克杯」？"
    typo = said(await c.cmd(ALICE, "/redeem 10 元优惠卷"))
    assert typo == "没有叫「10 元优惠卷」的奖励，你是不是想兑换「10 元优惠券」？"
    assert await balance(c, ALICE) == 40
    # A redelivered keyword redeems once.
    event = message(c.now, ALICE, "兑换 社群 马克杯")
    first = said(await c.send(event, key="tg:77"))
    await c.send(event, key="tg:77")
    assert "已兑换「社群马克杯」" in first and await balance(c, ALICE) == 10


async def test_rewards_and_badges_are_found_by_their_names_too(chat: Chat) -> None:
    await reply_cmd(chat, MOD, "/givepoints 20 分享", ALICE, "1")
    assert "优惠券" in said(await chat.cmd(ALICE, "/redeem 优惠券"))  # the name members see
    assert "优惠券" in said(await chat.cmd(ALICE, "/redeem coupon"))  # or its id
    assert await balance(chat, ALICE) == 10
    # In private there is no community to redeem from: said plainly, nothing spent.
    privately = said(await chat.cmd(ALICE, "/redeem coupon", private_chat(ALICE)))
    assert privately == "/redeem 只能在群里使用。" and await balance(chat, ALICE) == 10
    granted = said(await reply_cmd(chat, MOD, "/grantbadge 社区MVP 年度贡献", BOB, "9"))
    assert "已授予" in granted  # "社区 MVP", typed without its space


# -- moderators -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("/givepoints 10", "用法"),
        ("/givepoints -5 坏数字", "1到500"),
        ("/givepoints abc 原因", "用法"),
        ("/givepoints 10000 太多", "1到500"),
        ("/givepoints 0 零", "1到500"),
        ("/givepoints 10", "用法"),
    ],
)
async def test_give_points_refuses_bad_amounts(chat: Chat, text: str, expected: str) -> None:
    assert expected in said(await reply_cmd(chat, MOD, text, ALICE, "1"))
    assert await balance(chat, ALICE) == 0


async def test_targets_must_exist_and_be_members(chat: Chat) -> None:
    assert "用法" in said(await chat.cmd(MOD, "/givepoints"))
    assert "找不到" in said(await chat.cmd(MOD, "/givepoints 123456 5 原因"))
    stranger = person("555", "Stranger")
    await chat.say(stranger, "我只是路过的人")
    await chat.send(joined(chat.now, stranger))
    from tests.helpers import left

    await chat.send(left(chat.now, stranger))
    assert "用法" in said(await chat.cmd(MOD, "/pointslog 谁"))
    assert "@用户名" in said(await chat.cmd(ALICE, "/badges 谁"))
    assert "不是本群成员" in said(await chat.cmd(MOD, "/givepoints 555 5 原因"))


async def test_self_grants_and_the_daily_limit(chat: Chat) -> None:
    assert "不能给自己" in said(await reply_cmd(chat, MOD, "/givepoints 5 自己", MOD, "1"))
    await reply_cmd(chat, MOD, "/givepoints 200 活动", ALICE, "1")
    over = said(await reply_cmd(chat, MOD, "/givepoints 150 又一次", BOB, "2"))
    assert "今天还可以调整100分" in over
    assert "中扣除100分" in said(await reply_cmd(chat, MOD, "/takepoints 100 误加", ALICE, "3"))
    chat.wait(86400)
    assert "已给" in said(await reply_cmd(chat, MOD, "/givepoints 150 新的一天", BOB, "4"))
    log = said(await reply_cmd(chat, MOD, "/pointslog", ALICE, "5"))
    assert "误加" in log and "活动" in log and "操作人：Mod" in log


async def test_self_grants_can_be_allowed(
    tmp_path: Path, sqlite_storage: Storage, clock: ManualClock
) -> None:
    c = Chat(points_app(tmp_path, sqlite_storage, clock, allow_self_grant=True))
    await c.send(joined(c.now, MOD))
    assert "已给" in said(await reply_cmd(c, MOD, "/givepoints 5 自己", MOD, "1"))


async def test_takepoints_never_takes_a_balance_below_zero(chat: Chat) -> None:
    """A moderator is told what the member has, in one line, and nothing changes: a
    balance never goes below zero, as a redemption's never does."""
    nothing = said(await reply_cmd(chat, MOD, "/takepoints 20 违规", BOB, "1"))
    assert nothing == "不能扣除20分：@Bob现在是0分，已经没有可扣的积分了（积分不会扣成负数）。"
    await reply_cmd(chat, MOD, "/givepoints 15 分享", BOB, "2")
    over = said(await reply_cmd(chat, MOD, "/takepoints 20 违规", BOB, "3"))
    assert over == "不能扣除20分：@Bob现在只有15分，积分不会扣成负数（最多可以扣15分）。"
    assert await balance(chat, BOB) == 15
    all_of_it = said(await reply_cmd(chat, MOD, "/takepoints 15 违规", BOB, "4"))
    assert "扣除15分" in all_of_it and "对方当前有0分" in all_of_it
    assert await balance(chat, BOB) == 0
    assert "积分不够" in said(await chat.cmd(BOB, "/redeem coupon"))
    async with chat.app.storage.transaction() as repos:  # a refusal writes no ledger row
        assert await repos.points.ledger_sums() == await repos.points.balances()
        mod = await repos.users.get(MOD.platform, MOD.id)
        assert mod is not None  # and does not count against the moderator's daily limit
        assert await repos.points.actor_total_since(mod.id, MONDAY) == 15 + 15


# -- onboarding and the ledger ------------------------------------------------------------------


async def test_completing_onboarding_earns_points_once(
    tmp_path: Path, sqlite_storage: Storage, clock: ManualClock
) -> None:
    settings = make_settings(tmp_path, faq={"enabled": False})
    c = Chat(build_app(settings, clock=clock, storage=sqlite_storage))
    await c.send(joined(c.now, CAROL))
    await c.say(CAROL, "大家好我是新人")  # activates: onboarding 10 + message 1
    c.wait(61)
    await c.say(CAROL, "再说一句话吧")
    assert await balance(c, CAROL) == 10 + 1 + 1


async def _newcomer_activated_by_checkin(
    tmp_path: Path, storage: Storage, clock: ManualClock
) -> Chat:
    """Carol has just joined a group where a check-in is what activates a newcomer."""
    settings = make_settings(
        tmp_path, faq={"enabled": False}, onboarding={"activation_signals": ["checkin"]}
    )
    c = Chat(build_app(settings, clock=clock, storage=storage))
    await c.send(joined(c.now, CAROL))
    return c


async def test_checkin_activates_a_newcomer(
    tmp_path: Path, sqlite_storage: Storage, clock: ManualClock
) -> None:
    c = await _newcomer_activated_by_checkin(tmp_path, sqlite_storage, clock)
    await c.say(CAROL, "发言不算激活")
    await c.cmd(CAROL, "/checkin")
    async with c.app.storage.transaction() as repos:
        members = await repos.members.onboarding_since(MONDAY - timedelta(days=1))
    assert [m.activation_source for m in members] == ["checkin"]


async def test_a_checkin_that_completes_onboarding_shows_the_balance_points_shows(
    tmp_path: Path, sqlite_storage: Storage, clock: ManualClock
) -> None:
    c = await _newcomer_activated_by_checkin(tmp_path, sqlite_storage, clock)
    first = said(await c.say(CAROL, "签到")).splitlines()
    assert first[:3] == [
        "✅ 签到成功，积分+5，已连续签到1天。",
        "🎉 另得新人引导奖励10分！",
        "当前积分：15",
    ]
    assert "可用积分：15" in said(await c.say(CAROL, "积分"))
    c.wait(86400)
    second = said(await c.cmd(CAROL, "/checkin"))
    assert "新人引导" not in second and "当前积分：20" in second


async def test_every_balance_matches_its_ledger(chat: Chat) -> None:
    await chat.say(ALICE, "说点什么来赚积分")
    await chat.cmd(BOB, "/checkin")
    await reply_cmd(chat, MOD, "/givepoints 40 奖励", CAROL, "1")
    await chat.cmd(CAROL, "/redeem mug")
    await reply_cmd(chat, MOD, "/takepoints 3 纠正", ALICE, "2")
    async with chat.app.storage.transaction() as repos:
        assert await repos.points.ledger_sums() == await repos.points.balances()


# -- invitations ---------------------------------------------------------------------------------


def joined_by_link(at: datetime, who: Any, link_name: str) -> Any:
    from handlers.events import MemberJoined

    return MemberJoined(chat=GROUP, occurred_at=at, member=who, invite_link_name=link_name)


async def test_an_invited_friend_who_stays_earns_the_inviter_points_once(chat: Chat) -> None:
    first = said(await chat.cmd(ALICE, "/invite"))
    assert said(await chat.cmd(ALICE, "/invite")) == first  # one link per member, reused
    name = first.split("/join/-100500/")[1].split()[0]
    dave, erin = person("4", "Dave"), person("5", "Erin")
    await chat.send(joined_by_link(chat.now, dave, name), key="cm-1")
    await chat.send(joined_by_link(chat.now, dave, name), key="cm-1")  # redelivered
    await chat.send(joined_by_link(chat.now, erin, name))
    chat.wait(3600)
    from tests.helpers import left

    await chat.send(left(chat.now, erin))  # Erin does not stay
    await chat.app.sweep()
    assert await balance(chat, ALICE) == 0  # not yet: the stay is three days
    chat.wait(3 * 86400)
    paid = await chat.app.sweep()
    assert "Dave" in said(paid) and "邀请奖励20积分" in said(paid)
    assert await balance(chat, ALICE) == 20
    await chat.app.sweep()
    chat.wait(86400)
    await chat.app.sweep()  # settled once, whatever further sweeps
    assert await balance(chat, ALICE) == 20
    assert "社群推广" not in said(paid)  # the badge needs three friends


async def test_self_invites_rejoins_and_strangers_earn_nothing(chat: Chat) -> None:
    text = said(await chat.cmd(BOB, "/invite"))
    name = text.split("/join/-100500/")[1].split()[0]
    await chat.send(joined_by_link(chat.now, BOB, name))  # Bob is already a member
    await chat.send(joined_by_link(chat.now, person("6", "Fay"), "someone-else's-link"))
    await chat.send(joined_by_link(chat.now, person("7", "Gus"), "sq:99999"))  # unknown inviter
    chat.wait(4 * 86400)
    await chat.app.sweep()
    assert await balance(chat, BOB) == 0


async def test_reactions_from_three_others_make_a_message_helpful(chat: Chat) -> None:
    from handlers.events import ReactionAdded

    post = message(chat.now, ALICE, "这是一个很有用的经验分享")
    await chat.send(post)
    dave = person("8", "Dave")

    async def react(who: Any, ref: MessageRef = post.message) -> None:
        await chat.send(ReactionAdded(chat=GROUP, occurred_at=chat.now, sender=who, message=ref))

    await react(ALICE)  # one's own reaction does not count
    await react(BOB)
    await react(BOB)  # nor twice
    await react(CAROL)
    assert await balance(chat, ALICE) == 1
    await react(dave)
    assert await balance(chat, ALICE) == 1 + 10
    await react(MOD)  # a fourth person: already counted
    await react(BOB, MessageRef(GROUP, "424242"))  # a message that earned nothing
    assert await balance(chat, ALICE) == 11
