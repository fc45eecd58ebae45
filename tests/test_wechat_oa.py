"""The Official Account channel against the fake account, over real HTTP: callbacks
signed (and encrypted in 安全模式) as WeChat does, passive replies when the answer is
ready in time, 客服消息 within the member's window otherwise, held messages, and
retried or forged callbacks."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from markupsafe import Markup
from sqlalchemy.exc import OperationalError

from bot.app import App, build_app
from bot.channels.hub import ChannelHub
from bot.channels.wechat.crypto import signature
from bot.channels.wechat.oa_channel import WeChatOaChannel
from bot.startup import StartupError
from bot.web.server import WebServer
from handlers.actions import Button, SendPrivate, Tag
from handlers.clock import ManualClock
from handlers.events import UserRef
from storage.database import Storage
from tests.conftest import make_settings
from tests.fake_wechat import FakeOfficialAccount
from tests.fake_wechat.oa_server import CallbackResult, Follower
from tests.test_multiplatform_e2e import free_port

VECTORS = Path(__file__).parent / "data" / "wechat_vectors"
ALICE = "oAlice0000000000000000000001"
AES_KEY = "6qkdMrq68nTKduznJYO1A37W2oEgpkMUvkttRToqhUt"


class Rig:
    """The channel wired as ``shequn run`` wires it, behind Shequn's web server."""

    def __init__(self, app: App, channel: WeChatOaChannel, oa: FakeOfficialAccount) -> None:
        self.app, self.channel, self.oa = app, channel, oa
        self.url = ""

    async def says(self, text: str, **extra: str) -> CallbackResult:
        result = await self.oa.post(self.url, self.oa.message_xml(ALICE, text, **extra))
        await self.settle()
        return result

    async def event(self, event: str, key: str = "") -> CallbackResult:
        result = await self.oa.post(self.url, self.oa.event_xml(ALICE, event, key))
        await self.settle()
        return result

    async def settle(self) -> None:
        """Wait until the channel has finished what the callbacks started."""
        await self.channel.stop()  # waits for in-flight handling ...
        self.channel._running = True  # ... and takes callbacks again

    def travel(self, span: timedelta) -> None:
        self.app.clock.advance(span)
        self.oa.advance(span.total_seconds())

    def texts(self) -> list[str]:
        return self.oa.texts_to(ALICE)

    async def followers(self) -> int:
        """Members present in the account's community, as Shequn keeps it."""
        async with self.app.storage.transaction() as repos:
            community = await repos.chats.get("wechat_oa", f"oa:{self.oa.app_id}")
            return 0 if community is None else await repos.members.count_present(community.id)


@pytest.fixture
async def rig(tmp_path: Path, sqlite_storage: Storage) -> AsyncIterator[Callable[..., Any]]:
    made: list[tuple[WebServer, FakeOfficialAccount, WeChatOaChannel]] = []

    async def make(aes_key: str = "", at: float | None = None, **keys: str) -> Rig:
        """``keys``: ``app_id`` and ``token`` of the account, ``secret`` as Shequn has it."""
        account = {k: v for k, v in keys.items() if k in ("app_id", "token")}
        oa = FakeOfficialAccount(aes_key=aes_key, **account)
        if at is not None:
            oa.clock = at
        await oa.start()
        clock = ManualClock(start=datetime.fromtimestamp(oa.clock, UTC))
        settings = make_settings(
            tmp_path,
            staff={"chat": "telegram:-100"},
            http={"host": "127.0.0.1", "port": free_port()},
            wechat={
                "oa": {
                    "app_id": oa.app_id,
                    "secret": keys.get("secret", oa.secret),
                    "token": oa.token,
                    "aes_key": aes_key or None,
                    "api_base_url": oa.api_base_url,
                }
            },
        )
        app = build_app(settings, clock=clock, storage=sqlite_storage)
        await app.prepare()
        channel = WeChatOaChannel(settings.wechat, app.dispatcher, app.storage, clock)
        hub = ChannelHub([channel], settings.staff, app.texts)
        channel.deliver = hub.deliver_from(channel.name)
        server = WebServer(settings.http, [channel.name])
        server.serve(channel.name, channel.routes())
        made.append((server, oa, channel))
        await server.start()
        await channel.start()
        server.channel_started(channel.name)
        rig = Rig(app, channel, oa)
        rig.url = f"http://127.0.0.1:{server.port}/wechat/oa"
        return rig

    yield make
    for server, oa, channel in made:
        await channel.stop()
        await server.stop()
        await oa.stop()


