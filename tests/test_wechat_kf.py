"""The 微信客服 channel in process, against the fake WeCom server: callbacks with real
crypto, pulling with cursors, the member's window counted here, held messages, and
messages never handled twice."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from markupsafe import Markup
from starlette.applications import Starlette

from bot.app import App, build_app
from bot.channels.hub import ChannelHub
from bot.channels.wechat.kf_channel import WeChatKfChannel
from bot.startup import StartupError
from handlers.actions import NotifyStaff, SendPrivate, Tag
from handlers.clock import ManualClock
from handlers.events import UserRef
from handlers.onboarding.flow import STEP_KIND
from handlers.onboarding.funnel import compute_reach
from storage.database import Storage
from tests.conftest import make_settings
from tests.fake_wechat import FakeWeCom

KF = "wkShequnKF"
ALICE = "wmAlice"


@pytest.fixture
async def wecom() -> AsyncIterator[FakeWeCom]:
    fake = FakeWeCom()
    fake.add_account(KF)
    fake.add_member(ALICE, "小王")
    await fake.start()
    yield fake
    await fake.stop()


class Rig:
    """The channel wired as ``shequn run`` wires it, with its routes on an ASGI client."""

    def __init__(self, app: App, channel: WeChatKfChannel, wecom: FakeWeCom) -> None:
        self.app, self.channel, self.wecom = app, channel, wecom
        self.client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=Starlette(routes=channel.routes())),
            base_url="http://shequn.test",
        )

    async def callback(self, query: dict[str, str] | None = None, body: bytes = b"") -> int:
        if query is None:
            query, body, _ = self.wecom.encrypted_callback(KF)
        response = await self.client.post("/wechat/kf", params=query, content=body)
        return response.status_code

    async def says(self, text: str, **extra: str) -> None:
        self.wecom.customer_says(KF, ALICE, text, **extra)
        assert await self.callback() == 200
        await self.settle()

    async def settle(self) -> None:
        """Wait for the channel's background pulls to finish (a condition, not a sleep)."""
        for _ in range(400):
            if not self.channel._tasks:
                return
            await asyncio.sleep(0.01)
        raise AssertionError("the channel never finished pulling")

    def travel(self, span: timedelta) -> None:
        """Time passes for Shequn and for WeChat alike."""
        self.app.clock.advance(span)
        self.wecom.advance(span.total_seconds())

    async def sweep(self) -> None:
        """What the scheduler does: due work carried out, its deliveries closed."""
        await self.app.record(await self.channel.deliver(await self.app.sweep()))

    def texts(self) -> list[str]:
        return [
            sent.content.get("content") or sent.content.get("head_content", "")
            for sent in self.wecom.sent_to(ALICE)
        ]


@pytest.fixture
async def rig(
    tmp_path: Path, sqlite_storage: Storage, wecom: FakeWeCom
) -> AsyncIterator[Callable[[], Any]]:
    clock = ManualClock(start=datetime.fromtimestamp(wecom.clock, UTC))
    made: list[Rig] = []

    async def make(**overrides: Any) -> Rig:
        settings = make_settings(
            tmp_path,
            **overrides,
            staff={"chat": "telegram:-100"},
            wechat={
                "api_base_url": wecom.base_url,
                "kf": {
                    "corp_id": wecom.corp_id,
                    "secret": wecom.secret,
                    "token": wecom.callback_token,
                    "encoding_aes_key": wecom.encoding_aes_key,
                },
            },
        )
        app = build_app(settings, clock=clock, storage=sqlite_storage)
        await app.prepare()
        channel = WeChatKfChannel(settings.wechat, app.dispatcher, app.storage, clock)
        hub = ChannelHub([channel], settings.staff, app.texts)
        channel.deliver = hub.deliver_from(channel.name)
        await channel.start()
        rig = Rig(app, channel, wecom)
        await rig.settle()
        made.append(rig)
        return rig

    yield make
    for rig in made:
        await rig.channel.stop()
        await rig.client.aclose()


