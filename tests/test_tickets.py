"""The ticket loop through the real dispatcher: a member complains, staff get a
card, exactly one claims, the reply reaches the member signed by the role,
resolving asks for a rating, the rating is kept; members see only their own."""

from __future__ import annotations

import asyncio
import dataclasses
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.app import build_app
from bot.channels.rendering import plain_text
from handlers.actions import (
    AnswerButton,
    EditMessage,
    NotifyStaff,
    SendMessage,
    SendPrivate,
    receipt_for,
)
from handlers.clock import ManualClock
from handlers.escalation.cards import TO_MEMBER
from handlers.events import ButtonPressed, ChatKind, ChatRef, MessageRef
from storage.database import Storage
from tests.chat_harness import STAFF_CHAT, Chat, said
from tests.conftest import FakePlatform, make_settings
from tests.helpers import command, incoming, joined, person, private_chat, stored_people

# 10:00 in Shanghai: staff are on duty.
MORNING = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)
ALICE, BOB = person("1", "Alice <b>"), person("2", "Bob")
STAFF_A, STAFF_B = person("900", "Staffer A"), person("901", "Staffer B")


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(start=MORNING)


@pytest.fixture
async def chat(tmp_path: Path, sqlite_storage: Storage, clock: ManualClock) -> Chat:
    settings = make_settings(
        tmp_path,
        community={"staff": ["testnet:900", "testnet:901"]},
        faq={"enabled": False},
        points={"enabled": False},
        onboarding={"enabled": False},
    )
    c = Chat(build_app(settings, clock=clock, storage=sqlite_storage))
    for user in (ALICE, BOB):
        await c.send(joined(c.now, user))
    return c


def cards(actions: list) -> list[NotifyStaff]:
    return [a for a in actions if isinstance(a, NotifyStaff)]


async def test_the_whole_loop(chat: Chat) -> None:
    actions = await chat.cmd(ALICE, "/complain 课程视频第三次打不开了，我真的无语！！")
    assert "工单 #1" in said(actions) and "小时内回复" in said(actions)
    [card] = cards(actions)
    assert "Alice <b>" in plain_text(card.text) and "&lt;b&gt;" in str(card.text)
    (claim, _), (resolve, escalate) = ([b.data for b in row] for row in card.buttons)
    desk = MessageRef(private_chat(STAFF_A), "1")
    raised = await chat.press(STAFF_B, escalate, on=desk)
    assert any("升级为「危机」" in plain_text(a.text) for a in cards(raised))
    first = await chat.press(STAFF_A, claim, on=desk)
    second = await chat.press(STAFF_B, claim, on=desk)
    assert [a.text for a in first if isinstance(a, AnswerButton)] == ["已认领"]
    assert [a.text for a in second if isinstance(a, AnswerButton)] == ["已被Staffer A认领"]
    answer = await chat.cmd(
        STAFF_A, "/reply 1 抱歉给你带来不便，已经修复，请刷新再试。", private_chat(STAFF_A)
    )
    # Alice never opened a private chat with the bot: the answer comes in the group.
    [to_member] = [a for a in answer if isinstance(a, SendMessage) and a.chat.id == "-100500"]
    assert "@Alice <b>" in plain_text(to_member.text)
    assert "工作人员回复（工单 #1）" in plain_text(to_member.text)
    assert "Staffer" not in plain_text(to_member.text)  # signed by the role, not the person
    done = await chat.press(STAFF_B, resolve, on=desk)
    [rating] = [a for a in done if isinstance(a, SendMessage) and a.buttons]
    five = rating.buttons[1][1].data
    assert [a.text for a in await chat.press(ALICE, five) if isinstance(a, AnswerButton)] == [
        "谢谢你的评价！"
    ]
    assert [a.text for a in await chat.press(ALICE, five) if isinstance(a, AnswerButton)] == [
        "这张工单已经评价过了。"
    ]
    assert [a.text for a in await chat.press(BOB, five) if isinstance(a, AnswerButton)] == [
        "只有提交这张工单的成员才能评价。"
    ]
    async with chat.app.storage.transaction() as repos:
        ticket = await repos.tickets.get(1)
        kinds = [event.kind for event in await repos.tickets.history(1)]
    assert ticket is not None and ticket.status == "resolved" and ticket.rating == 5
    assert ticket.first_response_at is not None
    assert kinds == ["opened", "escalated", "claimed", "replied", "resolved", "rated"]
    assert "已经解决" in said(await chat.cmd(STAFF_A, "/reply 1 还有吗", private_chat(STAFF_A)))
    shown = await chat.cmd(STAFF_A, "/ticket 1", private_chat(STAFF_A))
    assert '<a href="message:testnet:-100500/' in str(shown[0].text)  # links to Alice's message
    assert "来源：测试群 <Test> & co" in said(shown) and "Alice <b>" in said(shown)


async def test_repeated_complaints_join_one_ticket_and_grade_up(chat: Chat) -> None:
    await chat.cmd(BOB, "/complain 直播有点卡")
    again = await chat.cmd(BOB, "/complain 你们就是骗子，我要找律师维权！")
    assert "已补充到你的工单 #1" in said(again)
    # Asking for a person again has nothing to add: the member hears the ticket is open.
    nudged = await chat.cmd(BOB, "/human")
    assert said(nudged) == "你的工单 #1 还在处理中，工作人员会尽快回复你。"
    async with chat.app.storage.transaction() as repos:
        ticket = await repos.tickets.get(1)
    assert ticket is not None and ticket.severity == "crisis"


