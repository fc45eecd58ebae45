"""The staff desk in WeCom, end to end: a real ``shequn run`` process with 微信客服 for
members and a WeCom app for staff, against the fake WeCom. A member's complaint
reaches staff as a template card; one claims it with the card's button (the
other's press finds it taken), the card is updated in place, the answer typed in
the app (``#1 …``) reaches the member through 微信客服; a crisis goes to the leads
and to the internal group's robot."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.fake_wechat import FakeWeCom
from tests.test_multiplatform_e2e import free_port, until
from tests.test_telegram_e2e import BotProcess

KF = "wkShequnKF"
ALICE = "wmAlice"
ZHANG, LI, LEAD = "zhangsan", "lisi", "wangwu"


class Desk:
    def __init__(self, wecom: FakeWeCom, data_dir: Path) -> None:
        self.wecom, self.data_dir = wecom, data_dir
        self.port = free_port()
        self.bot: BotProcess | None = None

    async def start(self, **env: str) -> None:
        wecom = self.wecom
        self.bot = bot = BotProcess(
            None,
            self.data_dir,
            SHEQUN_HTTP__PORT=str(self.port),
            SHEQUN_WECHAT__API_BASE_URL=wecom.base_url,
            SHEQUN_WECHAT__KF__CORP_ID=wecom.corp_id,
            SHEQUN_WECHAT__KF__SECRET=wecom.secret,
            SHEQUN_WECHAT__KF__TOKEN=wecom.callback_token,
            SHEQUN_WECHAT__KF__ENCODING_AES_KEY=wecom.encoding_aes_key,
            SHEQUN_WECOM__CORP_ID=wecom.corp_id,
            SHEQUN_WECOM__AGENT_ID=str(wecom.agent_id),
            SHEQUN_WECOM__SECRET=wecom.secret,
            SHEQUN_WECOM__TOKEN=wecom.callback_token,
            SHEQUN_WECOM__AES_KEY=wecom.encoding_aes_key,
            SHEQUN_WECOM__STAFF=f'["{ZHANG}", "{LI}"]',
            SHEQUN_WECOM__LEADS=f'["{LEAD}"]',
            SHEQUN_WECOM__ROBOT_KEY=wecom.robot_key,
            SHEQUN_STAFF__CHAT="wecom:staff",
            SHEQUN_STAFF__LEADS_CHAT="wecom:leads",
            **env,
        )
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

    async def member_says(self, text: str) -> None:
        self.wecom.customer_says(KF, ALICE, text)
        url = f"http://127.0.0.1:{self.port}/wechat/kf"
        assert await self.wecom.post_callback(url, KF) == 200

    async def app(self, plaintext: str) -> None:
        url = f"http://127.0.0.1:{self.port}/wecom/app"
        assert await self.wecom.post_app_callback(url, plaintext) == 200

    async def card_for(self, person: str, needle: str) -> dict[str, Any]:
        def found() -> dict[str, Any] | None:
            for message in self.wecom.app_messages:
                card = message.content
                shown = str(card.get("main_title", {}).get("title", "")) + str(
                    card.get("sub_title_text", "")
                )
                if message.person == person and message.kind == "template_card" and needle in shown:
                    return card
            return None

        return await until(found, f"a card with {needle!r} for {person}")

    async def app_text_for(self, person: str, needle: str) -> str:
        return await until(
            lambda: next((t for t in self.wecom.app_texts(person) if needle in t), None),
            f"{needle!r} in {person}'s WeCom",
        )

    async def member_gets(self, needle: str) -> str:
        return await until(
            lambda: next((t for t in self.wecom.sent_texts(ALICE) if needle in t), None),
            f"{needle!r} sent to the WeChat member",
        )


@pytest.fixture
async def desk(tmp_path: Path) -> AsyncIterator[Desk]:
    fake = FakeWeCom()
    fake.add_account(KF)
    fake.add_member(ALICE, "小王")
    fake.staff_users |= {ZHANG, LI, LEAD}
    fake.staff_names.update({ZHANG: "张三", LI: "李四"})
    await fake.start()
    rig = Desk(fake, tmp_path)
    yield rig
    rig.stop()
    await fake.stop()


def _key(card: dict[str, Any], label: str) -> str:
    return next(b["key"] for b in card["button_list"] if label in b["text"])


async def test_a_wechat_complaint_is_worked_from_wecom(desk: Desk) -> None:
    await desk.start()
    async with httpx.AsyncClient() as client:  # ready: both WeCom apps answer their keys
        ready = await client.get(f"http://127.0.0.1:{desk.port}/readyz")
    assert {k: ready.json()["checks"][k] for k in ("wechat", "wecom")} == {
        "wechat": "ok",
        "wecom": "ok",
    }
    await desk.member_says("投诉 退款三周了还没到账")
    await desk.member_gets("工单 #1")
    card = await desk.card_for(ZHANG, "退款三周了还没到账")
    await desk.card_for(LI, "退款三周了还没到账")  # every staff member gets it
    await desk.app(desk.wecom.press(card["task_id"], ZHANG, _key(card, "认领")))
    await desk.app_text_for(ZHANG, "已由张三认领")  # by their name in the contacts
    await until(lambda: desk.wecom.card_updates, "the card updated in place")
    [(task, updated)] = desk.wecom.card_updates
    assert task == card["task_id"] and "张三" in updated["sub_title_text"]  # who has it
    keys = [button["key"] for button in updated["button_list"]]
    assert keys == ["esc:reply:1", "esc:resolve:1", "esc:escalate:1"]  # no 认领 once claimed
    await desk.app(desk.wecom.press(card["task_id"], LI, _key(card, "认领")))  # too late
    await desk.app_text_for(LI, "已被张三认领")  # told who has it
    assert "已认领" not in desk.wecom.app_texts(ZHANG)  # the note says it; no toast as well
    await desk.app(desk.wecom.staff_says(ZHANG, "#1 已经为你加急处理，今天到账"))
    answer = await desk.member_gets("已经为你加急处理")
    assert "<" not in answer
    await desk.app(desk.wecom.staff_says(ZHANG, "/tickets"))
    listing = await desk.app_text_for(ZHANG, "#1")
    assert listing and not any("#1" in t for t in desk.wecom.app_texts(LEAD))


async def test_staff_hear_when_their_answer_waits_for_the_members_window(desk: Desk) -> None:
    """WeChat takes five messages per member message: the answers beyond them are held,
    and staff, told "sent" as they typed, hear that it waits, and why; the held
    answers go out when the member writes again."""
    await desk.start()
    await desk.member_says("投诉 退款三周了还没到账")
    await desk.member_gets("工单 #1")
    for n in range(1, 7):
        await desk.app(desk.wecom.staff_says(ZHANG, f"#1 第{n}次回复"))
        await until(
            lambda n=n: sum("已发送给成员" in t for t in desk.wecom.app_texts(ZHANG)) == n,
            f"answer {n} taken",
        )
    delivered = [
        n for n in range(1, 7) if any(f"第{n}次回复" in t for t in desk.wecom.sent_texts(ALICE))
    ]
    held = [n for n in range(1, 7) if n not in delivered]
    assert held and delivered == list(range(1, 7 - len(held)))
    note = await desk.app_text_for(ZHANG, "暂时发不出去")  # the same note twice is one
    assert "工单 #1" in note and "微信窗口已关闭" in note
    await desk.member_says("收到了吗")
    for n in held:
        await desk.member_gets(f"第{n}次回复")
    await desk.app_text_for(ZHANG, "收到了吗")  # staff see the member's answer: all done


async def test_a_crisis_reaches_the_leads_and_their_group(desk: Desk) -> None:
    await desk.start()
    await desk.member_says("三次扣费不退款，我已经报警了，明天就去12315投诉，还要找媒体曝光你们")
    await desk.member_gets("工单 #1")
    await desk.app_text_for(LEAD, "#1")
    await until(lambda: any("#1" in post for post in desk.wecom.robot_posts), "the robot post")


async def test_a_customer_group_join_starts_onboarding(desk: Desk) -> None:
    desk.wecom.add_group("wrRunners", "跑团一群", ZHANG)
    await desk.start(
        SHEQUN_WECOM__GROUP_WELCOME="欢迎！有问题点这里：https://work.weixin.qq.com/kf"
    )
    await desk.app(desk.wecom.group_join("wrRunners", "wmNewbie", "新朋友"))
    assert list(desk.wecom.welcome_templates.values()) == [
        "欢迎！有问题点这里：https://work.weixin.qq.com/kf"
    ]
    desk.stop()
    report = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "bot", "report", "onboarding"],
        cwd=desk.data_dir,
        env={**_environment(), "SHEQUN_DATA_DIR": str(desk.data_dir)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert report.returncode == 0, report.stderr
    group = report.stdout.split("跑团一群 (wecom group:wrRunners)", 1)[1]
    assert re.search(r"joined\s+1\n", group), report.stdout  # the join reached the funnel
    assert not desk.wecom.group_tasks  # the welcome is WeChat's template, not an owner task


def _environment() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("SHEQUN_")}
