"""The fake WeCom must fail like WeCom does, or the WeChat tests prove nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from aiohttp import web

from bot.channels.wechat.crypto import CallbackCrypto, CallbackRejected
from tests.fake_wechat import FakeWeCom

KF = "wkfakeaccount01"
ALICE = "wmAliceExternal"


@pytest.fixture
async def fake() -> AsyncIterator[FakeWeCom]:
    wecom = FakeWeCom()
    await wecom.start()
    wecom.add_account(KF, "社群助手")
    wecom.add_member(ALICE, "爱丽丝")
    yield wecom
    await wecom.stop()


class Raw:
    """Plain HTTP against the fake, the token handled by hand."""

    def __init__(self, fake: FakeWeCom) -> None:
        self.fake = fake
        self.token = ""

    async def gettoken(self, **params: str) -> dict[str, Any]:
        params = {"corpid": self.fake.corp_id, "corpsecret": self.fake.secret, **params}
        async with httpx.AsyncClient() as client:
            response = await client.get(f"{self.fake.base_url}/cgi-bin/gettoken", params=params)
        result = response.json()
        self.token = result.get("access_token", self.token)
        return result

    async def post(self, method: str, body: dict[str, Any], token: str | None = None) -> Any:
        async with httpx.AsyncClient() as client:
            response = await client.post(
                f"{self.fake.base_url}/cgi-bin/{method}",
                params={"access_token": self.token if token is None else token},
                json=body,
            )
        return response.json()

    async def send(self, text: str, msgid: str = "", user: str = ALICE) -> dict[str, Any]:
        body: dict[str, Any] = {
            "touser": user,
            "open_kfid": KF,
            "msgtype": "text",
            "text": {"content": text},
        }
        if msgid:
            body["msgid"] = msgid
        return await self.post("kf/send_msg", body)


@pytest.fixture
async def raw(fake: FakeWeCom) -> Raw:
    client = Raw(fake)
    await client.gettoken()
    return client


async def test_gettoken_checks_the_corp_and_secret(fake: FakeWeCom, raw: Raw) -> None:
    assert (await raw.gettoken(corpid="wrong"))["errcode"] == 40013
    assert (await raw.gettoken(corpsecret="wrong"))["errcode"] == 40001
    result = await raw.gettoken()
    assert result["errcode"] == 0 and result["expires_in"] <= 7200


async def test_token_same_until_expiry_then_rotated(fake: FakeWeCom, raw: Raw) -> None:
    first = raw.token
    assert (await raw.gettoken())["access_token"] == first
    fake.advance(7201)
    assert (await raw.post("kf/account/list", {}))["errcode"] == 42001
    assert (await raw.gettoken())["access_token"] != first
    fake.rotate_tokens = True
    before = raw.token
    await raw.gettoken()
    assert raw.token != before


async def test_unknown_and_expired_tokens(fake: FakeWeCom, raw: Raw) -> None:
    assert (await raw.post("kf/account/list", {}, token="made-up"))["errcode"] == 40014
    assert (await raw.post("kf/account/list", {}, token=""))["errcode"] == 41001
    fake.expire_token(raw.token)
    assert (await raw.post("kf/account/list", {}))["errcode"] == 42001


async def test_account_list(raw: Raw) -> None:
    result = await raw.post("kf/account/list", {"offset": 0, "limit": 100})
    assert result["account_list"] == [{"open_kfid": KF, "name": "社群助手", "avatar": ""}]


async def test_sync_msg_pages_with_cursor(fake: FakeWeCom, raw: Raw) -> None:
    fake.enter_session(KF, ALICE, scene="poster")
    for n in range(4):
        fake.customer_says(KF, ALICE, f"m{n}")
    fake.customer_says(KF, ALICE, "签到", menu_id="101")
    token = fake.issue_sync_token()
    seen: list[dict[str, Any]] = []
    cursor = ""
    while True:
        page = await raw.post(
            "kf/sync_msg", {"token": token, "cursor": cursor, "limit": 2, "open_kfid": KF}
        )
        assert page["errcode"] == 0
        seen += page["msg_list"]
        cursor = page["next_cursor"]
        if not page["has_more"]:
            break
    assert [m["msgtype"] for m in seen] == ["event"] + ["text"] * 5
    assert seen[0]["event"]["event_type"] == "enter_session" and seen[0]["origin"] == 4
    assert seen[-1]["text"] == {"content": "签到", "menu_id": "101"}
    assert seen[1]["origin"] == 3 and seen[1]["external_userid"] == ALICE
    again = await raw.post("kf/sync_msg", {"token": token, "cursor": cursor, "open_kfid": KF})
    assert again["msg_list"] == [] and again["next_cursor"] == cursor


async def test_sync_token_lives_ten_minutes(fake: FakeWeCom, raw: Raw) -> None:
    token = fake.issue_sync_token()
    fake.advance(599)
    assert (await raw.post("kf/sync_msg", {"token": token, "open_kfid": KF}))["errcode"] == 0
    fake.advance(2)
    assert (await raw.post("kf/sync_msg", {"token": token, "open_kfid": KF}))["errcode"] == 95007
    assert (await raw.post("kf/sync_msg", {"token": "ENCnope"}))["errcode"] == 95007


async def test_send_window_five_messages(fake: FakeWeCom, raw: Raw) -> None:
    assert (await raw.send("too early"))["errcode"] == 95001
    fake.customer_says(KF, ALICE, "hi")
    for n in range(5):
        assert (await raw.send(f"r{n}"))["errcode"] == 0
    assert (await raw.send("sixth"))["errcode"] == 95001
    fake.customer_says(KF, ALICE, "again")
    assert (await raw.send("ok again"))["errcode"] == 0
    assert fake.sent_texts(ALICE) == ["r0", "r1", "r2", "r3", "r4", "ok again"]


async def test_send_window_48_hours(fake: FakeWeCom, raw: Raw) -> None:
    fake.customer_says(KF, ALICE, "hi")
    fake.advance(48 * 3600)
    await raw.gettoken()  # the first one expired long ago
    assert (await raw.send("just in time"))["errcode"] == 0
    fake.advance(1)
    assert (await raw.send("too late"))["errcode"] == 95001


async def test_same_msgid_is_not_sent_twice(fake: FakeWeCom, raw: Raw) -> None:
    fake.customer_says(KF, ALICE, "hi")
    first = await raw.send("once", msgid="reply-1")
    second = await raw.send("once", msgid="reply-1")
    assert first == second == {"errcode": 0, "errmsg": "ok", "msgid": "reply-1"}
    assert fake.sent_texts(ALICE) == ["once"]
    assert (await raw.send("other"))["msgid"] != "reply-1"


@pytest.mark.parametrize("errcode", [95016, 95017, 95018])
async def test_session_not_with_the_bot(fake: FakeWeCom, raw: Raw, errcode: int) -> None:
    fake.customer_says(KF, ALICE, "hi")
    fake.set_session(ALICE, 3, errcode)
    assert (await raw.send("x"))["errcode"] == errcode
    fake.set_session(ALICE, 1)
    assert (await raw.send("x"))["errcode"] == 0


async def test_rate_limit_45009(fake: FakeWeCom, raw: Raw) -> None:
    fake.send_per_minute = 2
    for user in ("wm1", "wm2", "wm3"):
        fake.customer_says(KF, user, "hi")
    assert (await raw.send("a", user="wm1"))["errcode"] == 0
    assert (await raw.send("b", user="wm2"))["errcode"] == 0
    assert (await raw.send("c", user="wm3"))["errcode"] == 45009
    fake.advance(60)
    assert (await raw.send("c", user="wm3"))["errcode"] == 0


async def test_text_over_2048_bytes_refused(fake: FakeWeCom, raw: Raw) -> None:
    fake.customer_says(KF, ALICE, "hi")
    assert (await raw.send("中" * 683))["errcode"] != 0
    assert (await raw.send("中" * 682))["errcode"] == 0


async def test_welcome_code_single_use(fake: FakeWeCom, raw: Raw) -> None:
    code = fake.enter_session(KF, ALICE)
    body = {"code": code, "msgtype": "text", "text": {"content": "欢迎"}}
    assert (await raw.post("kf/send_msg_on_event", body))["errcode"] == 0
    assert (await raw.post("kf/send_msg_on_event", body))["errcode"] != 0
    late = fake.enter_session(KF, ALICE)
    fake.advance(21)
    assert (await raw.post("kf/send_msg_on_event", {**body, "code": late}))["errcode"] != 0
    assert fake.sent_texts(ALICE) == ["欢迎"]


async def test_customer_batchget(raw: Raw) -> None:
    result = await raw.post("kf/customer/batchget", {"external_userid_list": [ALICE, "wmX"]})
    assert [c["nickname"] for c in result["customer_list"]] == ["爱丽丝"]
    assert result["invalid_external_userid"] == ["wmX"]


async def test_service_state(fake: FakeWeCom, raw: Raw) -> None:
    ids = {"open_kfid": KF, "external_userid": ALICE}
    assert (await raw.post("kf/service_state/get", ids))["service_state"] == 1
    assert (await raw.post("kf/service_state/trans", {**ids, "service_state": 4}))["errcode"] == 0
    ended = await raw.post("kf/service_state/trans", {**ids, "service_state": 1})
    assert ended["errcode"] == 95016


async def test_post_callback_is_real_wecom_crypto(fake: FakeWeCom) -> None:
    crypto = CallbackCrypto(fake.callback_token, fake.encoding_aes_key, fake.corp_id)
    received: list[dict[str, str]] = []

    async def endpoint(request: web.Request) -> web.Response:
        q = request.query
        try:
            message = crypto.open(
                q["msg_signature"], q["timestamp"], q["nonce"], await request.read()
            )
        except CallbackRejected as error:
            return web.Response(status=error.status, text=error.reason)
        received.append(message)
        return web.Response(text="success")

    app = web.Application()
    app.router.add_post("/wechat/kf", endpoint)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        assert await fake.post_callback(f"http://127.0.0.1:{port}/wechat/kf", KF) == 200
        (message,) = received
        assert message["MsgType"] == "event" and message["Event"] == "kf_msg_or_event"
        assert message["OpenKfId"] == KF and message["ToUserName"] == fake.corp_id
        assert message["Token"].startswith("ENC")
        fake.advance(3600)  # an hour-old timestamp is refused by the receiver's clock
        assert await fake.post_callback(f"http://127.0.0.1:{port}/wechat/kf", KF) == 403
    finally:
        await runner.cleanup()