async def test_members_and_staff_see_what_they_may(chat: Chat) -> None:
    await chat.cmd(ALICE, "/complain 积分莫名其妙清零了")
    await chat.cmd(BOB, "/human")
    assert "仅限工作人员" in said(await chat.cmd(ALICE, "/tickets", private_chat(ALICE)))
    assert "仅限工作人员" in said(await chat.cmd(ALICE, "/ticket 2", private_chat(ALICE)))
    mine = said(await chat.cmd(ALICE, "/mytickets"))
    assert "积分莫名其妙清零了" in mine and "请求人工" not in mine
    listing = said(await chat.cmd(STAFF_A, "/tickets", private_chat(STAFF_A)))
    assert "#1" in listing and "#2" in listing
    await chat.cmd(person("3", "Carol"), "/complain " + "报名表填好了但一直提交不了，" * 8)  # long
    listing = said(await chat.cmd(STAFF_A, "/tickets", private_chat(STAFF_A)))
    assert "报名表填好了但一直提交不了，报名表填好了但一直" in listing and "…" in listing
    assert "没有工单 #9。" in said(await chat.cmd(STAFF_A, "/reply 9 你好", private_chat(STAFF_A)))
    assert "用法" in said(await chat.cmd(STAFF_A, "/reply", private_chat(STAFF_A)))
    assert "用法" in said(await chat.cmd(ALICE, "/complain"))
    pressed = await chat.press(ALICE, "esc:claim:1")
    assert [a.text for a in pressed if isinstance(a, AnswerButton)] == [
        "只有工作人员可以处理工单。"
    ]


async def test_a_long_complaint_is_cut_visibly_on_the_card_and_kept_whole(chat: Chat) -> None:
    """The card shows the first 500 characters and says it was cut; /ticket has it all."""
    long = "课程视频打不开，" * 100 + "结尾在这里"
    [card] = cards(await chat.cmd(ALICE, "/complain " + long))
    assert "…" in plain_text(card.text) and "结尾在这里" not in plain_text(card.text)
    shown = said(await chat.cmd(STAFF_A, "/ticket 1", private_chat(STAFF_A)))
    assert "结尾在这里" in shown


async def test_an_answer_longer_than_a_message_is_refused_and_nothing_is_sent(
    chat: Chat,
) -> None:
    """The console's text box takes any length: 4,001 characters would reach the member
    as a run of messages, so staff are asked to send it in parts."""
    await chat.cmd(ALICE, "/complain 退款三周了还没到账")
    refused = await chat.cmd(STAFF_A, "/reply 1 " + "字" * 4001, private_chat(STAFF_A))
    assert "这条回复太长了（4001字），最多4000字" in said(refused)
    assert not [a for a in refused if isinstance(a, SendMessage) and a.chat.id == "-100500"]
    async with chat.app.storage.transaction() as repos:
        ticket = await repos.tickets.get(1)
    assert ticket is not None and ticket.first_response_at is None
    sent = await chat.cmd(STAFF_A, "/reply 1 " + "字" * 4000, private_chat(STAFF_A))
    assert "已发送给成员" in said(sent)


async def test_forged_button_data_changes_nothing(chat: Chat) -> None:
    """Telegram delivers whatever callback data a client sends: a rating of 45 or an
    empty one is no rating, a ticket number beyond any id or in other digits is an
    expired button, and the ticket keeps no rating it could not have been given."""
    await chat.cmd(ALICE, "/complain 积分莫名其妙清零了")
    desk = MessageRef(private_chat(STAFF_A), "1")
    await chat.press(STAFF_A, "esc:resolve:1", on=desk)
    for data in ("esc:rate:1:45", "esc:rate:1:", "esc:rate:1:12345"):
        pressed = await chat.press(ALICE, data)  # not a rating: a member's other press
        assert [a.text for a in pressed if isinstance(a, AnswerButton)] == [
            "只有工作人员可以处理工单。"
        ]
    for data in ("esc:claim:" + "9" * 25, "esc:claim:²", "esc:claim:１"):
        pressed = await chat.press(STAFF_A, data, on=desk)
        assert [a.text for a in pressed if isinstance(a, AnswerButton)] == ["这个按钮已过期。"]
    async with chat.app.storage.transaction() as repos:
        ticket = await repos.tickets.get(1)
    assert ticket is not None and ticket.rating is None


async def test_a_member_who_opened_a_private_chat_is_answered_privately(chat: Chat) -> None:
    await chat.cmd(BOB, "/start", private_chat(BOB))
    await chat.cmd(BOB, "/complain 证书名字打错了")
    answer = await chat.cmd(STAFF_A, "/reply 1 已经更正，明天重新发放。", private_chat(STAFF_A))
    [to_member] = [a for a in answer if isinstance(a, SendPrivate)]
    assert to_member.user.id == BOB.id and to_member.fallback_chat is not None


async def test_out_of_hours_the_member_is_told_when(chat: Chat) -> None:
    chat.wait(13 * 3600)  # 23:00 in Shanghai
    said_ = said(await chat.cmd(ALICE, "/complain 课件下载不了"))
    assert "现在是非工作时间，工作人员会在明天09:00上班后尽快回复你" in said_, said_


async def test_complaints_in_group_messages_become_one_ticket(chat: Chat) -> None:
    assert said(await chat.say(ALICE, "退款一般几天到账？")) == ""  # an inquiry
    assert said(await chat.say(ALICE, "今天的分享太棒了，谢谢！")) == ""
    first = await chat.say(BOB, "续费被自动扣款了，我根本没开自动续费，这不是坑钱吗！！")
    assert "工单 #1" in said(first) and cards(first)
    again = await chat.say(BOB, "到现在还没人理我，太过分了！")
    assert "已收到" not in said(again)  # no second acknowledgement in the group
    assert "已补充" not in said(again)  # one flood, one acknowledgement
    assert "补充了" in said(cards(again))
    chat.wait(2 * 24 * 3600)  # days later, the ticket still open: told where it went
    later = await chat.say(BOB, "两天了还是没人处理，太过分了，我要投诉！")
    assert "已补充到你的工单 #1" in said(later)
    async with chat.app.storage.transaction() as repos:
        assert [t.id for t in await repos.tickets.ongoing()] == [1]