async def test_a_member_is_answered_through_send_msg(rig: Callable[[], Any]) -> None:
    r = await rig()
    await r.says("帮助")  # a keyword: /help
    [answer] = r.texts()
    assert "/complain" in answer and "/checkin" in answer  # group features, one to one
    await r.says("签到")
    assert "签到成功" in r.texts()[-1]
    await r.says("积分")  # kept in the 客服账号's community
    assert "5" in r.texts()[-1]
    async with r.app.storage.transaction() as repos:
        assert await repos.channel_state.get("wechat", f"cursor:{KF}")


async def test_at_most_five_messages_then_held_until_the_member_writes(
    rig: Callable[[], Any],
) -> None:
    r = await rig()
    await r.says("你好")
    before = len(r.wecom.sent_to(ALICE))
    member = UserRef("wechat", ALICE, "小王")
    notes = [
        SendPrivate(user=member, text=Markup(f"通知 {n}"), tag=Tag("note", n)) for n in range(1, 7)
    ]
    receipts = await r.channel.deliver(notes)
    sent = len(r.wecom.sent_to(ALICE)) - before
    assert before + sent == 5  # the window's five, counted here
    assert not r.wecom.calls("kf/send_msg")[5:] or all(
        call.errcode == 0 for call in r.wecom.calls("kf/send_msg")
    )  # never sent outside the window: WeChat never answered 95001
    assert [receipt.error for receipt in receipts if not receipt.ok] == ["window_closed"] * (
        6 - sent
    )
    await r.says("在吗")  # the member writes: what was held goes out first
    assert "通知 6" in "\n".join(r.texts())


async def test_nothing_goes_out_48_hours_after_the_members_last_message(
    rig: Callable[[], Any],
) -> None:
    r = await rig()
    await r.says("你好")
    calls = len(r.wecom.calls("kf/send_msg"))
    r.app.clock.advance(timedelta(hours=48, minutes=1))
    r.wecom.advance(48 * 3600 + 60)
    member = UserRef("wechat", ALICE, "小王")
    [receipt] = await r.channel.deliver(
        [SendPrivate(user=member, text=Markup("第 3 天"), deliveries=(1,))]
    )
    assert receipt.error == "window_closed" and receipt.skipped
    assert len(r.wecom.calls("kf/send_msg")) == calls  # not even tried
    await r.says("在吗")
    assert not any("第 3 天" in text for text in r.texts())  # scheduled work is not held


async def test_a_scheduled_message_goes_whole_or_not_at_all(rig: Callable[[], Any]) -> None:
    """A scheduled message in two parts when the window has one left: none of it goes
    (half a message is worse than none); the slot stays for the member's answer."""
    r = await rig()
    await r.says("你好")  # answered: 1 of 5
    member = UserRef("wechat", ALICE, "小王")
    await r.channel.deliver(
        [SendPrivate(user=member, text=Markup(f"通知 {n}"), tag=Tag("note", n)) for n in range(3)]
    )
    calls = len(r.wecom.calls("kf/send_msg"))
    long = Markup("长" * 1000)  # 3,000 bytes: two messages
    [receipt] = await r.channel.deliver([SendPrivate(user=member, text=long, deliveries=(1,))])
    assert receipt.skipped and receipt.error == "window_closed"
    assert len(r.wecom.calls("kf/send_msg")) == calls
    await r.channel.deliver([SendPrivate(user=member, text=Markup("最后一条"))])
    assert r.texts()[-1] == "最后一条"  # the fifth slot was still free


