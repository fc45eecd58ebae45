"""Telegram and 微信客服 at once, end to end: a real ``shequn run`` process talking to the
fake Bot API and the fake WeCom server. A WeChat member complains; the card reaches
the staff chat on Telegram; the staff answer typed on Telegram reaches the member
through ``kf/send_msg``; the rating comes back from a menu tap. Then a restart with
messages waiting: each handled once."""

from __future__ import annotations

import asyncio
import re
import socket
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.fake_telegram import FakeBotApiThread
from tests.fake_wechat import FakeWeCom
from tests.test_telegram_e2e import ALICE as TELEGRAM_ALICE
from tests.test_telegram_e2e import GROUP, MOD, BotProcess

STAFF = -1009009009
KF = "wkShequnKF"
ALICE = "wmAlice"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def until(check: Callable[[], Any], what: str) -> Any:
    """Wait for ``check()`` to be truthy (a condition, never a fixed sleep), 20 s at most:
    the other side is a separate process, polled."""
    for _ in range(400):
        found = check()
        if found:
            return found
        await asyncio.sleep(0.05)
    raise AssertionError(f"never happened: {what}")


@pytest.fixture
async def wecom() -> AsyncIterator[FakeWeCom]:
    fake = FakeWeCom()
    fake.add_account(KF)
    fake.add_member(ALICE, "小王 <b>")
    await fake.start()
    yield fake
    await fake.stop()


@pytest.fixture
def telegram() -> Any:
    with FakeBotApiThread() as server:
        server.add_chat(STAFF, "supergroup", "Staff")
        yield server


class Both:
    def __init__(self, telegram: FakeBotApiThread, wecom: FakeWeCom, data_dir: Path) -> None:
        self.telegram, self.wecom, self.data_dir = telegram, wecom, data_dir
        self.port = free_port()
        self.bot: BotProcess | None = None

    async def start(self, **env: str) -> BotProcess:
        self.bot = BotProcess(
            self.telegram,
            self.data_dir,
            SHEQUN_STAFF__CHAT=f"telegram:{STAFF}",
            SHEQUN_COMMUNITY__STAFF=f'["telegram:{MOD["id"]}"]',
            SHEQUN_HTTP__PORT=str(self.port),
            SHEQUN_WECHAT__API_BASE_URL=self.wecom.base_url,
            SHEQUN_WECHAT__KF__CORP_ID=self.wecom.corp_id,
            SHEQUN_WECHAT__KF__SECRET=self.wecom.secret,
            SHEQUN_WECHAT__KF__TOKEN=self.wecom.callback_token,
            SHEQUN_WECHAT__KF__ENCODING_AES_KEY=self.wecom.encoding_aes_key,
            **env,
        )
        bot = self.bot

        async def healthy() -> bool:
            try:
                async with httpx.AsyncClient() as client:
                    response = await client.get(f"http://127.0.0.1:{self.port}/healthz")
                return response.status_code == 200
            except httpx.HTTPError:
                return False

        loop = asyncio.get_running_loop()
        deadline = loop.time() + 40
        while not await healthy():
            if bot.process.poll() is not None or loop.time() > deadline:
                raise AssertionError(f"the bot did not come up:\n{bot.output()}")
            await asyncio.sleep(0.1)
        return bot

    def stop(self) -> None:
        if self.bot is not None:
            code = self.bot.stop()
            output = self.bot.output()
            self.bot = None
            assert code == 0, output
            assert "Traceback" not in output, output

    async def says(self, text: str, **extra: str) -> None:
        self.wecom.customer_says(KF, ALICE, text, **extra)
        status = await self.wecom.post_callback(f"http://127.0.0.1:{self.port}/wechat/kf", KF)
        assert status == 200

    def to_member(self) -> list[dict[str, Any]]:
        return [sent.content for sent in self.wecom.sent_to(ALICE)]

    async def member_gets(self, needle: str) -> dict[str, Any]:
        def found() -> dict[str, Any] | None:
            for content in self.to_member():
                if needle in str(content.get("content") or content.get("head_content") or ""):
                    return content
            return None

        return await until(found, f"{needle!r} sent to the WeChat member")

    async def staff_gets(self, needle: str) -> dict[str, Any]:
        return await until(
            lambda: next(
                (m for m in self.telegram.sent_messages(STAFF) if needle in m["text"]), None
            ),
            f"{needle!r} in the Telegram staff chat",
        )


@pytest.fixture
async def both(telegram: FakeBotApiThread, wecom: FakeWeCom, tmp_path: Path) -> AsyncIterator[Both]:
    rig = Both(telegram, wecom, tmp_path)
    yield rig
    rig.stop()