def ticket_cards(actions: list) -> list[NotifyStaff]:
    """Only the cards (not reminders or other notices)."""
    return [a for a in cards(actions) if a.tag is not None and a.tag.kind == "ticket_card"]


def staff_notes(actions: list) -> list[str]:
    return [plain_text(a.text) for a in actions if isinstance(a, NotifyStaff)]


async def test_sla_reminder_at_half_and_breach_at_the_target(
    tmp_path: Path, sqlite_storage: Storage, clock: ManualClock
) -> None:
    settings = make_settings(
        tmp_path,
        community={"staff": ["testnet:900"]},
        escalation={"leads": ["testnet:777"]},
        faq={"enabled": False}, points={"enabled": False}, onboarding={"enabled": False},
    )  # fmt: skip
    c = Chat(build_app(settings, clock=clock, storage=sqlite_storage))
    await c.cmd(ALICE, "/complain 课件下载不了")  # low: 2 hours, at 10:00
    await c.cmd(BOB, "/complain 证书名字打错了")
    await c.cmd(STAFF_A, "/reply 2 马上更正", private_chat(STAFF_A))  # answered in time
    c.wait(59 * 60)
    assert staff_notes(await c.sweep()) == []
    c.wait(2 * 60)
    [reminder] = staff_notes(await c.sweep())
    assert "工单 #1" in reminder and ("还剩58分钟" in reminder or "还剩59分钟" in reminder)
    assert staff_notes(await c.sweep()) == []  # reminded once
    c.wait(60 * 60)
    [breach] = staff_notes(await c.sweep())
    assert "工单 #1" in breach and "testnet:777" in breach
    assert staff_notes(await c.sweep()) == []


async def test_the_clock_only_runs_in_staff_hours(
    tmp_path: Path, sqlite_storage: Storage, clock: ManualClock
) -> None:
    settings = make_settings(tmp_path, community={"staff": ["testnet:900"]},
                             faq={"enabled": False})  # fmt: skip
    c = Chat(build_app(settings, clock=clock, storage=sqlite_storage))
    c.wait(10 * 3600 + 30 * 60)  # 20:30
    ack = said(await c.cmd(ALICE, "/complain 课件下载不了"))  # 30 minutes before staff go home
    # Not "within 2 hours": the promise names when the target really falls due.
    assert "工作人员会在明天10:30前回复你" in ack, ack
    c.wait(12 * 3600)  # 08:30 the next day: 30 staff minutes have passed
    assert staff_notes(await c.sweep()) == []
    c.wait(3600)  # 09:30: 60 staff minutes, half the target
    assert any("工单 #1" in note for note in staff_notes(await c.sweep()))


async def test_a_night_shift_across_midnight_runs_the_clock(
    tmp_path: Path, sqlite_storage: Storage, clock: ManualClock
) -> None:
    """Staff hours 20:00-02:00: a complaint at 23:00 is reminded at midnight and breached
    at 01:00 (120-minute target), not never."""
    settings = make_settings(
        tmp_path,
        community={"staff": ["testnet:900"]},
        faq={"enabled": False},
        escalation={"staff_hours": "20:00-02:00"},
    )
    c = Chat(build_app(settings, clock=clock, storage=sqlite_storage))
    c.wait(13 * 3600)  # 23:00
    ack = said(await c.cmd(ALICE, "/complain 课件下载不了"))
    assert "2小时内" in ack and "非工作时间" not in ack
    c.wait(3600)  # 00:00: half the target
    reminded = staff_notes(await c.sweep())
    assert any("还剩60分钟" in note for note in reminded), reminded  # seconds later: 60, not 59
    c.wait(3600)  # 01:00: the target
    breach = [a for a in await c.sweep() if isinstance(a, NotifyStaff) and a.leads]
    assert breach and "超过120分钟" in plain_text(breach[0].text)
    c.wait(12 * 3600)  # 13:00: outside the night shift
    assert "会在今天20:00上班后" in said(await c.cmd(BOB, "/complain 又打不开了"))


async def test_a_ticket_raised_by_what_the_member_adds_shows_its_new_grade(chat: Chat) -> None:
    [card] = cards(await chat.cmd(ALICE, "/complain 课件下载不了"))
    raised = await chat.cmd(ALICE, "/complain 再不处理我就去12315投诉，找律师曝光你们！")
    [edited] = [a for a in raised if isinstance(a, EditMessage)]
    assert edited.message.id == chat.where(card).id
    assert "危机" in plain_text(edited.text) and "一般" not in plain_text(edited.text)
    shown = said(await chat.cmd(STAFF_A, "/ticket 1", private_chat(STAFF_A)))
    assert "自动升级 · 机器人 → 危机" in shown and "crisis" not in shown


async def test_an_undelivered_answer_shows_its_reason_in_words(chat: Chat) -> None:
    """A WeChat window closed is recorded as ``window_closed``; staff read it as words."""
    await chat.cmd(ALICE, "/complain 课件下载不了")
    async with chat.app.storage.transaction() as repos:
        await repos.tickets.log(1, "undelivered", chat.app.clock.now(), text="window_closed")
    shown = said(await chat.cmd(STAFF_A, "/ticket 1", private_chat(STAFF_A)))
    assert "未能送达成员 · 机器人 微信窗口已关闭" in shown and "window_closed" not in shown


