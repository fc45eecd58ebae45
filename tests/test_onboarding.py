"""The onboarding flow, driven through the real dispatcher, sweep and an SQLite
file with a manual clock: each step, adaptation, batching, quiet hours, stale
steps, exactly-once delivery and the funnel."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.app import App, build_app
from bot.channels.rendering import plain_text
from handlers.actions import (
    Action,
    DeleteMessage,
    NotifyStaff,
    Receipt,
    SendMessage,
    SendPrivate,
    Sent,
    receipt_for,
)
from handlers.clock import ManualClock
from handlers.events import ButtonPressed
from handlers.onboarding.funnel import compute_funnel
from storage.database import Storage
from storage.records import MemberRecord
from tests.conftest import FakePlatform, make_settings
from tests.helpers import GROUP, command, incoming, joined, left, message, person, private_chat

# 10:00 in Shanghai, on a minute boundary: batching windows and quiet hours are deterministic.
MORNING = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)
ALICE, BOB, CAROL = person("1", "Alice"), person("2", "Bob <b>"), person("3", "Carol")
MOD = person("42", "Mod")


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(start=MORNING)


def onboarding_app(
    tmp_path: Path, storage: Storage, clock: ManualClock, **onboarding: object
) -> App:
    values: dict[str, object] = {
        "welcomers": ["testnet:900", "testnet:901"],
        "essential_content": [{"title": "新手指南 <必读>", "url": "https://example.com/start"}],
    }
    values.update(onboarding)
    return build_app(make_settings(tmp_path, onboarding=values), clock=clock, storage=storage)


@pytest.fixture
async def app(tmp_path: Path, sqlite_storage: Storage, clock: ManualClock) -> App:
    return onboarding_app(tmp_path, sqlite_storage, clock)


class Harness:
    """Sends updates, moves time, sweeps, and 'delivers' like a channel that never fails."""

    def __init__(self, app: App, platform: FakePlatform) -> None:
        self.app, self.platform = app, platform

    @property
    def now(self) -> datetime:
        return self.app.clock.now()

    async def send(self, *events, key: str | None = None) -> list[Action]:
        return await self.app.dispatcher.handle(incoming(*events, key=key), self.platform)

    async def start_bot(self, user) -> None:
        await self.send(command(self.now, user, "/start", private_chat(user)))

    async def sweep(self, after: timedelta = timedelta(0)) -> list[Action]:
        self.app.clock.advance(after)  # type: ignore[attr-defined]
        actions = await self.app.sweep()
        # Delivered like a channel that never fails (receipt_for says how each reached).
        await self.app.record([r for a in actions if (r := receipt_for(a, None)) is not None])
        return actions

    async def counts(self) -> dict[str, int]:
        async with self.app.storage.transaction() as repos:
            return await repos.deliveries.status_counts("onboarding.")

    async def member(self, user) -> MemberRecord:
        async with self.app.storage.transaction() as repos:
            chat = await repos.chats.get(GROUP.platform, GROUP.id)
            stored = await repos.users.get(user.platform, user.id)
            assert chat and stored
            found = await repos.members.get(chat.id, stored.id)
            assert found is not None
            return found


@pytest.fixture
def h(app: App, platform: FakePlatform) -> Harness:
    platform.admins.add(MOD.id)
    return Harness(app, platform)


def to(actions: list[Action], user) -> list[str]:
    return [
        plain_text(a.text) for a in actions if isinstance(a, SendPrivate) and a.user.id == user.id
    ]


def group_posts(actions: list[Action]) -> list[str]:
    return [plain_text(a.text) for a in actions if isinstance(a, SendMessage) and a.chat == GROUP]


def staff(actions: list[Action]) -> list[str]:
    return [plain_text(a.text) for a in actions if isinstance(a, NotifyStaff)]


async def test_a_join_schedules_the_flow_once(h: Harness) -> None:
    await h.send(joined(h.now, ALICE), key="chat_member-1")
    await h.send(joined(h.now, ALICE), key="message-2")  # the service message of the same join
    await h.send(joined(h.now, ALICE), key="chat_member-1")  # a redelivery
    assert await h.counts() == {"pending": 7}  # the group welcome and six steps


async def test_a_lone_newcomer_is_welcomed_at_once_and_a_burst_shares_one(h: Harness) -> None:
    await h.send(joined(h.now, ALICE))
    [first] = group_posts(await h.sweep())  # due at once: no waiting for a window
    assert "@Alice" in first
    h.app.clock.advance(timedelta(seconds=20))  # type: ignore[attr-defined]
    await h.send(joined(h.now, BOB))
    await h.send(joined(h.now, CAROL))
    assert group_posts(await h.sweep()) == []  # a burst right after a welcome waits…
    [welcome] = group_posts(await h.sweep(timedelta(seconds=45)))
    assert "@Bob <b>和@Carol" in welcome and "Alice" not in welcome  # …for one message
    assert group_posts(await h.sweep(timedelta(minutes=5))) == []
    await h.send(joined(h.now, person("4", "Dan")))
    [later] = group_posts(await h.sweep())  # quiet again: the next newcomer at once
    assert "@Dan" in later


async def test_day_zero_private_welcome_and_buddy(h: Harness) -> None:
    await h.start_bot(ALICE)
    await h.send(joined(h.now, ALICE), joined(h.now, BOB))
    actions = await h.sweep(timedelta(minutes=1))
    [private] = [a for a in actions if isinstance(a, SendPrivate)]
    assert private.user.id == ALICE.id and "群规" in plain_text(private.text)
    assert private.buttons and private.buttons[0][0].data.startswith("onboarding:start:")
    buddies = staff(actions)
    # Welcomers are assigned round-robin and named by id until they are known.
    assert any("testnet:900" in b and "@Alice" in b for b in buddies)
    assert any("testnet:901" in b and "@Bob <b>" in b for b in buddies)
    assert (await h.counts()).get("skipped") == 1  # Bob never started the bot: no private welcome


async def test_the_english_buddy_notice_without_welcomers_starts_a_sentence(
    tmp_path: Path, sqlite_storage: Storage, clock: ManualClock, platform: FakePlatform
) -> None:
    settings = make_settings(tmp_path, community={"language": "en"}, onboarding={"welcomers": []})
    h = Harness(build_app(settings, clock=clock, storage=sqlite_storage), platform)
    await h.send(joined(h.now, ALICE))
    [buddy] = staff(await h.sweep(timedelta(minutes=1)))
    assert buddy.startswith("👋 The community team: new member @Alice has just joined")


async def test_steps_adapt_to_what_the_member_did(h: Harness) -> None:
    for user in (ALICE, BOB):
        await h.start_bot(user)
        await h.send(joined(h.now, user))
    await h.sweep(timedelta(minutes=1))
    await h.send(message(h.now, ALICE, "大家好，我是 Alice"))
    day1 = await h.sweep(timedelta(days=1))
    assert to(day1, ALICE) == [] and "自我介绍" in to(day1, BOB)[0]
    day3 = await h.sweep(timedelta(days=2))
    assert "已经在群里发言" in to(day3, ALICE)[0] and "testnet:900" in to(day3, ALICE)[0]
    assert "三天了" in to(day3, BOB)[0]
    day7 = await h.sweep(timedelta(days=4))
    assert "新手指南 <必读> (https://example.com/start)" in to(day7, ALICE)[0]
    day14 = await h.sweep(timedelta(days=7))
    assert "谢谢你的参与" in to(day14, ALICE)[0] and "来说说你的看法" in to(day14, BOB)[0]
    assert (await h.counts()).get("pending", 0) == 0


async def test_a_blocked_member_is_mentioned_in_the_group(h: Harness) -> None:
    await h.start_bot(BOB)  # …who may block the bot later: the fallback is the group
    await h.send(joined(h.now, BOB))
    await h.sweep(timedelta(minutes=1))
    [checkin] = [a for a in await h.sweep(timedelta(days=3)) if isinstance(a, SendPrivate)]
    assert checkin.fallback_chat == GROUP and not checkin.tell_staff_if_refused


async def test_a_member_who_left_gets_nothing_more(h: Harness) -> None:
    await h.start_bot(ALICE)
    await h.send(joined(h.now, ALICE))
    await h.sweep(timedelta(minutes=1))
    await h.send(left(h.now, ALICE))
    assert to(await h.sweep(timedelta(days=15)), ALICE) == []
    assert (await h.counts()).get("pending", 0) == 0


async def test_rejoining_continues_instead_of_restarting(h: Harness) -> None:
    for _ in range(20):  # twenty joins and leaves within a minute
        await h.send(joined(h.now, ALICE))
        await h.send(left(h.now, ALICE))
    await h.send(joined(h.now, ALICE))
    welcomes = group_posts(await h.sweep(timedelta(minutes=2)))
    assert len(welcomes) == 1
    assert sum((await h.counts()).values()) == 7  # one flow only


async def test_restart_on_rejoin_when_configured(
    tmp_path: Path, sqlite_storage: Storage, clock: ManualClock
) -> None:
    app = onboarding_app(tmp_path, sqlite_storage, clock, restart_on_rejoin=True)
    h = Harness(app, FakePlatform())
    await h.send(joined(h.now, ALICE))
    await h.send(left(h.now, ALICE))
    await h.send(joined(h.now, ALICE))  # within a day: no restart
    assert sum((await h.counts()).values()) == 7
    h.app.clock.advance(timedelta(days=2))  # type: ignore[attr-defined]
    await h.send(left(h.now, ALICE))
    await h.send(joined(h.now, ALICE))
    assert sum((await h.counts()).values()) == 14


async def test_bots_start_no_flow(h: Harness) -> None:
    await h.send(joined(h.now, person("77", "HelperBot", is_bot=True)))
    assert await h.counts() == {}


async def test_steps_that_went_stale_while_down_are_not_sent(h: Harness) -> None:
    await h.start_bot(ALICE)
    await h.send(joined(h.now, ALICE))
    actions = await h.sweep(timedelta(days=9))  # the bot was down for nine days
    [digest] = to(actions, ALICE)
    assert "精华内容" in digest  # only the day-7 digest is still worth sending
    assert (
        group_posts(actions) == [] and staff(actions) == []
    )  # a nine-day-old welcome would be odd
    counts = await h.counts()
    assert counts["stale"] == 5 and counts["sent"] == 1 and counts["pending"] == 1


async def test_quiet_hours_hold_private_messages_until_morning(h: Harness) -> None:
    await h.start_bot(ALICE)
    h.app.clock.advance(timedelta(hours=13))  # type: ignore[attr-defined]  23:00 in Shanghai
    await h.send(joined(h.now, ALICE))
    night = await h.sweep(timedelta(minutes=1))
    assert len(group_posts(night)) == 1 and to(night, ALICE) == []
    assert to(await h.sweep(timedelta(hours=8)), ALICE) == []  # 07:01: still quiet
    [morning] = to(await h.sweep(timedelta(hours=1)), ALICE)  # 08:01
    assert "群规" in morning


async def test_racing_sweeps_send_each_delivery_once(h: Harness) -> None:
    for index in range(30):
        user = person(str(100 + index), f"新人{index}")
        await h.start_bot(user)
        await h.send(joined(h.now, user))
    h.app.clock.advance(timedelta(minutes=1))  # type: ignore[attr-defined]
    first, second = await asyncio.gather(h.app.sweep(), h.app.sweep())
    receipts = [d for a in first + second for d in a.deliveries]
    assert len(receipts) == len(set(receipts)) == 1 + 30 + 30  # welcome, private welcomes, buddies


async def test_refused_deliveries_are_recorded_with_the_reason(h: Harness) -> None:
    await h.start_bot(ALICE)
    await h.send(joined(h.now, ALICE))
    h.app.clock.advance(timedelta(minutes=1))  # type: ignore[attr-defined]
    actions = await h.app.sweep()
    await h.app.record(
        [
            Receipt(
                ok=False, deliveries=a.deliveries, error="Forbidden: bot was blocked by the user"
            )
            for a in actions
            if a.deliveries
        ]
    )
    assert (await h.counts())["failed"] == 3
    assert to(await h.sweep(timedelta(minutes=5)), ALICE) == []  # not retried


async def test_start_button_activates(h: Harness) -> None:
    await h.start_bot(ALICE)
    await h.send(joined(h.now, ALICE))
    [private] = [a for a in await h.sweep(timedelta(minutes=1)) if isinstance(a, SendPrivate)]
    data, at = private.buttons[0][0].data, h.now
    press = ButtonPressed(
        chat=private_chat(ALICE),
        occurred_at=at,
        sender=ALICE,
        message=None,
        data=data,
        press_id="p1",
    )
    actions = await h.send(press)
    assert any("第一步" in plain_text(a.text) for a in actions if isinstance(a, SendMessage))
    member = await h.member(ALICE)
    assert member.activated_at == at and member.activation_source == "start_button"


async def test_a_message_activates_within_the_window_only(h: Harness) -> None:
    await h.send(joined(h.now, ALICE), joined(h.now, BOB))
    await h.send(message(h.now + timedelta(days=2), ALICE, "hi"))
    h.app.clock.advance(timedelta(days=15))  # type: ignore[attr-defined]
    await h.send(message(h.now, BOB, "finally"))
    alice, bob = await h.member(ALICE), await h.member(BOB)
    assert alice.activation_source == "message" and bob.activated_at is None


async def test_moderators_set_and_preview_the_welcome(h: Harness) -> None:
    [refused] = await h.send(command(h.now, MOD, "/setwelcome 你好 {nickname}"))
    assert "{nickname}" in plain_text(refused.text) and "{name}" in plain_text(refused.text)
    [broken] = await h.send(command(h.now, MOD, "/setwelcome 你好 {name"))
    assert "{" in plain_text(broken.text)
    [saved] = await h.send(command(h.now, MOD, "/setwelcome <b>欢迎</b> {name} 来到 {group}！"))
    assert "&lt;b&gt;欢迎&lt;/b&gt;" in str(saved.text) and "@Mod" in plain_text(saved.text)
    [denied] = await h.send(command(h.now, ALICE, "/setwelcome hi"))
    assert "仅限管理员" in plain_text(denied.text)
    await h.send(joined(h.now, CAROL))
    [welcome] = group_posts(await h.sweep(timedelta(minutes=1)))
    assert welcome == "<b>欢迎</b> @Carol 来到 测试群 <Test> & co！"
    [preview] = await h.send(command(h.now, MOD, "/welcome"))
    assert "已开启" in plain_text(preview.text)


async def test_onboarding_can_be_switched_off_per_chat(h: Harness) -> None:
    [off] = await h.send(command(h.now, MOD, "/onboarding off"))
    assert "已关闭" in plain_text(off.text)
    await h.send(joined(h.now, ALICE))
    assert await h.counts() == {}
    [usage] = await h.send(command(h.now, MOD, "/onboarding sideways"))
    assert "用法" in plain_text(usage.text)


async def test_funnel_command(h: Harness) -> None:
    for user in (ALICE, BOB, CAROL):
        await h.send(joined(h.now, user))
    await h.sweep(timedelta(minutes=1))
    await h.send(message(h.now + timedelta(days=1), ALICE, "hi"))
    await h.send(message(h.now + timedelta(days=5), BOB, "hello"))
    await h.send(left(h.now + timedelta(days=6), CAROL))
    h.app.clock.advance(timedelta(days=6))  # type: ignore[attr-defined]
    [funnel] = await h.send(command(h.now, MOD, "/onboarding"))
    text = plain_text(funnel.text)
    for line in (
        "加入：3人",
        "已欢迎：3人（100.0%）",
        "3天内激活：1人（33.3%）",
        "7天内激活：2人（66.7%）",
        "已离开：1人（33.3%）",
        "2026-11-23：加入3人",
    ):
        assert line in text, text


def test_funnel_counts_each_milestone_and_cohort() -> None:
    zone = __import__("zoneinfo").ZoneInfo("Asia/Shanghai")
    monday = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)

    def member(
        days_after: float, activated: float | None, left: bool = False, week: int = 0
    ) -> MemberRecord:
        start = monday + timedelta(days=days_after + 7 * week)
        return MemberRecord(
            id=1,
            chat_id=1,
            user_id=1,
            joined_at=start,
            left_at=start if left else None,
            first_seen_at=start,
            last_active_at=None,
            message_count=0,
            onboarding_started_at=start,
            welcomed_at=start,
            activated_at=start + timedelta(days=activated) if activated is not None else None,
        )

    rows = [
        member(0, 1),
        member(1, 6),
        member(2, 13.9),
        member(3, 20),
        member(0, None, left=True),
        member(0, 2, week=1),
    ]
    funnel = compute_funnel(rows, monday - timedelta(days=1), zone)
    assert funnel.total.joined == 6 and funnel.total.left == 1
    assert funnel.total.activated == {3: 2, 7: 3, 14: 4}
    assert [row.joined for _, row in sorted(funnel.cohorts.items())] == [5, 1]
    assert funnel.as_dict()["total"]["activated_percent"]["14d"] == 66.7


async def test_day_seven_digest_lists_the_most_asked_faq_entries(h: Harness) -> None:
    await h.send(command(h.now, MOD, "/addfaq 积分怎么兑换礼品？ | 在积分商城兑换。"))
    await h.send(command(h.now, MOD, "/addfaq 直播有回放吗？ | 有，两小时内上传。"))
    for _ in range(2):
        await h.send(command(h.now, BOB, "/ask 直播能看回放吗"))
    await h.send(command(h.now, BOB, "/ask 积分怎么兑换礼品"))
    await h.start_bot(ALICE)
    await h.send(joined(h.now, ALICE))
    actions = await h.sweep(timedelta(days=7, minutes=1))
    [digest] = [text for text in to(actions, ALICE) if "精华内容" in text]
    assert "大家最常问的问题" in digest
    assert digest.index("直播有回放吗") < digest.index("积分怎么兑换礼品")


async def test_the_digest_is_sent_with_faq_entries_alone(
    tmp_path: Path, sqlite_storage: Storage, clock: ManualClock, platform: FakePlatform
) -> None:
    platform.admins.add(MOD.id)
    h = Harness(onboarding_app(tmp_path, sqlite_storage, clock, essential_content=[]), platform)
    await h.start_bot(ALICE)
    await h.send(joined(h.now, ALICE))
    first = await h.sweep(timedelta(days=7, minutes=1))
    assert not [text for text in to(first, ALICE) if "精华内容" in text]  # nothing to share
    await h.send(command(h.now, MOD, "/addfaq 直播有回放吗？ | 有。"))
    await h.send(command(h.now, BOB, "/ask 直播有回放吗"))
    await h.start_bot(CAROL)
    await h.send(joined(h.now, CAROL))
    later = await h.sweep(timedelta(days=7, minutes=1))
    [digest] = [text for text in to(later, CAROL) if "精华内容" in text]
    assert "直播有回放吗" in digest


async def test_day_fourteen_names_the_current_topic(h: Harness) -> None:
    await h.send(command(h.now, MOD, "/addtopic weekend 你最近读了什么书？"))
    await h.start_bot(ALICE)
    await h.send(joined(h.now, ALICE), joined(h.now, BOB))  # Tuesday 10:00; Bob never starts
    await h.sweep()  # the group gets the built-in schedules (weekend: Saturdays 20:00)
    posted = await h.sweep(timedelta(days=4, hours=10, minutes=30))  # Saturday 20:30
    assert any("你最近读了什么书" in text for text in group_posts(posted))
    actions = await h.sweep(timedelta(days=9, hours=14))  # day 14 for Alice and Bob
    [guide] = [text for text in to(actions, ALICE) if "本期话题" in text]
    assert "本期话题：你最近读了什么书？" in guide
    # Bob is greeted in the group: that greeting names the discussion too.
    [greeting] = [text for text in group_posts(actions) if "两周了" in text]
    assert "@Bob <b>" in greeting and "本期话题：你最近读了什么书？" in greeting


# -- reaching members who never opened a private chat ----------------------------------


async def test_members_the_bot_cannot_write_to_are_greeted_together_in_the_group(
    h: Harness,
) -> None:
    """Most group members never start the bot: days 3, 7 and 14 reach them in the group,
    one message per group and step for that day, with the link to a private chat."""
    dan = person("4", "Dan")
    await h.start_bot(dan)
    await h.send(joined(h.now, ALICE), joined(h.now, BOB), joined(h.now, dan))
    h.app.clock.advance(timedelta(hours=5))  # type: ignore[attr-defined]  15:00
    await h.send(joined(h.now, CAROL))
    await h.sweep(timedelta(minutes=1))
    for days, words in ((3, "三天啦"), (7, "一周了"), (14, "两周了")):
        # 10:01 on the day of the morning joiners: Carol (due at 15:00) is named too.
        actions = await h.sweep(timedelta(days=days) - (h.now - MORNING) + timedelta(minutes=1))
        [greeting] = [post for post in group_posts(actions) if words in post]
        assert "@Alice、@Bob <b>和@Carol" in greeting and "Dan" not in greeting
        assert "点这里私聊我" in greeting
        assert to(actions, dan)  # Dan started the bot: his message is private
        [message] = [a for a in actions if isinstance(a, SendMessage) and words in a.text]
        assert 'href="start:onboarding"' in str(message.text) and len(message.deliveries) == 3
        later = await h.sweep(timedelta(hours=6))  # Carol's own due time: nothing again
        assert not [post for post in group_posts(later) if words in post]
    [report] = await h.send(command(h.now, MOD, "/onboarding"))
    shown = plain_text(report.text)
    for line in (
        "第3天问候：私信1人 · 群内3人 · 未送达0人",
        "第7天精华内容：私信1人 · 群内3人 · 未送达0人",
        "第14天话题引导：私信1人 · 群内3人 · 未送达0人",
        "入群私信：私信1人 · 群内0人 · 未送达3人（没私聊过机器人3人）",
    ):
        assert line in shown, shown
    assert shown.index("入群私信") < shown.index("第3天问候") < shown.index("第14天")


async def test_group_greetings_respect_quiet_hours_and_skip_who_left(h: Harness) -> None:
    h.app.clock.advance(timedelta(hours=13))  # type: ignore[attr-defined]  23:00
    await h.send(joined(h.now, ALICE), joined(h.now, BOB))
    await h.sweep(timedelta(minutes=1))
    await h.send(left(h.now, BOB))
    night = await h.sweep(timedelta(days=3))  # 23:01 on day 3: quiet hours
    assert not [post for post in group_posts(night) if "三天啦" in post]
    [morning] = [p for p in group_posts(await h.sweep(timedelta(hours=9))) if "三天啦" in p]
    assert "@Alice" in morning and "Bob" not in morning  # 08:01, and Bob left


async def test_the_previous_welcome_can_be_removed(
    tmp_path: Path, sqlite_storage: Storage, clock: ManualClock
) -> None:
    app = onboarding_app(tmp_path, sqlite_storage, clock, delete_previous_welcome=True)
    h = Harness(app, FakePlatform())
    await h.send(joined(h.now, ALICE))
    [first] = [a for a in await h.sweep() if isinstance(a, SendMessage)]
    await h.app.record([Receipt(ok=True, tag=first.tag, sent=(Sent("testnet", GROUP.id, "77"),))])
    await h.send(joined(h.now + timedelta(minutes=5), BOB))
    second = await h.sweep(timedelta(minutes=5))
    [removed] = [a for a in second if isinstance(a, DeleteMessage)]
    assert removed.message.id == "77" and removed.message.chat.id == GROUP.id
    assert any("@Bob <b>" in post for post in group_posts(second))