async def test_a_wechat_complaint_is_answered_from_telegram(both: Both) -> None:
    await both.start()
    await both.says("签到")
    await both.member_gets("签到成功")  # a group feature, kept per 客服账号, answered one to one
    await both.says("投诉 退款三周了还没到账")
    await both.member_gets("工单 #1")
    card = await both.staff_gets("退款三周了还没到账")
    assert "小王 &lt;b&gt;" in card["text"] and "tg://user" not in card["text"]
    reply = both.telegram.message_update(
        STAFF, MOD, "已经为你加急处理，今天到账", reply_to=card["message_id"]
    )
    both.telegram.push_update(reply)
    answer = await both.member_gets("已经为你加急处理")
    assert "<" not in str(answer)  # plain text on WeChat
    both.telegram.push_update(both.telegram.message_update(STAFF, MOD, "/resolve 1"))
    menu = await both.member_gets("请打分")
    five = next(item for item in menu["list"] if item["click"]["content"] == "⭐" * 5)
    await both.says(five["click"]["content"], menu_id=five["click"]["id"])
    await both.member_gets("谢谢你的评价")
    both.telegram.push_update(both.telegram.message_update(STAFF, MOD, "/ticket 1"))
    history = await both.staff_gets("评价 · ")  # /ticket 1: the ticket with its history
    assert "5" in history["text"].split("评价")[-1], history["text"]


async def test_a_restart_loses_nothing_and_repeats_nothing(both: Both) -> None:
    await both.start()
    await both.says("帮助")
    await both.member_gets("/complain")
    both.stop()
    both.wecom.customer_says(KF, ALICE, "投诉 客服一直不回消息")  # while Shequn is down
    await both.start()  # catches up at start, without waiting for a callback
    await both.member_gets("工单 #1")
    await both.staff_gets("客服一直不回消息")
    await both.says("在吗")
    await until(lambda: len(both.to_member()) >= 3, "the answer to 在吗 or its silence")
    helps = [c for c in both.to_member() if "/complain" in str(c.get("content", ""))]
    tickets = [c for c in both.to_member() if "工单 #1" in str(c.get("content", ""))]
    assert len(helps) == 1 and len(tickets) == 1  # nothing twice
    cards = [m for m in both.telegram.sent_messages(STAFF) if "客服一直不回消息" in m["text"]]
    assert len(cards) == 1


async def test_forged_callbacks_are_refused(both: Both) -> None:
    await both.start()
    both.wecom.customer_says(KF, ALICE, "帮助")
    query, body, _ = both.wecom.encrypted_callback(KF)
    async with httpx.AsyncClient() as client:
        url = f"http://127.0.0.1:{both.port}/wechat/kf"
        forged = await client.post(url, params={**query, "msg_signature": "0" * 40}, content=body)
        assert forged.status_code == 403
        assert (await client.post(url, params=query, content=body)).status_code == 200
        assert (await client.post(url, params=query, content=body)).status_code == 403
    await both.member_gets("/complain")
    assert len(both.to_member()) == 1


async def test_readiness_asks_every_platform(both: Both) -> None:
    """/readyz: the database, its schema, and each channel reaching its platform."""
    await both.start()
    async with httpx.AsyncClient() as client:
        ready = await client.get(f"http://127.0.0.1:{both.port}/readyz")
    assert ready.status_code == 200
    assert ready.json()["checks"] == {
        "database": "ok",
        "migrations": "ok",
        "telegram": "ok",
        "wechat": "ok",  # 微信客服: kf/account/list answered with these keys
    }


async def test_a_linked_member_sees_one_balance_on_both_platforms(both: Both) -> None:
    """The same person in the Telegram group and on 微信客服: a code asked for on
    Telegram, sent from WeChat, joins them; each platform then shows one balance."""
    both.telegram.add_chat(GROUP, "supergroup", "社群")
    both.telegram.mark_started(TELEGRAM_ALICE["id"])
    await both.start(SHEQUN_POINTS__SCOPE="community")
    tg = both.telegram
    tg.push_update(tg.new_chat_members_update(GROUP, [TELEGRAM_ALICE]))
    tg.push_update(tg.message_update(GROUP, TELEGRAM_ALICE, "签到"))
    await until(
        lambda: any("签到成功" in m["text"] for m in tg.sent_messages(GROUP)),
        "the Telegram check-in",
    )
    await both.says("签到")  # the WeChat self checks in too, on its own for now
    await both.member_gets("签到成功")
    private = TELEGRAM_ALICE["id"]
    tg.push_update(tg.message_update(private, TELEGRAM_ALICE, "/link"))
    asked = await until(
        lambda: next((m for m in tg.sent_messages(private) if "绑定码" in m["text"]), None),
        "the link code on Telegram",
    )
    code = re.search(r"<code>([2-9A-Z]{8})</code>", asked["text"])
    assert code, asked["text"]
    await both.says(f"绑定 {code.group(1)}")
    done = await both.member_gets("绑定成功")
    assert "原有的5积分已经并入" in done["content"]
    await until(
        lambda: any("已和微信客服" in m["text"] for m in tg.sent_messages(private)),
        "the Telegram account told of the link",
    )
    await both.says("积分")
    on_wechat = await both.member_gets("可用积分")
    tg.push_update(tg.message_update(GROUP, TELEGRAM_ALICE, "/points"))
    on_telegram = await until(
        lambda: next((m for m in tg.sent_messages(GROUP) if "可用积分" in m["text"]), None),
        "the balance on Telegram",
    )
    line = re.compile(r"可用积分：\d+（累计获得\d+）")
    [wechat_balance] = line.findall(on_wechat["content"])
    [telegram_balance] = line.findall(on_telegram["text"])
    # Telegram's check-in and completed onboarding (5 + 10), and WeChat's check-in (5).
    assert wechat_balance == telegram_balance == "可用积分：20（累计获得20）"
    assert "账号合并" in on_wechat["content"]
