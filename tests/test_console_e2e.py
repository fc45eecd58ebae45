"""The staff console in a real browser (Debian's headless Chromium, driven by
Playwright) against a real ``shequn run`` on the fake Bot API: a one-time link from
``/console`` signs in once; the queue shows a member's complaint as text, never as
markup; a ticket is claimed and answered from its page and the answer reaches the
member through the Bot API; unauthenticated requests go to sign-in, a change without
the CSRF token is refused, and every change is in the audit log."""

from __future__ import annotations

import re
import shutil
import sqlite3
import time
from collections.abc import Iterator
from contextlib import closing
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from tests import test_telegram_e2e
from tests.fake_telegram import FakeBotApiThread
from tests.test_telegram_e2e import STAFF, free_port, say, wait_for_text

# The fake Bot API and the ``shequn run`` process, as the Telegram end-to-end tests use them.
fake = test_telegram_e2e.fake
start_bot = test_telegram_e2e.start_bot
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed (.ci/run installs it)"
)
AGENT = {"id": 900, "is_bot": False, "first_name": "小客服", "username": "agent"}
OWNER = {"id": 901, "is_bot": False, "first_name": "老板", "username": "owner"}
MEMBER = {"id": 5252, "is_bot": False, "first_name": "<script>alert(1)</script>"}
LINK = re.compile(r"(https?://\S+/console/login\?token=[\w-]+)")


@pytest.fixture
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield browser
        browser.close()


def sign_in_link(api: FakeBotApiThread, user: dict[str, Any]) -> str:
    say(api, user, "/console", chat=user["id"])
    answer = wait_for_text(api, user["id"], "/console/login?token=")
    found = LINK.search(answer["text"])
    assert found, answer["text"]
    return found.group(1)


def test_staff_sign_in_and_work_a_ticket_in_the_browser(
    fake: FakeBotApiThread,
    start_bot: Any,
    browser: Any,
    tmp_path: Path,
) -> None:
    fake.add_chat(STAFF, "supergroup", "Staff")
    port = free_port()
    bot = start_bot(
        SHEQUN_HTTP__PORT=str(port),
        SHEQUN_STAFF__CHAT=f"telegram:{STAFF}",
        SHEQUN_COMMUNITY__STAFF=f'["telegram:{AGENT["id"]}", "telegram:{OWNER["id"]}"]',
        SHEQUN_COMMUNITY__MODERATORS=f'["telegram:{OWNER["id"]}"]',
    )
    base = f"http://127.0.0.1:{port}"
    say(fake, MEMBER, "大家好，我是新来的")
    say(fake, MEMBER, "/complain 退款三周了还没到账 <b>客服</b> 也不回")
    wait_for_text(fake, STAFF, "工单 #1")

    # Not signed in: every page leads to the sign-in explanation.
    anonymous = browser.new_page()
    anonymous.goto(f"{base}/console/tickets/1")
    assert anonymous.url.endswith("/console/signin")
    assert "/console" in anonymous.text_content("main")
    # A member cannot get a link.
    say(fake, MEMBER, "/console", chat=MEMBER["id"])
    assert "community.staff" in wait_for_text(fake, MEMBER["id"], "后台")["text"]

    link = sign_in_link(fake, AGENT)
    context = browser.new_context()
    page = context.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(link)  # opening the link uses nothing (a chat app's preview does this too)
    page.goto(link)
    page.click("#sign-in")
    assert page.url == f"{base}/console/"
    row = page.locator("table.queue tbody tr").first
    assert "#1" in row.text_content()
    assert "<b>客服</b>" in row.text_content()  # the member's words, as text
    page.screenshot(path=str(tmp_path / "console-queue.png"), full_page=True)
    cookie = next(c for c in context.cookies() if c["name"] == "shequn_console")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"

    # The link worked once.
    again = browser.new_page()
    again.goto(link)
    assert "已经用过或过期" in again.text_content("main")

    page.click("text=#1")
    assert page.url.endswith("/console/tickets/1")
    assert "<script>alert(1)</script>" in page.text_content(".meta")  # a name, shown as text
    page.click("#claim")
    assert "认领" in page.text_content(".note")
    wait_for_text(fake, STAFF, "已由小客服认领")  # the staff chat hears of it, as from a card
    assert page.locator("#claim").count() == 0  # claimed: the page offers no claim again
    page.fill("textarea", "您好，退款已经处理，1-3 个工作日到账 <i>抱歉</i>")
    page.click("#reply")
    # Through the Bot API, privately: the member wrote to the bot (/console) above.
    answer = wait_for_text(fake, MEMBER["id"], "工作人员回复（工单 #1）")
    assert "&lt;i&gt;抱歉&lt;/i&gt;" in answer["text"]
    assert "回复" in page.text_content(".history")
    page.reload()  # a reload after the POST redirect sends nothing twice
    time.sleep(0.5)
    replies = [
        m for m in fake.sent_messages(MEMBER["id"]) if "工作人员回复（工单 #1）" in m["text"]
    ]
    assert len(replies) == 1
    assert dialogs == []

    # A change without the session's CSRF token is refused, signed in or not.
    session = {"shequn_console": cookie["value"]}
    forged = httpx.post(f"{base}/console/tickets/1", data={"action": "resolve"}, cookies=session)
    assert forged.status_code == 403
    assert httpx.post(f"{base}/console/tickets/1", data={"action": "resolve"}).status_code == 303

    page.click("#resolve")
    wait_for_text(fake, MEMBER["id"], "请打分")

    # The audit log: owners only.
    audit = context.new_page()
    audit.goto(f"{base}/console/audit")
    assert "管理员" in audit.text_content("main")
    owner = browser.new_page()
    owner.goto(sign_in_link(fake, OWNER))
    owner.click("#sign-in")
    owner.goto(f"{base}/console/audit")
    log = owner.text_content("table")
    for action in ("登录", "认领工单", "回复工单", "解决工单"):  # named, not coded
        assert action in log
    assert "ticket_claim" not in log
    assert "telegram:900" in log

    # The overview: every chart drawn from what happened today, on a phone-sized page too.
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date().isoformat()
    owner.goto(f"{base}/console/overview")
    assert owner.locator("svg.chart").count() == 8
    drawn = owner.inner_html("#chart-messages")
    assert f"{today} 消息: 1</title>" in drawn, drawn
    assert "重大: 1</title>" in owner.inner_html("#chart-tickets") or "一般: 1</title>" in (
        owner.inner_html("#chart-tickets")
    )
    owner.screenshot(path=str(tmp_path / "console-overview.png"), full_page=True)
    owner.set_viewport_size({"width": 390, "height": 844})
    width = owner.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, width  # nothing wider than the phone
    owner.screenshot(path=str(tmp_path / "console-overview-phone.png"), full_page=True)
    owner.set_viewport_size({"width": 1280, "height": 800})

    # The member's page: their data, exported whole, then erased on request.
    page.goto(f"{base}/console/tickets/1")
    page.click(".meta a")
    assert "/console/members/telegram:5252" in page.url
    assert "退款三周了还没到账" in page.text_content("main")
    exported = httpx.get(f"{page.url}/export", cookies=session)
    assert exported.status_code == 200
    assert exported.json()["accounts"][0]["name"] == MEMBER["first_name"]
    page.click("#forget")  # the confirmation box is required: nothing happens
    assert "/console/members/" in page.url
    page.check("input[name=confirm]")
    page.click("#forget")
    assert "已删除" in page.text_content("main")
    page.goto(f"{base}/console/tickets/1")
    assert "<script>" not in page.text_content(".meta") and "退款三周" not in page.content()
    owner.goto(f"{base}/console/audit")
    assert "导出成员数据" in owner.text_content("table")
    assert "删除成员数据" in owner.text_content("table")

    page.click("text=退出")
    assert "已退出" in page.text_content("main")
    page.goto(f"{base}/console/")
    assert page.url.endswith("/console/signin")
    assert "Traceback" not in bot.output()