async def test_a_wechat_member_is_onboarded_inside_their_window(rig: Callable[[], Any]) -> None:
    """Opening the chat joins the 客服账号's community; days 3, 7 and 14 go out only
    while the member's 48-hour window is open, and a step that falls outside it is
    skipped (not held for later) with the reason the reports show."""
    guide = {"title": "新手指南", "url": "https://example.com/guide"}
    r = await rig(
        onboarding={"quiet_hours": None, "essential_content": [guide]},
        community={"moderators": [f"wechat:{ALICE}"]},  # to read /onboarding at the end
    )
    r.wecom.enter_session(KF, ALICE)
    assert await r.callback() == 200
    await r.settle()
    await r.sweep()
    assert len(r.texts()) == 1  # the greeting on the welcome code, nothing else on day 0
    r.travel(timedelta(days=2))
    await r.says("签到")  # day 2: the window opens
    r.travel(timedelta(days=1, minutes=1))
    await r.sweep()
    assert "三天啦" in r.texts()[-1]  # day 3, inside the window
    r.travel(timedelta(days=4))
    calls = len(r.wecom.calls("kf/send_msg"))
    await r.sweep()  # day 7: the member last wrote five days ago
    assert len(r.wecom.calls("kf/send_msg")) == calls
    r.travel(timedelta(days=6))
    await r.says("积分")  # day 13
    assert not any("精华内容" in text for text in r.texts())  # the day-7 step was not held
    r.travel(timedelta(days=1))
    await r.sweep()
    assert "两周" in r.texts()[-1]
    async with r.app.storage.transaction() as repos:
        community = await repos.chats.get("wechat", f"kf:{KF}")
        assert community is not None and community.kind == "service"
        since = r.app.clock.now() - timedelta(days=30)
        outcomes = await repos.deliveries.outcomes(community.id, since, STEP_KIND, "private")
        [member] = await repos.members.onboarding_since(since, community.id)
    reach = compute_reach(outcomes, STEP_KIND)
    assert set(reach) == {"checkin", "digest", "topic"}  # the steps meant for one to one
    assert reach["checkin"].private == 1 and reach["topic"].private == 1
    assert reach["digest"].missed == 1 and reach["digest"].reasons == {"window_closed": 1}
    assert member.activated_at is not None and member.welcomed_at is not None
    await r.says("/onboarding")  # a moderator on WeChat: the 客服账号's funnel
    assert "精华内容：私信0人 · 群内0人 · 未送达1人（微信窗口已关闭" in r.texts()[-1]


async def test_a_member_who_writes_before_ever_opening_a_session_joins_too(
    rig: Callable[[], Any],
) -> None:
    """A member who wrote before Shequn was set up never sends ``enter_session``: their
    first message is their join; their messages after it are not joins again."""
    r = await rig()
    await r.says("你好")
    await r.says("在吗")
    r2 = await rig()  # a restart: the first message seen again is no second join
    await r2.says("还在")
    async with r.app.storage.transaction() as repos:
        community = await repos.chats.get("wechat", f"kf:{KF}")
        assert community is not None
        joins = await repos.events.count("member_joined", chat_id=community.id)
    assert joins == 1


async def test_wechat_help_leaves_out_what_wechat_cannot_do(rig: Callable[[], Any]) -> None:
    r = await rig()
    await r.says("帮助")
    assert "/checkin" in r.texts()[-1] and "/invite" not in r.texts()[-1]


async def test_a_wechat_member_reads_what_is_true_one_to_one(rig: Callable[[], Any]) -> None:
    """No group, no private chat to open, nobody else to @: the greeting, the help, the
    fallback and the points say what a member has here (the ``.one_to_one`` texts)."""
    r = await rig()
    r.wecom.enter_session(KF, ALICE, scene_param="poster")  # a QR code's scene, not /start
    assert await r.callback() == 200
    await r.settle()
    [opened] = r.wecom.calls("kf/send_msg_on_event")
    greeting = opened.body["text"]["content"]
    assert greeting.startswith("你好，小王！我是") and greeting.endswith(
        "发「帮助」看看我能做什么。"
    )
    assert "私聊已开启" not in greeting and "话题" not in greeting
    await r.says("帮助")
    help_text = r.texts()[-1]
    assert (
        "/help — 显示你在这里能用的命令" in help_text
        and "/id — 查看你的 ID（用于配置）" in help_text
    )
    assert not any(word in help_text for word in ("私信给你", "本群", "私聊"))
    await r.says("随便说点什么呢")
    assert r.texts()[-1] == "我是社群助手机器人。发「帮助」看看我能做什么。"
    await r.says("/nosuchthing")
    assert r.texts()[-1] == "没有 /nosuchthing 这个命令。发「帮助」看看能用哪些。"
    await r.says("积分")
    assert r.texts()[-1].startswith("你的积分\n") and "@" not in r.texts()[-1]