async def test_staff_hear_when_their_answer_did_not_reach_the_member(chat: Chat) -> None:
    """Staff are told "sent" as they answer; the channel's report comes after: a message
    to the member that failed is noted to staff, on the ticket, with the platform's word."""
    await chat.cmd(ALICE, "/complain 课件下载不了")
    actions = await chat.cmd(STAFF_A, "/reply 1 已经修好了", private_chat(STAFF_A))
    [to_member] = [a for a in actions if a.tag is not None and a.tag.kind == TO_MEMBER]
    failed = receipt_for(to_member, "Bad Request: chat not found")
    assert failed is not None
    hook = chat.app.dispatcher.router.receipt_hooks[failed.tag.kind]
    async with chat.app.storage.transaction() as repos:
        [note] = await hook(repos, failed, chat.app.clock.now(), chat.app.texts)
    assert isinstance(note, NotifyStaff) and note.tag is not None and note.tag.key == 1
    assert (
        plain_text(note.text) == "⚠️ 工单 #1 发给成员的消息没能送达：Bad Request: chat not found。"
    )
    delivered = receipt_for(to_member, None)
    assert delivered is not None
    async with chat.app.storage.transaction() as repos:
        assert await hook(repos, delivered, chat.app.clock.now(), chat.app.texts) == []


async def test_a_crisis_notifies_the_leads_at_once(chat: Chat) -> None:
    actions = await chat.cmd(ALICE, "/complain 你们就是骗子，我要找律师维权！")
    notes = staff_notes(actions)
    assert any("危机" in note for note in notes) and any("负责人" in note for note in notes)
    # There is nothing above a crisis: ⬆️ says so instead of a silent "升级了".
    card = cards(actions)[0]
    escalate = card.buttons[1][1].data
    pressed = await chat.press(STAFF_A, escalate, on=MessageRef(STAFF_CHAT, "1"))
    [toast] = [a.text for a in pressed if isinstance(a, AnswerButton)]
    assert toast.startswith("已是最高级别（危机）") and not cards(pressed)
    assert "请立即处理并通知负责人" in plain_text(card.text)
    resolve = card.buttons[1][0].data
    resolved = await chat.press(STAFF_A, resolve, on=MessageRef(STAFF_CHAT, "1"))
    [shown] = [a for a in resolved if isinstance(a, EditMessage)]
    assert "已解决" in plain_text(shown.text)
    assert "请立即处理" not in plain_text(shown.text)  # done: no call to act any more


async def test_the_ticket_list_says_how_long_each_has_waited(chat: Chat) -> None:
    await chat.cmd(ALICE, "/complain 课件下载不了")
    listing = said(await chat.cmd(STAFF_A, "/tickets", private_chat(STAFF_A)))
    assert "刚刚" in listing
    chat.wait(65 * 60)
    await chat.cmd(BOB, "/complain 直播一直卡")
    listing = said(await chat.cmd(STAFF_A, "/tickets", private_chat(STAFF_A)))
    assert "1小时5分" in listing and "刚刚" in listing
    chat.wait(26 * 3600)
    listing = said(await chat.cmd(STAFF_A, "/tickets", private_chat(STAFF_A)))
    assert "1天3小时" in listing and "1天2小时" in listing


async def test_sla_figures_by_severity(chat: Chat) -> None:
    await chat.cmd(ALICE, "/complain 课件下载不了")
    await chat.cmd(BOB, "/complain 你们就是骗子，我要找律师维权！")
    chat.wait(30 * 60)
    await chat.cmd(STAFF_A, "/reply 1 已修复", private_chat(STAFF_A))
    await chat.cmd(STAFF_A, "/resolve 1", private_chat(STAFF_A))
    text = said(await chat.cmd(STAFF_A, "/sla", private_chat(STAFF_A)))
    lines = text.splitlines()
    assert "危机：1单" in lines[1] and "首次响应中位数—" in lines[1]
    assert "一般：1单" in lines[2] and "首次响应中位数30" in lines[2]
    assert "2小时内回复100%，24小时内100%" in lines[2]
    # The crisis has waited 30 minutes: not yet a miss of the two hours, so no share yet.
    assert "2小时内回复—" in lines[1]
    assert lines[3] == "按周" and lines[4].startswith(
        "2026年第48周：2单 · 首次响应中位数30分钟，90%在30分钟内"
    )
    assert "仅限工作人员" in said(await chat.cmd(ALICE, "/sla", private_chat(ALICE)))


def test_report_sla_prints_the_figures(run: Any, tmp_path: Path) -> None:
    # Before any start there is no database: a report says so rather than make an empty
    # one and report that all is well (a mistyped path would do the same).
    code, out = run("report", "sla")
    database = tmp_path / "data" / "shequn.db"
    assert code == 2 and out.startswith(f"there is no SQLite database at {database}, ")
    assert "\n" not in out.rstrip() and not database.exists()
    assert run("db", "upgrade")[0] == 0
    code, out = run("report", "sla")
    assert code == 0 and "no tickets" in out
    code, out = run("report", "sla", "--json")
    assert code == 0 and '"by_severity": {}' in out
    asyncio.run(_fill_tickets(tmp_path))
    code, out = run("report", "sla", "--json")
    assert code == 0, out
    report = json.loads(out)
    low, crisis = report["by_severity"]["low"], report["by_severity"]["crisis"]
    assert list(report["by_severity"]) == ["crisis", "low"]
    assert low["tickets"] == 4 and low["answered"] == 3  # one still waits for an answer
    assert low["first_response_median"] == 30 and low["first_response_p90"] == 50
    assert low["resolved"] == 2 and low["resolution_median"] == 75
    assert low["breaches"] == 1 and low["satisfaction"] == 4.5
    assert low["answered_2h"] == 0.75 and low["answered_24h"] == 0.75  # 3 of 4 answered
    assert crisis["tickets"] == 1 and crisis["first_response_median"] == 5
    assert sum(week["tickets"] for week in report["by_week"].values()) == 5
    code, out = run("report", "sla")
    assert code == 0 and "low" in out and "breaches 1" in out and "satisfaction 4.5" in out
    # Figures with nothing to measure yet are shown as /sla shows them, never "None".
    [crisis_line] = [line for line in out.splitlines() if line.strip().startswith("crisis")]
    assert "resolution median —" in crisis_line and "satisfaction —" in crisis_line
    assert "   1 ticket   first response" in crisis_line  # not "1 tickets"; columns kept
    assert "   4 tickets  first response" in out
    assert "None" not in out
    assert "answered within 2 h 75%, 24 h 75%" in out
    code, out = run("report", "sla", "--days", "1")
    assert code == 0 and "no tickets" in out  # all five are older than a day


