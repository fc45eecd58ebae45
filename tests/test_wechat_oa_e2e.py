"""The Official Account end to end: a real ``shequn run`` process, configured only with
the account's keys (安全模式), against the fake account. A follower is welcomed on the
callback itself, a complaint opens a ticket, WeChat's retry is handled once, a
restart repeats nothing, and wrong keys stop the start in one line."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from tests.fake_wechat import FakeOfficialAccount
from tests.test_multiplatform_e2e import free_port, until
from tests.test_telegram_e2e import BotProcess

ALICE = "oAlice0000000000000000000001"
AES_KEY = "6qkdMrq68nTKduznJYO1A37W2oEgpkMUvkttRToqhUt"


class Account:
    def __init__(self, oa: FakeOfficialAccount, data_dir: Path) -> None:
        self.oa, self.data_dir = oa, data_dir
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/wechat/oa"
        self.bot: BotProcess | None = None

    def launch(self, secret: str | None = None) -> BotProcess:
        self.bot = BotProcess(
            None,
            self.data_dir,
            SHEQUN_HTTP__PORT=str(self.port),
            SHEQUN_WECHAT__OA__APP_ID=self.oa.app_id,
            SHEQUN_WECHAT__OA__SECRET=secret or self.oa.secret,
            SHEQUN_WECHAT__OA__TOKEN=self.oa.token,
            SHEQUN_WECHAT__OA__AES_KEY=AES_KEY,
            SHEQUN_WECHAT__OA__API_BASE_URL=self.oa.api_base_url,
        )
        return self.bot

    async def start(self) -> None:
        bot = self.launch()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 40
        while not await self._healthy():
            if bot.process.poll() is not None or loop.time() > deadline:
                raise AssertionError(f"the bot did not come up:\n{bot.output()}")
            await asyncio.sleep(0.1)

    async def _healthy(self) -> bool:
        try:
            async with httpx.AsyncClient() as client:
                response = await client.get(f"http://127.0.0.1:{self.port}/healthz")
            return response.status_code == 200
        except httpx.HTTPError:
            return False

    def stop(self) -> None:
        if self.bot is not None:
            code, output = self.bot.stop(), self.bot.output()
            self.bot = None
            assert code == 0, output
            assert "Traceback" not in output, output


@pytest.fixture
async def account(tmp_path: Path) -> AsyncIterator[Account]:
    oa = FakeOfficialAccount(aes_key=AES_KEY)
    await oa.start()
    rig = Account(oa, tmp_path)
    yield rig
    rig.stop()
    await oa.stop()


async def test_a_follower_is_welcomed_answered_and_heard_once(account: Account) -> None:
    oa = account.oa
    await account.start()
    async with httpx.AsyncClient() as client:  # ready: getcallbackip answered
        ready = await client.get(f"http://127.0.0.1:{account.port}/readyz")
    assert ready.json()["checks"]["wechat_oa"] == "ok" and ready.status_code == 200
    welcome = await oa.post(account.url, oa.event_xml(ALICE, "subscribe", "qrscene_poster"))
    assert welcome.status == 200 and welcome.reply, welcome  # on the callback itself
    complaint = oa.message_xml(ALICE, "投诉 退款三周了还没到账", msg_id="9001")
    first = await oa.post(account.url, complaint)
    assert first.reply is not None and "#1" in first.reply
    retried = await oa.post(account.url, complaint)  # WeChat's retry, signed anew
    assert retried.status == 200 and retried.reply is None
    account.stop()
    await account.start()
    again = await oa.post(account.url, complaint)  # a late retry after the restart
    assert again.reply is None
    checkin = await oa.post(account.url, oa.message_xml(ALICE, "签到"))
    assert checkin.reply is not None and "签到成功" in checkin.reply
    tickets = [text for text in oa.texts_to(ALICE) if "#1" in text]
    assert len(tickets) == 1
    assert await until(lambda: all(d.how == "reply" for d in oa.to(ALICE)), "passive replies")


async def test_wrong_keys_stop_the_start_in_one_line(account: Account) -> None:
    bot = account.launch(secret="rotated-in-the-console")
    code = await asyncio.to_thread(bot.process.wait, 40)
    output = bot.output()
    account.bot = None
    assert code != 0 and "Traceback" not in output
    [line] = [line for line in output.splitlines() if "AppSecret" in line]
    assert "SHEQUN_WECHAT__OA__SECRET" in line