async def test_a_wechat_moderator_gets_what_works_one_to_one(rig: Callable[[], Any]) -> None:
    """帮助 is /help with the moderator's commands (the keyword is the command before
    roles are looked up); those that name another member (@name or a reply) cannot
    work one to one, so they are neither listed nor pretended."""
    r = await rig(community={"moderators": [f"wechat:{ALICE}"]})
    await r.says("帮助")
    listed = "\n".join(r.texts())
    assert "/onboarding" in listed and "/addfaq" in listed and "你是管理员" in listed
    for command in ("/givepoints", "/takepoints", "/pointslog", "/grantbadge", "/helpful"):
        assert command not in listed
    await r.says("/givepoints @小王 5 很有帮助")
    assert r.texts()[-1] == "这里是一对一的对话，没有群聊，/givepoints 在这里用不了。"
    await r.says("/onboarding")
    assert "新成员漏斗" in r.texts()[-1]


async def test_what_needs_a_group_is_refused_not_pretended(rig: Callable[[], Any]) -> None:
    """A 客服账号 has no group: a schedule would post nowhere and an invite link has no
    group to lead to, so a moderator asking for one is told so and nothing is stored."""
    r = await rig(community={"moderators": [f"wechat:{ALICE}"]})
    await r.says("/schedule add 0 15 * * sun weekend 周日下午茶")
    assert r.texts()[-1] == "这里是一对一的对话，没有群聊，/schedule 在这里用不了。"
    await r.says("/invite")
    assert "/invite 在这里用不了" in r.texts()[-1]
    await r.says("/welcome")  # WeChat members get no group welcome to preview
    assert "/welcome 在这里用不了" in r.texts()[-1]
    async with r.app.storage.transaction() as repos:
        assert await repos.topics.schedules() == []
    before = len(r.texts())
    await r.says("帮助")  # a moderator's: long enough for two messages
    listed = "\n".join(r.texts()[before:])
    assert "/schedule" not in listed and "/checkin" in listed


async def test_a_staff_notice_with_no_staff_chat_is_logged_not_refused(
    rig: Callable[[], Any], caplog: pytest.LogCaptureFixture
) -> None:
    """With no staff chat, a notice comes back to the member's channel: logged with its
    text as on Telegram, never "WeChat refused NotifyStaff"."""
    r = await rig()
    card = NotifyStaff(text=Markup("工单 #1：退款没到账"), tag=Tag("ticket", 1))
    [receipt] = await r.channel.execute([card])
    assert not receipt.ok and "staff.chat" in (receipt.error or "")
    assert "staff notice (no staff chat configured): 工单 #1：退款没到账" in caplog.text
    assert "refused" not in caplog.text


async def test_forged_stale_and_replayed_callbacks_change_nothing(
    rig: Callable[[], Any],
) -> None:
    r = await rig()
    r.wecom.customer_says(KF, ALICE, "帮助")
    query, body, _ = r.wecom.encrypted_callback(KF)
    forged = {**query, "msg_signature": "0" * 40}
    assert await r.callback(forged, body) == 403
    stale = r.wecom.encrypted_callback(KF)
    r.app.clock.advance(timedelta(minutes=10))
    assert await r.callback(stale[0], stale[1]) == 403  # older than max_clock_skew
    r.app.clock.advance(timedelta(minutes=-10))
    await r.settle()
    assert r.texts() == []  # nothing was pulled
    assert await r.callback(query, body) == 200
    assert await r.callback(query, body) == 403  # the same callback again
    await r.settle()
    assert len(r.texts()) == 1
    assert await r.callback(query, b"<xml>garbage") == 400  # undecryptable