async def _fill_tickets(tmp_path: Path) -> None:
    """Five tickets two days ago with known response, resolution and ratings."""
    storage = Storage.from_url(f"sqlite+aiosqlite:///{tmp_path / 'data' / 'shequn.db'}")
    t0 = datetime.now(UTC) - timedelta(days=2)
    minutes = [timedelta(minutes=m) for m in range(200)]
    try:
        async with storage.transaction() as repos:
            chat = await repos.chats.upsert("telegram", "-1", kind="group", title="群", at=t0)
            people = await stored_people(repos, 6, t0, platform="telegram")
            staff, members = people[0], people[1:]
            plan = [  # severity, first response, resolved, rating
                ("low", 10, 60, 4),
                ("low", 30, 90, 5),
                ("low", 50, None, None),
                ("low", None, None, None),
                ("crisis", 5, None, None),
            ]
            for member, (severity, first, solved, rating) in zip(members, plan, strict=True):
                ticket, _, _ = await repos.tickets.open_or_append(
                    chat.id, member, "general", "问题", severity, t0
                )
                if first is not None:
                    await repos.tickets.replied(ticket.id, staff, "在看", t0 + minutes[first])
                if solved is not None:
                    await repos.tickets.resolve(ticket.id, staff, t0 + minutes[solved])
                if rating is not None:
                    await repos.tickets.rate(ticket.id, member, rating, t0 + minutes[199])
                if first is None and severity == "low":
                    await repos.tickets.mark(ticket.id, "breached_at", t0 + minutes[120])
    finally:
        await storage.close()


async def test_reminders_survive_a_restart_and_come_once(
    tmp_path: Path, sqlite_storage: Storage, clock: ManualClock
) -> None:
    def app() -> Chat:
        settings = make_settings(tmp_path, community={"staff": ["testnet:900"]},
                                 faq={"enabled": False})  # fmt: skip
        return Chat(build_app(settings, clock=clock, storage=sqlite_storage))

    before = app()
    await before.cmd(ALICE, "/complain 课件下载不了")
    before.wait(61 * 60)
    assert len(staff_notes(await before.sweep())) == 1  # the half-way reminder
    after = app()  # a new process on the same database, later
    after.wait(30 * 60)
    assert staff_notes(await after.sweep()) == []  # not reminded again
    after.wait(30 * 60)
    assert any("超过" in note for note in staff_notes(await after.sweep()))  # the breach


def answers_to(actions: list, user: Any) -> list[str]:
    """What reached ``user``: privately, or in the group with a mention."""
    return [
        plain_text(a.text)
        for a in actions
        if (isinstance(a, SendPrivate) and a.user.id == user.id)
        or (
            isinstance(a, SendMessage)
            and a.chat.id == "-100500"
            and user.display_name in plain_text(a.text)
        )
    ]


async def test_staff_answer_by_replying_to_the_card_and_the_member_by_replying_back(
    chat: Chat,
) -> None:
    [card] = cards(await chat.cmd(ALICE, "/complain 课件下载不了"))
    on_card = chat.where(card)
    answered = await chat.say(
        STAFF_A, "已经修复 <b>请刷新</b>", STAFF_CHAT, reply_to=on_card, reply_to_bot=True
    )
    [to_alice] = answers_to(answered, ALICE)
    assert "工作人员回复（工单 #1）" in to_alice and "已经修复 <b>请刷新</b>" in to_alice
    assert "已发送给成员（工单 #1）" in said(answered)
    [message] = [a for a in answered if isinstance(a, SendMessage) and a.chat.id == "-100500"]
    back = await chat.say(
        ALICE, "还是不行，提示 404", reply_to=chat.where(message), reply_to_bot=True
    )
    assert "已补充到工单 #1" in said(back)
    assert any("Alice <b>回复了：还是不行，提示 404" in note for note in staff_notes(back))
    async with chat.app.storage.transaction() as repos:
        ticket = await repos.tickets.get(1)
        kinds = [event.kind for event in await repos.tickets.history(1)]
    assert ticket is not None and ticket.status == "claimed"  # back with staff
    assert kinds == ["opened", "replied", "appended"]
    # A reply to the answer of a ticket resolved meanwhile reopens it (test_ticket_reopen).
    await chat.cmd(STAFF_A, "/resolve 1", private_chat(STAFF_A))
    later = await chat.say(ALICE, "又坏了！", reply_to=chat.where(message), reply_to_bot=True)
    assert "工单 #1 已重新打开" in said(later) and "工单 #2" not in said(later)


