"""The WeCom staff app in process, against the fake WeCom over real HTTP: pacing per
person, long cards, the robot's retries, duplicate checks, and who counts as staff."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from markupsafe import Markup

from bot.app import App, build_app
from bot.channels.hub import ChannelHub
from bot.channels.wechat.customer_groups import group_ref
from bot.channels.wechat.wecom_api import Pacer
from bot.channels.wechat.wecom_channel import WeComAppChannel
from bot.web.server import WebServer
from handlers.actions import Button, EditMessage, NotifyStaff, SendMessage, Tag
from handlers.clock import ManualClock
from handlers.events import ChatKind, ChatRef, MessageRef
from storage.database import Storage
from tests.conftest import make_settings
from tests.fake_wechat import FakeWeCom
from tests.test_multiplatform_e2e import free_port, until

ZHANG, LI, LEAD, OUTSIDER = "zhangsan", "lisi", "wangwu", "zhaoliu"
GROUP_ID, XIAOWANG = "wrGroupRunners01", "wmXiaoWang"


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

    async def make(
        fake: FakeWeCom | None = None, **wecom: Any
    ) -> tuple[WeComAppChannel, FakeWeCom, str]:
        if fake is None:
            fake = FakeWeCom()
            fake.staff_users |= {ZHANG, LI, LEAD, OUTSIDER}
            fake.add_group(GROUP_ID, "跑团一群", ZHANG)
            await fake.start()
        clock = ManualClock(start=datetime.fromtimestamp(fake.clock, UTC))
        settings = make_settings(
            tmp_path,
            topics={"schedules": [{"name": "noon", "cron": "0 12 * * *", "pool": "daily"}]},
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
                **wecom,
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
        rigs.append((app, clock))
        return channel, fake, f"http://127.0.0.1:{server.port}/wecom/app"

    rigs: list[tuple[App, ManualClock]] = []
    make.rigs = rigs  # type: ignore[attr-defined]
    yield make
    stopped: set[int] = set()
    for server, channel, fake in made:
        await channel.stop()
        await server.stop()
        if id(fake) not in stopped:
            stopped.add(id(fake))
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


async def test_a_card_with_no_update_left_stays_without_a_warning(
    desk: Callable[..., Any], caplog: pytest.LogCaptureFixture
) -> None:
    """WeCom lets each response code update a card once: a second change (``/resolve 3``
    typed in the app) is told by the command's answer, so nothing is asked of WeCom and
    nothing is logged as a refusal."""
    channel, fake, _ = await desk()
    buttons = ((Button("认领", data="esc:claim:3"),),)
    await channel.execute([NotifyStaff(text=Markup("工单 #3（一般）\n退款"), buttons=buttons)])
    task = next(m.content["task_id"] for m in fake.app_messages if m.kind == "template_card")
    card = MessageRef(ChatRef("wecom", "staff", ChatKind.GROUP), task)
    for state in ("处理人：张三", "已解决"):
        receipts = await channel.execute([EditMessage(message=card, text=Markup(state))])
        assert receipts == []
    assert len(fake.card_updates) == 1  # the send's code, used once
    assert not [record for record in caplog.records if record.levelno >= logging.WARNING]


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


async def test_the_same_answer_asked_twice_arrives_twice(desk: Callable[..., Any]) -> None:
    """WeCom's duplicate check compares content: it must not swallow the second answer
    to ``/tickets`` asked twice (each callback is its own update, handled once)."""
    _, fake, url = await desk()
    for _ in range(2):
        assert await fake.post_app_callback(url, fake.staff_says(ZHANG, "/tickets")) == 200
    answers = await until(lambda: fake.app_texts(ZHANG)[1:] and fake.app_texts(ZHANG), "two")
    assert answers[0] == answers[1]
    assert not any("enable_duplicate_check" in call.body for call in fake.calls("message/send"))


async def test_only_listed_staff_work_the_desk(desk: Callable[..., Any]) -> None:
    _, fake, url = await desk()
    assert await fake.post_app_callback(url, fake.staff_says(OUTSIDER, "/tickets")) == 200
    [refused] = await until(lambda: fake.app_texts(OUTSIDER), "an answer to the outsider")
    assert "仅限工作人员" in refused  # desk commands are for staff
    assert await fake.post_app_callback(url, fake.staff_says(ZHANG, "/tickets")) == 200
    await until(lambda: fake.app_texts(ZHANG), "the staff member's list")
    assert not fake.app_texts(LI)  # the answer goes to whoever asked


async def test_forged_app_callbacks_are_refused(desk: Callable[..., Any]) -> None:
    _, fake, url = await desk()
    fake.encoding_aes_key = "A" * 43  # not the key Shequn has
    assert await fake.post_app_callback(url, fake.staff_says(ZHANG, "/tickets")) in (400, 403)


async def _present(app: App) -> int:
    async with app.storage.transaction() as repos:
        chat = await repos.chats.get("wecom", f"group:{GROUP_ID}")
        return 0 if chat is None else await repos.members.count_present(chat.id)


async def test_customer_group_joins_and_leaves_are_seen(desk: Callable[..., Any]) -> None:
    _, fake, url = await desk()
    [(app, _)] = desk.rigs
    assert await fake.post_app_callback(url, fake.group_join(GROUP_ID, XIAOWANG, "小王")) == 200
    assert await _present(app) == 1  # a join: onboarding and the funnel count them
    async with app.storage.transaction() as repos:
        member = await repos.users.get("wechat", XIAOWANG)
    assert member is not None  # reached one to one as their 微信客服 self
    assert await fake.post_app_callback(url, fake.group_leave(GROUP_ID, XIAOWANG)) == 200
    assert await _present(app) == 0


async def test_group_posts_are_owner_tasks_within_the_monthly_cap(
    desk: Callable[..., Any],
) -> None:
    channel, fake, _ = await desk()
    [(_, clock)] = desk.rigs
    group = group_ref(GROUP_ID, "跑团一群")
    posts = [
        SendMessage(chat=group, text=Markup(f"话题 {n}"), tag=Tag("topic", n)) for n in range(5)
    ]
    receipts = await channel.execute(posts)
    assert [r.ok for r in receipts] == [True] * 4 + [False]
    assert receipts[-1].error == "monthly_cap"  # WeCom's 4 a month, counted here
    assert len(fake.group_tasks) == 4 and {t["owner"] for t in fake.group_tasks.values()} == {ZHANG}
    first = receipts[0].sent[0].message_id
    assert await channel.groups.task_state(first) == "waiting"
    clock.advance(timedelta(hours=3))
    await channel.groups.follow_up()
    await channel.groups.follow_up()
    assert sorted(fake.reminders) == sorted(fake.group_tasks)  # each owner reminded once
    fake.confirm(first)
    await channel.groups.follow_up()
    assert await channel.groups.task_state(first) == "sent"  # the confirmation, recorded
    greeting = SendMessage(chat=group, text=Markup("本周新朋友 @小王"), deliveries=(7,))
    [skipped] = await channel.execute([greeting])
    assert skipped.skipped and skipped.error == "owner_posts" and len(fake.group_tasks) == 4


async def test_the_welcome_template_is_kept(desk: Callable[..., Any]) -> None:
    _, fake, _ = await desk(group_welcome="欢迎！有问题点这里找我们：https://work.weixin.qq.com/kf")
    assert list(fake.welcome_templates.values()) == [
        "欢迎！有问题点这里找我们：https://work.weixin.qq.com/kf"
    ]
    await desk(fake, group_welcome="欢迎！有问题点这里找我们：https://work.weixin.qq.com/kf")
    assert len(fake.welcome_templates) == 1  # unchanged: not added again
    await desk(fake, group_welcome="欢迎新朋友！")
    assert list(fake.welcome_templates.values()) == ["欢迎新朋友！"]  # edited in place


async def test_a_scheduled_topic_becomes_an_owner_task(desk: Callable[..., Any]) -> None:
    channel, fake, url = await desk()
    [(app, clock)] = desk.rigs
    await fake.post_app_callback(url, fake.group_join(GROUP_ID, XIAOWANG, "小王"))
    async with app.storage.transaction() as repos:
        await repos.topics.add_topic("daily", "你最喜欢哪条跑步路线？", clock.now())
    for _ in range(2 * 24 * 60 // 30):  # up to two days, half an hour at a time
        clock.advance(timedelta(minutes=30))
        await app.record(await channel.deliver(await app.sweep()))
        if fake.group_tasks:
            break
    [(msgid, task)] = fake.group_tasks.items()
    assert "你最喜欢哪条跑步路线" in task["text"] and task["owner"] == ZHANG
    assert task["chats"] == [GROUP_ID]
    fake.confirm(msgid)
    await channel.groups.follow_up()
    assert await channel.groups.task_state(msgid) == "sent"
