"""The console's pages in process, over HTTP: the overview's charts and their CSV,
members search, points, topics and the FAQ, each for owners only where the
issue says so, every member-supplied text escaped."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette

from bot.app import App, build_app
from bot.web.console.site import ConsoleSite
from handlers.actions import SendMessage, SendPrivate
from handlers.clock import ManualClock
from handlers.console import sign_in_link
from storage.database import Storage
from storage.records import ChatRecord, UserRecord
from storage.repositories import Repositories
from tests.chat_harness import MODERATOR_ID, Chat, said
from tests.conftest import make_settings
from tests.helpers import GROUP, person
from tests.test_console_figures import seed

OWNER, STAFF = "telegram:901", "telegram:900"


@pytest.fixture
async def console_app(tmp_path: Path, sqlite_storage: Storage) -> App:
    clock = ManualClock(datetime(2026, 12, 3, 4, 0, tzinfo=UTC))
    settings = make_settings(
        tmp_path,
        community={"moderators": [OWNER], "staff": [STAFF, OWNER]},
        points={"rewards": [{"id": "mug", "name": "马克杯", "cost": 50, "stock": 3}]},
    )
    return build_app(settings, clock=clock, storage=sqlite_storage)


@pytest.fixture
async def site(console_app: App) -> ConsoleSite:
    return ConsoleSite(console_app, console_app.settings.console)


async def signed_in(site: ConsoleSite, account: str) -> httpx.AsyncClient:
    app = Starlette(routes=site.routes())
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")
    link = await site.app.storage.run(
        lambda repos: sign_in_link(repos, account, site.now(), "http://testserver")
    )
    token = link.split("token=", 1)[1]
    response = await client.post("/console/login", data={"token": token})
    assert response.status_code == 303, response.text
    return client


@pytest.fixture
async def owner(site: ConsoleSite) -> AsyncIterator[httpx.AsyncClient]:
    client = await signed_in(site, OWNER)
    yield client
    await client.aclose()


async def test_the_overview_draws_every_chart_from_the_data(
    site: ConsoleSite, owner: httpx.AsyncClient
) -> None:
    await site.app.storage.run(seed)
    page = await owner.get("/console/overview", params={"from": "2026-11-23", "to": "2026-12-03"})
    assert page.status_code == 200
    html = page.text
    for key in (
        "members",
        "funnel",
        "messages",
        "faq",
        "tickets",
        "response_time",
        "response",
        "points",
    ):
        assert f'id="chart-{key}"' in html
    assert html.count("<svg") == 8
    # The week of the 30th: 3 joins, drawn as a bar whose tooltip says so.
    assert "2026-11-30 加入: 3</title></rect>" in html
    assert "2026-12-01 消息: 3</title>" in html
    csv_page = await owner.get(
        "/console/overview/points.csv", params={"from": "2026-11-23", "to": "2026-12-03"}
    )
    assert csv_page.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(csv_page.text.lstrip("\ufeff"))))
    assert rows == [["date", "积分"], ["2026-11-23", "0"], ["2026-11-30", "15"]]
    assert (await owner.get("/console/overview/nothing.csv")).status_code == 404
    # A ticket's page gives the member's standing in the ticket's group.
    ticket = await owner.get("/console/tickets/1")
    assert "新成员，7积分" in ticket.text


async def test_a_bad_range_says_so_and_shows_the_last_twelve_weeks(
    owner: httpx.AsyncClient,
) -> None:
    page = await owner.get("/console/overview", params={"from": "2026-13-01", "to": "x"})
    assert page.status_code == 200 and "没看懂这个日期范围" in page.text
    backwards = await owner.get(
        "/console/overview", params={"from": "2026-12-01", "to": "2026-11-01"}
    )
    assert "没看懂这个日期范围" in backwards.text


async def test_one_chat_and_owners_only(site: ConsoleSite, owner: httpx.AsyncClient) -> None:
    _, b = await site.app.storage.run(seed)
    page = await owner.get(
        "/console/overview", params={"from": "2026-11-23", "to": "2026-12-03", "chat": str(b)}
    )
    assert "2026-11-30 加入: 1</title>" in page.text  # only B's one join
    staff = await signed_in(site, STAFF)
    refused = await staff.get("/console/overview")
    assert refused.status_code == 403 and "只有管理员" in refused.text
    assert (await staff.get("/console/overview/points.csv")).status_code == 403
    await staff.aclose()
    anonymous = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=Starlette(routes=site.routes())),
        base_url="http://testserver",
    )
    gone = await anonymous.get("/console/overview")
    assert gone.status_code == 303 and gone.headers["location"] == "/console/signin"
    await anonymous.aclose()


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, html
    return found.group(1)


async def test_members_are_found_by_name_username_or_id_and_shown_as_text(
    site: ConsoleSite, owner: httpx.AsyncClient
) -> None:
    async def add(repos: Repositories) -> None:
        for n, name, username in (
            (1, "<script>alert(1)</script>", None),
            (2, "王小明", "xiaoming"),
        ):
            await repos.users.upsert(
                "telegram", str(n), display_name=name, username=username, language=None,
                is_bot=False, at=site.now(),
            )  # fmt: skip

    await site.app.storage.run(add)
    page = await owner.get("/console/members", params={"q": "SCRIPT"})
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text and "<script>alert" not in page.text
    assert "/console/members/telegram%3A1" in page.text
    for needle in ("小明", "@XiaoMing", "2", "telegram:2"):
        found = await owner.get("/console/members", params={"q": needle})
        assert "王小明" in found.text, needle
    assert "没有找到" in (await owner.get("/console/members", params={"q": "%"})).text
    profile = await owner.get("/console/members/telegram%3A2")
    assert profile.status_code == 200 and "王小明" in profile.text


async def _xiaohong_in_a_group(repos: Repositories, now: datetime) -> tuple[ChatRecord, UserRecord]:
    """小红 (telegram:7) and a group she is in, for a page about her."""
    chat = await repos.chats.upsert("telegram", "-1", kind="group", title="A", at=now)
    user = await repos.users.upsert(
        "telegram", "7", display_name="小红", username=None, language=None, is_bot=False,
        at=now,
    )  # fmt: skip
    return chat, user


async def test_a_redemption_is_refused_from_the_console_and_refunded(
    site: ConsoleSite, owner: httpx.AsyncClient
) -> None:
    now = site.now()

    async def redeem(repos: Repositories) -> int:
        chat, user = await _xiaohong_in_a_group(repos, now)
        await repos.points.apply(chat.id, user.id, 80, "checkin", "c", now)
        await repos.points.apply(chat.id, user.id, -50, "redeem", "r", now, earning=False)
        await repos.points.stock("mug", 3)
        await repos.points.take_stock("mug")
        return (await repos.points.create_redemption(chat.id, user.id, "mug", 50, now)).id

    number = await site.app.storage.run(redeem)
    page = await owner.get("/console/points")
    assert "马克杯" in page.text and "小红" in page.text and f"#{number}" in page.text
    csrf = csrf_of(page.text)
    refused = await owner.post(
        f"/console/points/redemptions/{number}", data={"decision": "refuse", "nonce": "n1"}
    )
    assert refused.status_code == 403  # no CSRF token
    await owner.post(
        f"/console/points/redemptions/{number}",
        data={"decision": "refuse", "nonce": "n1", "csrf": csrf},
    )
    # The same form again changes nothing twice.
    await owner.post(
        f"/console/points/redemptions/{number}",
        data={"decision": "refuse", "nonce": "n1", "csrf": csrf},
    )

    async def check(repos: Repositories) -> tuple[str, int, int]:
        decided = await repos.points.redemption(number)
        assert decided is not None
        account = await repos.points.account(decided.chat_id, decided.user_id)
        assert account is not None
        return decided.status, account.balance, await repos.points.stock("mug", 3)

    assert await site.app.storage.run(check) == ("refused", 80, 3)
    after = await owner.get("/console/points")
    assert "没有待处理的兑换" in after.text
    # The member's ledger, newest first: the refund, the redemption, the check-in.
    profile = await owner.get("/console/members/telegram%3A7")
    ledger = profile.text.split('id="ledger"', 1)[1]
    assert "积分明细 (3)" in ledger
    assert ledger.index("+50") < ledger.index("-50") < ledger.index("+80")


async def test_a_schedule_is_paused_and_resumed_from_the_console(
    site: ConsoleSite, owner: httpx.AsyncClient
) -> None:
    now = site.now()

    async def plan(repos: Repositories) -> int:
        chat = await repos.chats.upsert("telegram", "-1", kind="group", title="读书群", at=now)
        await repos.topics.add_topic("books", "最近在读什么？", now)
        await repos.topics.add_topic("weekend", "周末去哪儿了？", now)
        await repos.topics.add_schedule(chat.id, "weekend", "0 20 * * sat", "weekend", now)
        return (await repos.topics.add_schedule(chat.id, "周三话题", "0 20 * * 3", "books", now)).id

    number = await site.app.storage.run(plan)
    page = await owner.get("/console/topics")
    assert "读书群" in page.text and "周三话题" in page.text
    # A built-in pool by its name, as in chat: 周末话题, not weekend.
    assert "<td>周末话题 (1)</td>" in page.text and "<li>周末话题: 1</li>" in page.text
    assert "2026-12-09 20:00" in page.text  # the next Wednesday evening, China time
    csrf = csrf_of(page.text)
    await owner.post(f"/console/topics/schedules/{number}", data={"action": "pause", "csrf": csrf})
    paused = await owner.get("/console/topics")
    assert "已暂停" in paused.text and 'value="resume"' in paused.text
    await owner.post(f"/console/topics/schedules/{number}", data={"action": "resume", "csrf": csrf})
    assert "2026-12-09 20:00" in (await owner.get("/console/topics")).text
    audit = await owner.get("/console/audit")
    assert "暂停话题日程" in audit.text and "恢复话题日程" in audit.text


async def test_the_faq_is_kept_from_the_console(
    site: ConsoleSite, owner: httpx.AsyncClient, tmp_path: Path
) -> None:
    page = await owner.get("/console/faq")
    csrf = csrf_of(page.text)
    await owner.post(
        "/console/faq/new",
        data={"question": "退款多久到账", "answer": "一般 3 个工作日", "csrf": csrf, "nonce": "a"},
    )
    listing = await owner.get("/console/faq")
    assert "退款多久到账" in listing.text
    assert "已添加" in listing.text or "#1" in listing.text
    assert "问答库正在自测" in listing.text  # no calibration yet
    await site.app.calibrate_faq()
    assert "问答库还太小" in (await owner.get("/console/faq")).text  # one entry
    assert [m.key for m in site.app.faq.search("退款多久能到账")][:1] == [1]
    edited = await owner.post(
        "/console/faq/1",
        data={
            "question": "退款多久到账",
            "answer": "一般 1-3 个工作日",
            "alternatives": "钱什么时候退回来 | 退款到账时间",
            "tags": "",
            "csrf": csrf,
            "nonce": "b",
        },
    )
    assert edited.status_code == 303
    entry = await site.app.storage.run(lambda repos: repos.faq.get(1))
    assert entry is not None and entry.answer == "一般 1-3 个工作日"
    await owner.post(
        "/console/faq/1",
        data={"answer": "设置 > 会员 & 积分", "csrf": csrf, "nonce": "b2"},
    )
    form = (await owner.get("/console/faq/1")).text  # the editor reads what was typed
    assert "设置 &gt; 会员 &amp; 积分</textarea>" in form and "&amp;gt;" not in form
    assert entry.alternatives == ("钱什么时候退回来", "退款到账时间")
    await owner.post("/console/faq/1", data={"switch": "off", "csrf": csrf, "nonce": "c"})
    assert "已停用" in (await owner.get("/console/faq/1")).text
    assert site.app.faq.entry(1) is None  # switched off: never answered
    exported = await owner.get("/console/faq/export.jsonl")
    assert "设置 > 会员 & 积分" in exported.text  # as typed, not as stored HTML

    bad = '{"question": "会员怎么续费"}\n'
    refused = await owner.post(
        "/console/faq/import",
        data={"csrf": csrf},
        files={"file": ("faq.jsonl", bad.encode(), "application/octet-stream")},
    )
    assert refused.status_code == 400 and "什么都没有导入" in refused.text
    good = '{"question": "会员怎么续费", "answer": "在小程序里点续费"}\n'
    imported = await owner.post(
        "/console/faq/import",
        data={"csrf": csrf},
        files={"file": ("faq.jsonl", good.encode(), "application/octet-stream")},
    )
    assert "新增1条" in imported.text
    assert [m.key for m in site.app.faq.search("会员要怎么续费")][:1] == [2]

    async def miss(repos: Repositories) -> None:
        for text in ("停车场在哪里", "停车场在哪儿", "附近能停车吗"):
            await repos.faq.record_miss(text, "unanswered", site.now())

    await site.app.storage.run(miss)
    misses = await owner.get("/console/faq")
    assert "写成问答" in misses.text and "停车" in misses.text
    audit = await owner.get("/console/audit")
    for action in ("faq_add", "faq_edit", "faq_off", "faq_import"):
        assert action in audit.text


async def test_a_groups_admin_signs_in_from_the_group_to_that_group_only(
    site: ConsoleSite, console_app: App
) -> None:
    chat = Chat(console_app)
    admin, member = person(MODERATOR_ID, "群主"), person("77", "群友")
    await chat.say(member, "大家好")  # the group exists, with a member
    refused = await chat.cmd(member, "/console")
    assert "群管理员请在自己管理的群里发送" in said(refused) and "token=" not in said(refused)
    actions = await chat.cmd(admin, "/console")
    private = [a for a in actions if isinstance(a, SendPrivate)]
    public = [a for a in actions if isinstance(a, SendMessage)]
    assert len(private) == 1 and private[0].fallback_chat == GROUP
    assert private[0].user.id == MODERATOR_ID
    assert "token=" in str(private[0].text)
    assert all("token=" not in str(a.text) for a in public)  # never in the group
    assert "私信" in said(public)

    now = site.now()

    async def other_group(repos: Repositories) -> tuple[int, int, int]:
        other = await repos.chats.upsert("telegram", "-2", kind="group", title="别的群", at=now)
        mine = await repos.chats.get(GROUP.platform, GROUP.id)
        assert mine is not None
        await repos.topics.add_topic("books", "最近在读什么？", now)
        theirs = await repos.topics.add_schedule(other.id, "别人的话题", "0 20 * * 3", "books", now)
        ours = await repos.topics.add_schedule(mine.id, "我们的话题", "0 20 * * 5", "books", now)
        return other.id, theirs.id, ours.id

    other, theirs, ours = await site.app.storage.run(other_group)
    client = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=Starlette(routes=site.routes())),
        base_url="http://testserver",
    )
    token = str(private[0].text).split("token=", 1)[1].split()[0]
    signed = await client.post("/console/login", data={"token": token})
    assert signed.status_code == 303
    overview = await client.get("/console/overview", params={"chat": str(other)})
    assert overview.status_code == 200
    assert "测试群 &lt;Test&gt; &amp; co" in overview.text and "别的群" not in overview.text
    assert "全部群" not in overview.text
    # Desk pages and owners' pages are not theirs.
    assert (await client.get("/console/")).headers["location"] == "/console/overview"
    assert (await client.get("/console/members", params={"q": "群友"})).status_code == 303
    assert (await client.get("/console/faq")).status_code == 403
    assert (await client.get("/console/audit")).status_code == 403
    topics = await client.get("/console/topics")
    assert "我们的话题" in topics.text and "别人的话题" not in topics.text
    csrf = csrf_of(topics.text)
    for number in (theirs, ours):
        await client.post(
            f"/console/topics/schedules/{number}", data={"action": "pause", "csrf": csrf}
        )

    async def paused(repos: Repositories) -> dict[int, bool]:
        return {s.id: s.paused for s in await repos.topics.schedules()}

    assert await site.app.storage.run(paused) == {theirs: False, ours: True}
    refused_change = await client.post(
        "/console/faq/new", data={"question": "q", "answer": "a", "csrf": csrf}
    )
    assert refused_change.status_code == 403
    await client.aclose()


async def test_a_verdict_is_left_out_of_the_calibration_and_taken_back(
    site: ConsoleSite, owner: httpx.AsyncClient
) -> None:
    """The FAQ page lists what the calibration learns from; an owner leaves one out
    (kept on record, audited) and takes it back; a forged form changes nothing."""
    at = site.now()

    async def verdicts(repos: Repositories) -> None:
        entry = await repos.faq.add("直播有回放吗？", "有，2 小时内上传。", at)
        user = await repos.users.upsert(
            "telegram", "5", display_name="A", username=None, language=None, is_bot=False, at=at
        )
        answer = await repos.faq.record_answer(
            entry.id, at, question="回放<b>在哪</b>", confidence=0.9, via="group"
        )
        await repos.faq.vote(answer, user.id, 1, at)

    empty = await owner.get("/console/faq")
    assert "还没有反馈" in empty.text
    await site.app.storage.run(verdicts)
    page = await owner.get("/console/faq")
    assert "👍 有用" in page.text and "回放&lt;b&gt;在哪&lt;/b&gt;" in page.text
    [ref] = re.findall(r'name="ref" value="([am]\d+)"', page.text)
    csrf = csrf_of(page.text)

    async def counted(repos: Repositories) -> list[str]:
        return [f.ref for f in await repos.faq.feedback()]

    forged = await owner.post(
        "/console/faq/feedback", data={"ref": ref, "action": "exclude", "csrf": "forged"}
    )
    assert forged.status_code == 403 and await site.app.storage.run(counted) == [ref]
    await owner.post("/console/faq/feedback", data={"ref": ref, "action": "exclude", "csrf": csrf})
    assert await site.app.storage.run(counted) == []
    page = await owner.get("/console/faq")
    assert "（已排除）" in page.text and 'value="restore"' in page.text
    await owner.post("/console/faq/feedback", data={"ref": ref, "action": "restore", "csrf": csrf})
    assert await site.app.storage.run(counted) == [ref]
    audit = await owner.get("/console/audit")
    assert "faq_feedback_exclude" in audit.text and "faq_feedback_restore" in audit.text


async def test_a_typed_number_beyond_any_id_is_not_found_not_a_crash(
    owner: httpx.AsyncClient,
) -> None:
    """``/console/tickets/99999999999999999999`` is a URL anyone can type: storage holds
    64-bit ids, so such a number is a page saying there is no such ticket or entry."""
    huge = "9" * 25
    ticket = await owner.get(f"/console/tickets/{huge}")
    assert ticket.status_code == 404 and "工单" in ticket.text
    entry = await owner.get(f"/console/faq/{huge}")
    assert entry.status_code == 404
    csrf = re.search(r'name="csrf" value="([^"]+)"', entry.text)
    assert csrf is not None
    edited = await owner.post(f"/console/faq/{huge}", data={"csrf": csrf.group(1), "switch": "off"})
    assert edited.status_code == 303


async def test_a_members_page_words_their_data_as_the_chat_does(
    site: ConsoleSite, owner: httpx.AsyncClient
) -> None:
    """The page reads the member's export, which keeps codes: staff read 待认领, 初次发言,
    新成员 and 签到 as members do, and a long complaint as a line, not open or Lv0."""
    now = site.now()

    async def add(repos: Repositories) -> None:
        chat, user = await _xiaohong_in_a_group(repos, now)
        await repos.points.apply(chat.id, user.id, 5, "checkin", "c", now)
        await repos.points.grant_badge(chat.id, user.id, "first_message", now)
        await repos.tickets.open_or_append(chat.id, user.id, "c", "退款" * 100, "low", now)

    await site.app.storage.run(add)
    page = (await owner.get("/console/members/telegram%3A7")).text
    for shown in ("待认领", "初次发言", "新成员", "签到", "…"):
        assert shown in page, shown
    for code in ("open ·", "first_message", "Lv0", ">checkin<", "退款" * 50):
        assert code not in page, code


async def test_each_page_keeps_the_session_cookie_for_another_idle_period(
    site: ConsoleSite, owner: httpx.AsyncClient
) -> None:
    """The server ends a session 12 hours after its last page; the browser must keep
    the cookie as long, not 12 hours after signing in, or a shift is cut off mid-reply."""
    clock = site.app.clock
    for _ in range(3):
        clock.advance(timedelta(hours=11))  # type: ignore[attr-defined]
        page = await owner.get("/console/")
        assert page.status_code == 200, page.headers.get("location")
        kept = page.headers.get("set-cookie", "")
        assert kept.startswith("shequn_console=") and "Max-Age=43200" in kept, kept
        assert "HttpOnly" in kept and "SameSite=lax" in kept and "Path=/console" in kept
    signed_out = await owner.post("/console/logout", data={"csrf": csrf_of(page.text)})
    assert 'shequn_console=""' in signed_out.headers.get("set-cookie", "")