async def test_an_answer_back_that_threatens_reaches_the_leads(chat: Chat) -> None:
    """The member's answer to staff raised the ticket to a crisis, and only the
    answer reached staff: the leads never heard."""
    [card] = cards(await chat.cmd(ALICE, "/complain 课件下载不了"))
    answered = await chat.say(
        STAFF_A, "请清一下缓存", STAFF_CHAT, reply_to=chat.where(card), reply_to_bot=True
    )
    [message] = [a for a in answered if isinstance(a, SendMessage) and a.chat.id == "-100500"]
    back = await chat.say(
        ALICE,
        "你们再不退款我就去12315投诉，还要报警，找媒体曝光！骗子公司",
        reply_to=chat.where(message),
        reply_to_bot=True,
    )
    [leads] = [a for a in back if isinstance(a, NotifyStaff) and a.leads]
    assert "危机工单 #1" in plain_text(leads.text)
    assert sum("回复了：你们再不退款" in note for note in staff_notes(back)) == 1
    calm = await chat.say(ALICE, "好的谢谢", reply_to=chat.where(message), reply_to_bot=True)
    assert not [a for a in calm if isinstance(a, NotifyStaff) and a.leads]


async def test_staff_talking_about_refunds_open_no_ticket(chat: Chat) -> None:
    assert cards(await chat.say(STAFF_A, "退款太慢了，这不是坑钱吗！！投诉的人很多")) == []
    assert cards(await chat.say(BOB, "退款太慢了，这不是坑钱吗！！我要投诉")) != []


async def test_a_card_the_staff_chat_refused_is_listed_and_posted_again(chat: Chat) -> None:
    chat.staff_reachable = False
    await chat.cmd(ALICE, "/complain 课件下载不了")
    listing = said(await chat.cmd(STAFF_A, "/tickets", private_chat(STAFF_A)))
    assert "#1" in listing and "课件下载不了" in listing  # stored, visible
    assert ticket_cards(await chat.sweep()) == []  # not yet: the first post only just failed
    chat.wait(61)
    assert len(ticket_cards(await chat.sweep())) == 1  # tried again after a minute …
    chat.wait(30)
    assert ticket_cards(await chat.sweep()) == []  # … then after two, not at every sweep
    chat.staff_reachable = True
    chat.wait(95)
    [resent] = ticket_cards(await chat.sweep())
    assert "工单 #1" in plain_text(resent.text) and "补发" in plain_text(resent.text)
    assert resent.buttons  # with its Claim / Resolve / Escalate buttons
    chat.wait(3600)
    assert ticket_cards(await chat.sweep()) == []  # posted: never again
    async with chat.app.storage.transaction() as repos:
        ticket = await repos.tickets.get(1)
    assert ticket is not None and ticket.card_attempts == 2  # posted again twice


async def test_a_flood_of_complaints_is_one_ticket_and_few_staff_notices(chat: Chat) -> None:
    notices = []
    for n in range(12):
        notices += staff_notes(
            await chat.say(BOB, f"第{n}次了！退款到现在还没到账，这不是坑钱吗！！")
        )
        chat.wait(10)
    assert len([n for n in notices if "工单 #1（" in n]) == 1  # one card
    assert len([n for n in notices if "补充了" in n]) == 1  # one notice for eleven additions
    chat.wait(5 * 60)
    later = staff_notes(await chat.say(BOB, "还是没人管吗！！太过分了，我要投诉"))
    assert len([n for n in later if "补充了" in n]) == 1  # minutes later, staff hear again
    async with chat.app.storage.transaction() as repos:
        ticket = await repos.tickets.get(1)
        appended = [e for e in await repos.tickets.history(1) if e.kind == "appended"]
        assert await repos.tickets.get(2) is None
    assert ticket is not None and len(appended) == 12  # every word is on the ticket


async def _severity(chat: Chat, ticket_id: int) -> str:
    async with chat.app.storage.transaction() as repos:
        ticket = await repos.tickets.get(ticket_id)
    assert ticket is not None
    return ticket.severity


async def test_several_members_on_one_subject_raise_the_grade(
    tmp_path: Path, sqlite_storage: Storage, clock: ManualClock
) -> None:
    settings = make_settings(tmp_path, community={"staff": ["testnet:900"]},
                             faq={"enabled": False}, points={"enabled": False},
                             onboarding={"enabled": False})  # fmt: skip
    c = Chat(build_app(settings, clock=clock, storage=sqlite_storage))
    carol, dave = person("3", "Carol"), person("4", "Dave")
    await c.cmd(ALICE, "/complain 课程视频打不开")  # another subject: does not count
    await c.cmd(BOB, "/complain 退款申请了一周还没到账")
    await c.cmd(dave, "/complain 退款到底什么时候到")  # two others complained, one on refunds
    assert await _severity(c, 3) == "low"
    surge = await c.cmd(carol, "/complain 我的退款也没到账")  # the third member on refunds
    assert await _severity(c, 4) == "high"
    assert "重大" in said(cards(surge))
    c.wait(31 * 60)  # outside the window, the same words are an ordinary complaint again
    await c.cmd(person("5", "Erin"), "/complain 退款到底什么时候到")
    assert await _severity(c, 5) == "low"


async def test_a_member_complaining_again_and_again_becomes_a_crisis_for_the_leads(
    chat: Chat,
) -> None:
    await chat.cmd(BOB, "/complain 直播又卡死了")
    await chat.cmd(BOB, "/complain 还是卡死")
    third = await chat.cmd(BOB, "/complain 你们就是骗子，我要找律师维权！")
    assert await _severity(chat, 1) == "crisis"
    [leads] = [a for a in cards(third) if a.leads]
    assert "危机工单 #1" in plain_text(leads.text)