def test_unbroken_member_text_fits_a_phone(
    fake: FakeBotApiThread, start_bot: Any, browser: Any
) -> None:
    """A 64-letter name and a 3,000-character link in a complaint break inside the
    phone's width on every page that shows them, rather than widening it."""
    fake.add_chat(STAFF, "supergroup", "Staff")
    port = free_port()
    start_bot(
        SHEQUN_HTTP__PORT=str(port),
        SHEQUN_STAFF__CHAT=f"telegram:{STAFF}",
        SHEQUN_COMMUNITY__STAFF=f'["telegram:{OWNER["id"]}"]',
        SHEQUN_COMMUNITY__MODERATORS=f'["telegram:{OWNER["id"]}"]',
    )
    long = {"id": 8001, "is_bot": False, "first_name": "N" * 64, "username": "u" * 32}
    say(fake, long, "大家好，我是新来的")
    say(fake, long, "/complain https://example.com/" + "a" * 3000)
    wait_for_text(fake, STAFF, "工单 #1")
    page = browser.new_page(viewport={"width": 390, "height": 844})
    page.goto(sign_in_link(fake, OWNER))
    page.click("#sign-in")
    for path in ("/console/", "/console/tickets/1", "/console/members/telegram:8001"):
        page.goto(f"http://127.0.0.1:{port}{path}")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390, path


def test_an_expired_link_is_refused(
    fake: FakeBotApiThread,
    start_bot: Any,
    tmp_path: Path,
) -> None:
    port = free_port()
    start_bot(SHEQUN_HTTP__PORT=str(port), SHEQUN_COMMUNITY__STAFF=f'["telegram:{AGENT["id"]}"]')
    link = sign_in_link(fake, AGENT)
    with closing(sqlite3.connect(tmp_path / "shequn.db")) as db, db:
        db.execute("UPDATE console_links SET expires_at = created_at")
    token = link.split("token=")[1]
    base = f"http://127.0.0.1:{port}"
    assert httpx.get(link).status_code == 403
    refused = httpx.post(f"{base}/console/login", data={"token": token})
    assert refused.status_code == 403 and "过期" in refused.text
    assert httpx.get(f"{base}/console/", follow_redirects=False).headers["location"] == (
        "/console/signin"
    )


def test_a_link_from_the_command_line(run: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    code, out = run("console", "link", "telegram:7")
    assert code == 2 and "community.staff" in out  # nobody may sign in who is not listed
    assert run("console", "link", "nocolon")[0] == 2
    monkeypatch.setenv("SHEQUN_COMMUNITY__STAFF", '["telegram:7"]')
    code, out = run("console", "link", "telegram:7")
    assert code == 0 and LINK.fullmatch(out.strip()), out
    assert out.startswith("http://127.0.0.1:8080/console/login?token=")
    monkeypatch.setenv("SHEQUN_CONSOLE__PUBLIC_URL", "https://ops.example.com/")
    assert run("console", "link", "telegram:7")[1].startswith("https://ops.example.com/console/")