async def test_a_restart_without_the_cursor_handles_nothing_twice(
    rig: Callable[[], Any],
) -> None:
    r = await rig()
    await r.says("帮助")
    assert len(r.texts()) == 1
    await r.channel.stop()
    async with r.app.storage.transaction() as repos:  # as if the cursor had been lost
        await repos.channel_state.put("wechat", f"cursor:{KF}", "0", r.app.clock.now())
    again = await rig()  # a new process: pulls everything from the start
    assert len(again.texts()) == 1  # the message was already handled


async def test_a_new_session_is_greeted_on_its_welcome_code(rig: Callable[[], Any]) -> None:
    """``enter_session`` (the member opened the chat from a link or QR code) carries a
    single-use code: the greeting goes out on it, before the member wrote anything."""
    r = await rig()
    r.wecom.enter_session(KF, ALICE, scene_param="poster")
    assert await r.callback() == 200
    await r.settle()
    [greeting] = r.wecom.calls("kf/send_msg_on_event")
    assert greeting.errcode == 0
    assert r.wecom.calls("kf/send_msg") == []  # no window was open, and none was needed
    assert "小王" in r.texts()[0]  # named from kf/customer/batchget


async def test_wechat_unreachable_at_start_is_waited_out(
    tmp_path: Path, sqlite_storage: Storage, caplog: pytest.LogCaptureFixture
) -> None:
    """A network outage at start is retried with growing pauses, one line each, until a
    stop cuts it short; it is not fatal."""
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    settings = make_settings(
        tmp_path,
        wechat={
            "api_base_url": f"http://127.0.0.1:{closed}",
            "kf": {
                "corp_id": "ww1",
                "secret": "s",
                "token": "t",
                "encoding_aes_key": "6qkdMrq68nTKduznJYO1A37W2oEgpkMUvkttRToqhUt",
            },
        },
    )
    app = build_app(settings, storage=sqlite_storage)
    await app.prepare()
    channel = WeChatKfChannel(settings.wechat, app.dispatcher, app.storage, app.clock)
    starting = asyncio.create_task(channel.start())
    for _ in range(100):
        if caplog.text.count("is unreachable") >= 2:
            break
        await asyncio.sleep(0.05)
    assert "retrying in 1 s" in caplog.text and "retrying in 2 s" in caplog.text
    assert not starting.done()
    starting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await starting


async def test_an_address_where_the_api_is_not_stops_the_start(
    tmp_path: Path, sqlite_storage: Storage, wecom: FakeWeCom
) -> None:
    """HTTP 404 is a wrong ``api_base_url``, not an outage: one line naming the setting
    instead of retrying for ever."""
    settings = make_settings(
        tmp_path,
        wechat={
            "api_base_url": f"{wecom.base_url}/wecom",
            "kf": {
                "corp_id": wecom.corp_id,
                "secret": wecom.secret,
                "token": wecom.callback_token,
                "encoding_aes_key": wecom.encoding_aes_key,
            },
        },
    )
    app = build_app(settings, storage=sqlite_storage)
    await app.prepare()
    channel = WeChatKfChannel(settings.wechat, app.dispatcher, app.storage, app.clock)
    with pytest.raises(StartupError) as stopped:
        await asyncio.wait_for(channel.start(), 10)
    line = stopped.value.line()
    assert "HTTP 404" in line and "SHEQUN_WECHAT__API_BASE_URL" in line and "\n" not in line


async def test_more_held_than_one_window_takes_waits_for_the_next(
    rig: Callable[[], Any],
) -> None:
    """Seven answers held while the window was closed: five go out when the member
    writes, the other two wait for their next message; none is lost."""
    r = await rig()
    await r.says("你好")
    r.app.clock.advance(timedelta(hours=49))
    r.wecom.advance(49 * 3600)
    member = UserRef("wechat", ALICE, "小王")
    await r.channel.deliver([SendPrivate(user=member, text=Markup(f"通知 {n}")) for n in range(7)])
    await r.says("在吗")
    assert [n for n in range(7) if any(f"通知 {n}" in t for t in r.texts())] == [0, 1, 2, 3, 4]
    await r.says("还在吗")
    assert all(any(f"通知 {n}" in t for t in r.texts()) for n in range(7))