async def test_the_lexicon_and_thresholds_come_from_config(
    tmp_path: Path, sqlite_storage: Storage, clock: ManualClock
) -> None:
    detector = {
        "model": False,  # the lexicon's own grades (the model's role: test_complaint_model)
        "complaint_terms": {"割韭菜": 3.0, "無語": 0, "无语": 0},
        "crisis_terms": {"消協": 4.5},  # Traditional in the config still matches
        "negations": ["并非"],
    }
    settings = make_settings(tmp_path, community={"staff": ["testnet:900"]},
                             faq={"enabled": False}, escalation={"detector": detector})  # fmt: skip
    c = Chat(build_app(settings, clock=clock, storage=sqlite_storage))
    assert cards(await c.say(ALICE, "又在割韭菜")) != []
    assert cards(await c.say(BOB, "无语无语无语")) == []  # a built-in term, removed
    assert cards(await c.say(person("3", "Carol"), "并非割韭菜")) == []  # an added negation
    await c.say(person("4", "Dave"), "割韭菜，我去消协投诉")
    assert await _severity(c, 2) == "crisis"
    with pytest.raises(ValueError, match="high_threshold"):
        make_settings(tmp_path, escalation={"detector": {"high_threshold": 1.0}})


async def test_the_reply_button_claims_and_opens_a_reply(chat: Chat) -> None:
    [card] = cards(await chat.cmd(ALICE, "/complain 课件下载不了"))
    [(_, reply_data), _] = [[b.data for b in row] for row in card.buttons]
    pressed = await chat.press(STAFF_B, reply_data or "", on=chat.where(card))
    [claimed, prompt] = cards(pressed)
    assert "已由Staffer B认领" in plain_text(claimed.text)
    assert prompt.expects_reply and "Staffer B" in plain_text(prompt.text)
    answered = await chat.say(
        STAFF_B, "已经修复", STAFF_CHAT, reply_to=chat.where(prompt), reply_to_bot=True
    )
    assert any("工作人员回复（工单 #1）" in text for text in answers_to(answered, ALICE))
    async with chat.app.storage.transaction() as repos:
        ticket = await repos.tickets.get(1)
    assert ticket is not None and ticket.status == "waiting"
    staff_b = await repos_user_id(chat, STAFF_B.id)
    assert ticket.assignee_id == staff_b
    # A second press by someone else does not take the ticket over.
    again = cards(await chat.press(STAFF_A, reply_data or "", on=chat.where(card)))
    assert [n for n in again if "认领" in plain_text(n.text)] == []


async def repos_user_id(chat: Chat, platform_id: str) -> int | None:
    async with chat.app.storage.transaction() as repos:
        user = await repos.users.get("testnet", platform_id)
    return user.id if user else None


async def test_the_card_shows_who_has_the_ticket_and_closes_when_resolved(chat: Chat) -> None:
    [card] = cards(await chat.cmd(ALICE, "/complain 课件下载不了"))
    where = chat.where(card)
    (claim, _), (resolve, _) = ([b.data or "" for b in row] for row in card.buttons)

    def edits(actions: list) -> list[EditMessage]:
        return [
            a
            for a in actions
            if isinstance(a, EditMessage)
            and (a.message.chat.id, a.message.id) == (where.chat.id, where.id)
        ]

    def labels(action: NotifyStaff | EditMessage) -> list[list[str]]:
        return [[b.label for b in row] for row in action.buttons]

    assert labels(card) == [["🙋 认领", "✍️ 回复"], ["✅ 已解决", "⬆️ 升级"]]
    [claimed] = edits(await chat.press(STAFF_A, claim, on=where))
    assert "状态：处理中 · 处理人：Staffer A" in plain_text(claimed.text)
    # Claimed: no 🙋 to press any more; what can still be done stays.
    assert labels(claimed) == [["✍️ 回复"], ["✅ 已解决", "⬆️ 升级"]]
    [answered] = edits(await chat.cmd(STAFF_A, "/reply 1 已修复", private_chat(STAFF_A)))
    assert "状态：待成员回复" in plain_text(answered.text)
    assert labels(answered) == labels(claimed)
    [closed] = edits(await chat.press(STAFF_B, resolve, on=where))
    assert "状态：已解决" in plain_text(closed.text) and closed.buttons == ()


async def test_an_answer_without_a_claim_takes_the_claim_button_too(chat: Chat) -> None:
    """Answering with /reply gives the ticket to whoever answered: the card, edited,
    offers no 🙋 any more (nobody else can claim it)."""
    [card] = cards(await chat.cmd(ALICE, "/complain 课件下载不了"))
    answer = await chat.cmd(STAFF_B, "/reply 1 马上处理", private_chat(STAFF_B))
    [edited] = [a for a in answer if isinstance(a, EditMessage)]
    assert edited.message.id == chat.where(card).id
    assert "处理人：Staffer B" in plain_text(edited.text)
    assert [b.data for row in edited.buttons for b in row] == [
        "esc:reply:1", "esc:resolve:1", "esc:escalate:1",
    ]  # fmt: skip


async def test_a_claim_made_on_another_platform_updates_the_card_where_it_is(
    chat: Chat,
) -> None:
    """Claimed from the staff console (a platform of its own), the card in the staff
    chat is edited there, by that chat's channel: no 🙋 left on it."""
    [card] = cards(await chat.cmd(ALICE, "/complain 课件下载不了"))
    console = ChatRef("console", "testnet:900", ChatKind.PRIVATE, "console")
    press = ButtonPressed(
        chat=console, occurred_at=chat.now, sender=STAFF_A,
        message=MessageRef(console, "nonce"), data="esc:claim:1", press_id="testnet:900#nonce",
    )  # fmt: skip
    done = await chat.app.dispatcher.handle(incoming(press), FakePlatform("console"), chat.deliver)
    [edited] = [a for a in done if isinstance(a, EditMessage)]
    assert (edited.message.chat.platform, edited.message.id) == ("testnet", chat.where(card).id)
    assert "处理人：Staffer A" in plain_text(edited.text)
    assert "esc:claim:1" not in [b.data for row in edited.buttons for b in row]