@pytest.mark.parametrize("aes_key", ["", AES_KEY], ids=["plain", "safe"])
async def test_answers_go_back_as_passive_replies(rig: Callable[..., Any], aes_key: str) -> None:
    r = await rig(aes_key)
    followed = await r.event("subscribe", "qrscene_poster")
    assert followed.status == 200 and followed.reply  # the welcome, on the callback itself
    answer = await r.says("帮助")
    assert answer.reply is not None and "/checkin" in answer.reply
    checkin = await r.says("签到")
    assert checkin.reply is not None and "签到成功" in checkin.reply
    assert r.oa.calls.count("message/custom/send") == len(r.oa.to(ALICE)) - 3
    assert await r.followers() == 1  # following joined the account's community


async def test_following_from_a_qr_code_is_greeted_as_one_to_one(rig: Callable[..., Any]) -> None:
    """A QR code's scene is where the follower came from, not a group's "open the
    private chat" prompt: the greeting, written for a one-to-one chat (no topics, no
    /help to remember), never Telegram's "private chat is open now"."""
    r = await rig()
    followed = await r.event("subscribe", "qrscene_poster")
    assert followed.reply is not None
    assert followed.reply.startswith("你好，微信用户！我是")
    assert followed.reply.endswith("发「帮助」看看我能做什么。")
    assert "私聊已开启" not in followed.reply and "话题" not in followed.reply
    answer = await r.says("帮助")
    assert answer.reply is not None and "私信给你" not in answer.reply


async def test_a_slow_answer_goes_as_customer_service_messages(rig: Callable[..., Any]) -> None:
    r = await rig(AES_KEY)
    r.channel.passive_seconds = 0  # the answer is never ready in time
    result = await r.says("签到")
    assert result.body == "success" and result.reply is None
    [sent] = r.oa.to(ALICE)
    assert sent.how == "custom" and "签到成功" in sent.text


async def test_five_messages_then_held_until_the_member_writes(rig: Callable[..., Any]) -> None:
    r = await rig()
    await r.says("你好")
    before = r.oa.calls.count("message/custom/send")
    member = UserRef("wechat_oa", ALICE, "微信用户")
    notes = [
        SendPrivate(user=member, text=Markup(f"通知 {n}"), tag=Tag("note", n)) for n in range(1, 8)
    ]
    receipts = await r.channel.deliver(notes)
    assert r.oa.calls.count("message/custom/send") - before == 5  # the window's five
    assert r.oa.calls.count("message/custom/send", 45047) == 0  # counted here, not refused
    assert [x.error for x in receipts if not x.ok] == ["window_closed", "window_closed"]
    reply = await r.says("在吗")  # what was held goes first, on the passive reply
    assert reply.reply == "通知 6"
    assert r.texts().index("通知 7") > r.texts().index("通知 6")  # then as 客服消息


async def test_wechat_refusing_a_send_is_believed_not_retried(rig: Callable[..., Any]) -> None:
    r = await rig()
    await r.says("你好")
    r.oa.fail_next("message/custom/send", 45047)
    member = UserRef("wechat_oa", ALICE, "微信用户")
    [receipt] = await r.channel.deliver(
        [SendPrivate(user=member, text=Markup("第二条"), tag=Tag("note", 2))]
    )
    assert receipt.error == "window_closed"
    assert r.oa.calls.count("message/custom/send") == 1  # final: not retried
    [later] = await r.channel.deliver(
        [SendPrivate(user=member, text=Markup("第三条"), tag=Tag("note", 3))]
    )
    assert later.error == "window_closed" and r.oa.calls.count("message/custom/send") == 1
    r.travel(timedelta(hours=49))
    assert (await r.says("我回来了")).reply == "第二条"


