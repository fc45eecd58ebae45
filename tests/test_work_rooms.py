"""The staff desk's rooms are work rooms, not community groups: no member feature
runs there, everyone there is staff, and desk commands never answer before members."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.channels.rendering import plain_text
from handlers.actions import NotifyStaff, SendMessage, SendPrivate
from handlers.clock import ManualClock
from storage.database import Storage
from tests.chat_harness import STAFF_CHAT, Chat, said
from tests.conftest import make_settings
from tests.helpers import GROUP, joined, person, private_chat

# Tuesday 10:00 in Shanghai: staff hours, outside quiet hours.
MORNING = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)
ALICE = person("1", "Alice")
COLLEAGUE = person("77", "新同事")  # in the staff chat, not listed in community.staff
LEAD = person("900", "组长")
MOD = person("42", "Mod")  # the group's admin (tests.chat_harness.MODERATOR_ID)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(start=MORNING)


@pytest.fixture
async def chat(tmp_path: Path, sqlite_storage: Storage, clock: ManualClock) -> Chat:
    from bot.app import build_app

    settings = make_settings(
        tmp_path,
        community={"staff": ["testnet:900"]},
        staff={"chat": "testnet:-900", "leads_chat": "testnet:-901"},
        topics={"schedules": [{"name": "noon", "cron": "0 12 * * *", "pool": "daily"}]},
        escalation={"leads": ["@lead_wang"]},
    )
    app = build_app(settings, clock=clock, storage=sqlite_storage)
    await app.prepare()
    c = Chat(app)
    await c.send(joined(c.now, ALICE))
    for user in (COLLEAGUE, LEAD):
        await c.send(joined(c.now, user, STAFF_CHAT))
    assert "已添加" in said(await c.cmd(MOD, "/addfaq 怎么退款？ | 在订单页申请退款。"))
    assert "加入话题池" in said(await c.cmd(MOD, "/addtopic daily 你最近读了什么书？"))
    return c


async def test_no_member_feature_runs_in_the_staff_chat(chat: Chat) -> None:
    joins = await chat.sweep()
    welcomes = [a for a in joins if isinstance(a, SendMessage) and "欢迎" in plain_text(a.text)]
    assert [a.chat for a in welcomes] == [GROUP]  # colleagues joining the staff chat: no welcome
    # A colleague discussing a member's complaint opens no ticket and pages nobody…
    discussed = await chat.say(COLLEAGUE, "有个用户说要去12315投诉我们，还要找律师曝光", STAFF_CHAT)
    assert discussed == []
    # …the FAQ does not answer staff, and talking earns no points or badges.
    assert await chat.say(COLLEAGUE, "怎么退款？", STAFF_CHAT) == []
    async with chat.app.storage.transaction() as repos:
        room = await repos.chats.get("testnet", "-900")
        assert room is not None
        assert await repos.points.history(room.id, (await _user(repos, COLLEAGUE)).id, 5) == []
        members = await repos.members.onboarding_since(MORNING - timedelta(days=1), room.id)
        assert members == []  # no newcomer flow started there
    # Topics are posted in the community group only.
    chat.wait(2 * 3600 + 60)
    posted = [a for a in await chat.sweep() if isinstance(a, SendMessage)]
    assert [a.chat.id for a in posted if "你最近读了什么书" in plain_text(a.text)] == [GROUP.id]


async def test_everyone_in_the_staff_chat_is_staff_there(chat: Chat) -> None:
    await chat.cmd(ALICE, "/complain 课件下载不了")
    # A colleague not listed in community.staff works the ticket from the staff chat…
    listing = said(await chat.cmd(COLLEAGUE, "/tickets", STAFF_CHAT))
    assert "#1" in listing and "课件下载不了" in listing
    answered = await chat.cmd(COLLEAGUE, "/reply 1 已经修复，请刷新", STAFF_CHAT)
    assert any("已经修复" in plain_text(a.text) for a in answered if isinstance(a, SendMessage))
    # …but is nobody special elsewhere.
    elsewhere = said(await chat.cmd(COLLEAGUE, "/tickets", private_chat(COLLEAGUE)))
    assert "仅限工作人员" in elsewhere
    # Member commands do not run in the staff chat, and say why.
    refused = said(await chat.cmd(COLLEAGUE, "/checkin", STAFF_CHAT))
    assert refused == "客服群里不能用 /checkin，请到社群里使用。"
    assert "客服群里不能用" in said(await chat.cmd(COLLEAGUE, "/complain 测试", STAFF_CHAT))
    # A moderator's command is the community's too: not called a member's.
    assert said(await chat.cmd(COLLEAGUE, "/givepoints @小明 5", STAFF_CHAT)) == (
        "客服群里不能用 /givepoints，请到社群里使用。"
    )
    # /settings tells the room what it is.
    shown = said(await chat.cmd(COLLEAGUE, "/settings", STAFF_CHAT))
    assert "这是客服工作群" in shown and "testnet:-900" in shown


async def test_hash_and_number_answers_a_ticket_where_cards_cannot_be_quoted(
    chat: Chat,
) -> None:
    await chat.cmd(ALICE, "/complain 课件下载不了")
    answered = await chat.say(COLLEAGUE, "＃1　已经修复，请刷新", STAFF_CHAT)
    to_alice = [a for a in answered if isinstance(a, SendMessage | SendPrivate)]
    assert any("已经修复，请刷新" in plain_text(a.text) for a in to_alice)
    assert "#1" in said(
        [a for a in answered if isinstance(a, SendMessage) and a.chat == STAFF_CHAT]
    )
    # In the members' group the same words are an ordinary message, even from staff.
    assert not [
        a
        for a in await chat.say(LEAD, "#1 谢谢大家", GROUP)
        if "谢谢大家" in plain_text(getattr(a, "text", ""))
    ]


async def test_desk_commands_never_answer_before_members(chat: Chat) -> None:
    await chat.cmd(ALICE, "/complain 我的订单号 12345 的退款还没到")
    for text in ("/tickets", "/ticket 1", "/sla", "/reply 1 好的", "/resolve 1"):
        answer = await chat.cmd(LEAD, text)  # staff, but in the members' group
        assert "只能在客服群或私聊中使用" in said(answer), text
        assert "12345" not in said(answer)
    # A member's own tickets are shown privately, never in the group.
    mine = await chat.cmd(ALICE, "/mytickets")
    [private] = [a for a in mine if isinstance(a, SendPrivate)]
    assert private.user == ALICE and "12345" in plain_text(private.text)
    assert private.fallback_chat == GROUP and not private.public_fallback
    assert not [a for a in mine if isinstance(a, SendMessage) and "12345" in plain_text(a.text)]


async def test_crises_and_reminders_go_to_the_leads_chat(chat: Chat) -> None:
    actions = await chat.say(ALICE, "你们再不退款我就去12315投诉，找律师曝光你们！")
    leads = [a for a in actions if isinstance(a, NotifyStaff) and a.leads]
    assert leads and "@lead_wang" in plain_text(leads[0].text)
    assert chat.app.settings.staff.room(leads=True).id == "-901"


async def _user(repos, ref):  # type: ignore[no-untyped-def]
    found = await repos.users.get(ref.platform, ref.id)
    assert found is not None
    return found