async def test_resolve_and_show_as_a_reply_to_the_card(chat: Chat) -> None:
    [card] = cards(await chat.cmd(ALICE, "/complain 课件下载不了"))
    on_card = chat.where(card)
    base = command(chat.now, STAFF_A, "/ticket", STAFF_CHAT)
    shown = await chat.send(dataclasses.replace(base, reply_to=on_card))
    assert "课件下载不了" in said(shown) and "来源" in said(shown)
    unrelated = dataclasses.replace(base, reply_to=MessageRef(STAFF_CHAT, "1"))
    assert "是哪张工单" in said(await chat.send(unrelated))
    resolve = command(chat.now, STAFF_A, "/resolve", STAFF_CHAT)
    done = await chat.send(dataclasses.replace(resolve, reply_to=on_card))
    assert "工单 #1 已标记为解决" in said(done)


async def test_standard_wording_by_name(
    tmp_path: Path, sqlite_storage: Storage, clock: ManualClock
) -> None:
    wording = {"Refund": "您好，退款会在 3–5 个工作日内原路退回 <到账提醒>。"}
    settings = make_settings(tmp_path, community={"staff": ["testnet:900"]},
                             faq={"enabled": False}, escalation={"replies": wording})  # fmt: skip
    c = Chat(build_app(settings, clock=clock, storage=sqlite_storage))
    [card] = cards(await c.cmd(ALICE, "/complain 退款申请一周了还没到账"))
    unknown = said(await c.cmd(STAFF_A, "/reply 1 :发票", private_chat(STAFF_A)))
    assert "没有名为「发票」的标准回复" in unknown and ":refund" in unknown
    answered = await c.say(
        STAFF_A, "：refund", STAFF_CHAT, reply_to=c.where(card), reply_to_bot=True
    )
    [to_alice] = answers_to(answered, ALICE)
    assert "退款会在 3–5 个工作日内原路退回 <到账提醒>。" in to_alice
    async with c.app.storage.transaction() as repos:
        [replied] = [e for e in await repos.tickets.history(1) if e.kind == "replied"]
    assert replied.text == wording["Refund"]  # the history keeps what the member read


async def test_each_tier_names_its_owners(
    tmp_path: Path, sqlite_storage: Storage, clock: ManualClock
) -> None:
    escalation = {"owners": {"high": ["@li_ops"]}, "leads": ["@wang"]}
    settings = make_settings(tmp_path, community={"staff": ["testnet:900"]},
                             faq={"enabled": False}, points={"enabled": False},
                             escalation=escalation)  # fmt: skip
    c = Chat(build_app(settings, clock=clock, storage=sqlite_storage))
    low = staff_notes(await c.cmd(ALICE, "/complain 课件下载不了"))
    assert not any("跟进" in note for note in low)  # no owners for this tier
    high = staff_notes(await c.cmd(BOB, "/complain 花了1999买的课一半打不开，退钱！！"))
    assert any("工单 #2（重大）：请 @li_ops 跟进" in note for note in high)
    crisis = staff_notes(await c.cmd(person("3", "Carol"), "/complain 骗子！我要去12315投诉"))
    assert any("请负责人 @wang 立即跟进" in note for note in crisis)
    with pytest.raises(ValueError, match="owners"):
        make_settings(tmp_path, escalation={"owners": {"urgent": ["@x"]}})


async def test_writing_privately_while_staff_wait_is_the_members_answer(chat: Chat) -> None:
    """Where messages cannot be replied to (WeChat), a member answers staff by writing:
    a private message while their ticket waits for them joins it, back with staff."""
    await chat.cmd(ALICE, "/complain 课件下载不了")
    await chat.cmd(STAFF_A, "/reply 1 请问是哪一节的课件？", private_chat(STAFF_A))
    back = await chat.say(ALICE, "第三节的", private_chat(ALICE))
    assert "已补充到工单 #1" in said(back)
    assert any("第三节的" in note for note in staff_notes(back))
    async with chat.app.storage.transaction() as repos:
        ticket = await repos.tickets.get(1)
    assert ticket is not None and ticket.status == "claimed"  # back with staff
    # Nothing waits for her now: a private message is an ordinary one again.
    assert "工单" not in said(await chat.say(ALICE, "谢谢", private_chat(ALICE)))


async def test_a_complaint_written_to_the_bot_privately_opens_a_ticket(chat: Chat) -> None:
    """One to one (on WeChat, the only way a member talks to the bot) a complaint in
    plain words is a ticket, acknowledged once, not answered by the FAQ as well."""
    said_back = await chat.say(
        ALICE, "你们的课程太坑了，买了三个月一直打不开，退款也不给", private_chat(ALICE)
    )
    [card] = cards(said_back)
    assert "工单 #1" in plain_text(card.text) and "私聊" in plain_text(card.text)
    [ack] = [a for a in said_back if not isinstance(a, NotifyStaff)]
    assert "工单 #1" in plain_text(ack.text)
    calm = await chat.say(BOB, "退款一般几天到账？", private_chat(BOB))  # a question
    assert cards(calm) == []
    staff = await chat.say(STAFF_A, "这个用户退款一直没到账，太坑了", private_chat(STAFF_A))
    assert cards(staff) == []  # staff talking shop privately are not complaining