async def test_nothing_goes_out_48_hours_after_the_members_last_message(
    rig: Callable[..., Any],
) -> None:
    r = await rig()
    await r.says("你好")
    r.travel(timedelta(hours=48, minutes=1))
    member = UserRef("wechat_oa", ALICE, "微信用户")
    [receipt] = await r.channel.deliver(
        [SendPrivate(user=member, text=Markup("第 3 天"), deliveries=(1,))]
    )
    assert receipt.error == "window_closed" and receipt.skipped  # scheduled: skipped, not held
    assert r.oa.calls.count("message/custom/send") == 0


async def test_three_messages_within_a_minute_of_following(rig: Callable[..., Any]) -> None:
    r = await rig()
    r.channel.passive_seconds = 0
    await r.event("subscribe")
    member = UserRef("wechat_oa", ALICE, "微信用户")
    notes = [
        SendPrivate(user=member, text=Markup(f"提示 {n}"), tag=Tag("tip", n)) for n in range(1, 5)
    ]
    receipts = await r.channel.deliver(notes)
    assert r.oa.calls.count("message/custom/send") == 3  # the welcome and two of these
    assert [x.error for x in receipts if not x.ok] == ["window_closed"] * 2
    assert r.oa.calls.count("message/custom/send", 45047) == 0
    assert r.oa.calls.count("message/custom/send", 45015) == 0
    r.travel(timedelta(minutes=2))
    [late] = await r.channel.deliver(
        [SendPrivate(user=member, text=Markup("晚了"), tag=Tag("tip", 9))]
    )
    assert late.error == "window_closed" and r.oa.calls.count("message/custom/send", 45015) == 0


async def test_buttons_are_a_menu_and_a_tap_comes_back(rig: Callable[..., Any]) -> None:
    r = await rig()
    await r.says("你好")
    member = UserRef("wechat_oa", ALICE, "微信用户")
    buttons = ((Button("打开", url="https://example.com/a?b=1"), Button("好", data="ok:1")),)
    await r.channel.deliver([SendPrivate(user=member, text=Markup("选一个"), buttons=buttons)])
    menu = r.oa.to(ALICE)[-1]
    assert menu.msgtype == "msgmenu"
    assert menu.content["list"] == [{"id": "ok:1", "content": "好"}]
    assert "https://example.com/a?b=1" in menu.content["head_content"]


async def test_forged_replayed_and_retried_callbacks(rig: Callable[..., Any]) -> None:
    r = await rig(AES_KEY)
    query, body = r.oa.signed(r.oa.message_xml(ALICE, "签到", msg_id="424242"))
    forged = await r.oa.post_signed(r.url, {**query, "signature": "0" * 40}, body)
    assert forged.status == 403
    forged = await r.oa.post_signed(r.url, {**query, "msg_signature": "0" * 40}, body)
    assert forged.status == 403
    first = await r.oa.post_signed(r.url, query, body)
    assert first.status == 200 and first.reply and "签到成功" in first.reply
    replayed = await r.oa.post_signed(r.url, query, body)
    assert replayed.status == 403
    query, body = r.oa.signed(r.oa.message_xml(ALICE, "签到", msg_id="424242"))
    retried = await r.oa.post_signed(r.url, query, body)  # WeChat's retry: once only
    assert retried.status == 200 and retried.body == "success"
    await r.settle()
    assert len(r.texts()) == 1
    plain = r.oa.message_xml(ALICE, "签到").encode()
    query = {k: v for k, v in query.items() if k not in ("encrypt_type", "msg_signature")}
    assert (await r.oa.post_signed(r.url, query, plain)).status in (400, 403)


