"""The WeCom staff app in process, against the fake WeCom over real HTTP: pacing per
person, long cards, the robot's retries, duplicate checks, and who counts as staff."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from markupsafe import Markup

from bot.app import build_app
from bot.channels.hub import ChannelHub
from bot.channels.wechat.wecom_api import Pacer
from bot.channels.wechat.wecom_channel import WeComAppChannel
from bot.web.server import WebServer
from handlers.actions import Button, NotifyStaff
from handlers.clock import ManualClock
from storage.database import Storage
from tests.conftest import make_settings
from tests.fake_wechat import FakeWeCom
from tests.test_multiplatform_e2e import free_port, until

ZHANG, LI, LEAD, OUTSIDER = "zhangsan", "lisi", "wangwu", "zhaoliu"


async def test_the_pacer_waits_instead_of_letting_wecom_drop() -> None:
    now = [0.0]

    async def sleep(seconds: float) -> None:
        now[0] += seconds

    pacer = Pacer([(30, 60.0), (1000, 3600.0)], clock=lambda: now[0], sleep=sleep)
    for _ in range(30):
        await pacer.wait(ZHANG)
    assert now[0] == 0  # thirty within the minute go at once
    await pacer.wait(ZHANG)
    assert now[0] == pytest.approx(60.0)  # the 31st waits for the first to age out
    await pacer.wait(LI)
    assert now[0] == pytest.approx(60.0)  # somebody else is not held up


@pytest.fixture
async def desk(tmp_path: Path, sqlite_storage: Storage) -> AsyncIterator[Callable[..., Any]]:
    made: list[tuple[WebServer, WeComAppChannel, FakeWeCom]] = []

    async def make() -> tuple[WeComAppChannel, FakeWeCom, str]:
        fake = FakeWeCom()
        fake.staff_users |= {ZHANG, LI, LEAD, OUTSIDER}
        await fake.start()
        clock = ManualClock(start=datetime.fromtimestamp(fake.clock, UTC))
        settings = make_settings(
            tmp_path,
            staff={"chat": "wecom:staff", "leads_chat": "wecom:leads"},
            http={"host": "127.0.0.1", "port": free_port()},
            wechat={"api_base_url": fake.base_url},
            wecom={
                "corp_id": fake.corp_id,
                "agent_id": fake.agent_id,
                "secret": fake.secret,
                "token": fake.callback_token,
                "aes_key": fake.encoding_aes_key,
                "staff": [ZHANG, LI],
                "leads": [LEAD],
                "robot_key": fake.robot_key,
            },
        )
        app = build_app(settings, clock=clock, storage=sqlite_storage)
        await app.prepare()
        channel = WeComAppChannel(
            settings.wecom,
            settings.staff,
            app.dispatcher,
            app.storage,
            clock,
            api_base_url=fake.base_url,
        )
        channel.robot_retry = (0.05, 0.05)
        channel.deliver = ChannelHub([channel], settings.staff, app.texts).deliver_from("wecom")
        server = WebServer(settings.http, [channel.name])
        server.serve(channel.name, channel.routes())
        made.append((server, channel, fake))
        await server.start()
        await channel.start()
        server.channel_started(channel.name)
        return channel, fake, f"http://127.0.0.1:{server.port}/wecom/app"

    yield make
    for server, channel, fake in made:
        await channel.stop()
        await server.stop()
        await fake.stop()


async def test_a_long_card_is_shown_whole_first(desk: Callable[..., Any]) -> None:
    channel, fake, _ = await desk()
    text = "工单 #7（重大）\n" + "内容：" + "很长的投诉。" * 60
    buttons = ((Button("认领", data="esc:claim:7"),),)
    await channel.execute([NotifyStaff(text=Markup.escape(text), buttons=buttons)])
    [whole, card] = [m for m in fake.app_messages if m.person == ZHANG]
    assert whole.kind == "text" and whole.content["content"] == text
    assert card.kind == "template_card" and card.content["sub_title_text"].endswith("…")
    assert card.content["button_list"] == [{"text": "认领", "style": 1, "key": "esc:claim:7"}]


async def test_leads_notices_reach_the_robot_despite_refusals(desk: Callable[..., Any]) -> None:
    channel, fake, _ = await desk()
    fake.fail_next("webhook/send", 45009, times=2)
    await channel.execute([NotifyStaff(text=Markup("🚨 危机工单 #3"), leads=True)])
    assert [m.person for m in fake.app_messages] == [LEAD]  # the leads, not the staff
    await until(lambda: fake.robot_posts, "the robot post after two refusals")
    assert fake.robot_posts == ["🚨 危机工单 #3"]


async def test_sends_ask_for_wecoms_duplicate_check(desk: Callable[..., Any]) -> None:
    channel, fake, _ = await desk()
    notice = NotifyStaff(text=Markup("提醒：工单 #2 还没有人认领"))
    await channel.execute([notice])
    await channel.execute([notice])  # a retried send within half an hour
    assert [m.person for m in fake.app_messages] == [ZHANG, LI]
    sends = fake.calls("message/send")
    assert all(call.body["enable_duplicate_check"] == 1 for call in sends)


async def test_only_listed_staff_work_the_desk(desk: Callable[..., Any]) -> None:
    _, fake, url = await desk()
    assert await fake.post_app_callback(url, fake.staff_says(OUTSIDER, "/tickets")) == 200
    [refused] = await until(lambda: fake.app_texts(OUTSIDER), "an answer to the outsider")
    assert "客服" in refused  # desk commands are for staff
    assert await fake.post_app_callback(url, fake.staff_says(ZHANG, "/tickets")) == 200
    await until(lambda: fake.app_texts(ZHANG), "the staff member's list")
    assert not fake.app_texts(LI)  # the answer goes to whoever asked


async def test_forged_app_callbacks_are_refused(desk: Callable[..., Any]) -> None:
    _, fake, url = await desk()
    fake.encoding_aes_key = "A" * 43  # not the key Shequn has
    assert await fake.post_app_callback(url, fake.staff_says(ZHANG, "/tickets")) in (400, 403)