async def test_a_text_that_closes_cdata_is_escaped(rig: Callable[..., Any]) -> None:
    r = await rig()
    await r.says("你好")
    member = UserRef("wechat_oa", ALICE, "微信用户")
    await r.channel.deliver([SendPrivate(user=member, text=Markup.escape("a]]><x>&b"))])
    assert r.texts()[-1] == "a]]><x>&b"


async def test_unfollowing_leaves_and_stops_sends(rig: Callable[..., Any]) -> None:
    r = await rig()
    await r.says("你好")
    await r.event("unsubscribe")
    member = UserRef("wechat_oa", ALICE, "微信用户")
    [receipt] = await r.channel.deliver(
        [SendPrivate(user=member, text=Markup("还在吗"), tag=Tag("note", 1))]
    )
    assert not receipt.ok
    assert await r.followers() == 0


async def test_an_expired_token_is_fetched_again(rig: Callable[..., Any]) -> None:
    r = await rig()
    r.channel.passive_seconds = 0
    await r.says("签到")
    r.oa.expire_tokens()
    await r.says("积分")
    assert r.oa.calls.count("message/custom/send", 42001) == 1
    assert r.oa.calls.count("token") == 2 and len(r.texts()) == 2


async def test_tencents_sample_callback_is_opened(rig: Callable[..., Any]) -> None:
    """The published 安全模式 sample (WXBizMsgCrypt), posted as WeChat posts it."""
    vector = json.loads((VECTORS / "oa_tencent_sample_decrypt.json").read_text("utf-8"))
    r = await rig(
        vector["encoding_aes_key"],
        at=float(vector["timestamp"]),
        app_id=vector["appid"],
        token=vector["token"],
    )
    query = {
        "signature": signature(vector["token"], vector["timestamp"], vector["nonce"]),
        "timestamp": vector["timestamp"],
        "nonce": vector["nonce"],
        "encrypt_type": "aes",
        "msg_signature": vector["msg_signature"],
    }
    member = "oyORnuP8q7ou2gfYjqLzSIWZf0rs"
    r.oa.followers[member] = Follower(member)
    result = await r.oa.post_signed(r.url, query, vector["post_body"].encode())
    assert result.status == 200 and result.reply  # "abcdteT": answered, to that member
    assert [d.openid for d in r.oa.delivered] == [member]


async def test_a_wrong_secret_stops_the_start_in_one_line(rig: Callable[..., Any]) -> None:
    with pytest.raises(StartupError) as refused:
        await rig(secret="not-the-secret")
    assert "AppSecret is wrong" in str(refused.value) and "\n" not in str(refused.value)


async def test_a_message_the_database_could_not_record_is_refused_and_taken_on_retry(
    rig: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """WeChat is answered only once the message is recorded: with the database away the
    callback gets 503, and WeChat's retry of the same message is handled, once."""
    r = await rig()
    r.channel.passive_seconds = 0.2
    monkeypatch.setattr("bot.channels.wechat.oa_channel.RECORD_SECONDS", 0.5)
    body = r.oa.message_xml(ALICE, "签到")
    real_run = r.app.storage.run

    async def database_away(work: Any) -> Any:
        raise OperationalError("SELECT 1", {}, ConnectionRefusedError("connection refused"))

    monkeypatch.setattr(r.app.storage, "run", database_away)
    refused = await r.oa.post(r.url, body)
    await r.settle()
    assert refused.status == 503 and r.texts() == []
    monkeypatch.setattr(r.app.storage, "run", real_run)
    # The retry is recorded with its handling, the process's first (which loads what the
    # handlers need: 0.66 s was seen on a fresh clone): the real budget, not the short one.
    monkeypatch.setattr("bot.channels.wechat.oa_channel.RECORD_SECONDS", 4.5)
    taken = await r.oa.post(r.url, body)  # WeChat's retry: the same message
    await r.settle()
    assert taken.status == 200
    again = await r.oa.post(r.url, body)  # and one more: already handled
    await r.settle()
    assert again.status == 200
    answers = [t for t in r.texts() if "签到成功" in t]
    assert len(answers) == 1, r.texts()
