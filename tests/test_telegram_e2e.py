"""The Telegram channel end to end: a real ``shequn run`` process talking to the
fake Bot API in tests/fake_telegram through ``SHEQUN_TELEGRAM__BASE_URL``."""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.fake_telegram import FakeBotApiThread

ROOT = Path(__file__).resolve().parent.parent
GROUP = -1001234567890123  # beyond 2^53: ids must never pass through a float
MOD = {"id": 4242, "is_bot": False, "first_name": "Mod", "username": "moderator"}
ALICE = {
    "id": 5151,
    "is_bot": False,
    "first_name": '<b>Alice</b> & "co"',
    "language_code": "zh-hans",
}


class BotProcess:
    """``python -m bot run`` with its environment, output and a clean stop."""

    def __init__(self, fake: FakeBotApiThread | None, data_dir: Path, **env: str) -> None:
        """``fake``: the Bot API to run against; None runs without Telegram."""
        self.fake = fake
        self.log = data_dir / "bot.log"
        environment = {k: v for k, v in os.environ.items() if not k.startswith("SHEQUN_")}
        if fake is not None:
            environment.update(
                {
                    "SHEQUN_TELEGRAM__TOKEN": fake.api.token,
                    "SHEQUN_TELEGRAM__BASE_URL": fake.base_url,
                    "SHEQUN_TELEGRAM__POLL_TIMEOUT": "1",
                }
            )
        environment.update(
            {
                "SHEQUN_DATA_DIR": str(data_dir),
                "SHEQUN_LOG_LEVEL": "INFO",
                # Sweep often, batch briefly: scheduled messages arrive within a test.
                "SHEQUN_SCHEDULER__SWEEP_SECONDS": "1",
                "SHEQUN_ONBOARDING__WELCOME_BATCH_SECONDS": "1",
                "SHEQUN_ONBOARDING__QUIET_HOURS": "",
                # The web server (the staff console) runs in every mode: a port of its own.
                "SHEQUN_HTTP__PORT": str(free_port()),
                **env,
            }
        )
        self._log_file = self.log.open("w")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bot", "run"],
            cwd=data_dir,
            env=environment,
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
        )

    def output(self) -> str:
        return self.log.read_text("utf-8", errors="replace")

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log_file.close()
        return self.process.returncode


@pytest.fixture
def fake() -> Iterator[FakeBotApiThread]:
    with FakeBotApiThread() as server:
        server.add_chat(GROUP, "supergroup", "Shequn <测试> & 群")
        server.set_admins(GROUP, owner=MOD)
        yield server


@pytest.fixture
def start_bot(fake: FakeBotApiThread, tmp_path: Path) -> Iterator[Any]:
    running: list[BotProcess] = []

    def start(**env: str) -> BotProcess:
        bot = BotProcess(fake, tmp_path, **env)
        running.append(bot)
        method = "setWebhook" if env.get("SHEQUN_TELEGRAM__MODE") == "webhook" else "getUpdates"
        if not fake.wait_for_call(method, timeout=30):
            bot.stop()
            pytest.fail(f"the bot never called {method}:\n{bot.output()}")
        return bot

    yield start
    for bot in running:
        code = bot.stop()
        assert code == 0, f"exit code {code}:\n{bot.output()}"
        assert "Traceback" not in bot.output(), bot.output()


def wait_for_log(bot: BotProcess, needle: str, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while needle not in bot.output():
        if time.monotonic() > deadline:
            raise AssertionError(f"{needle!r} never logged:\n{bot.output()}")
        time.sleep(0.05)


def push(fake: FakeBotApiThread, update: dict[str, Any]) -> int:
    return fake.push_update(update)


def say(fake: FakeBotApiThread, user: dict[str, Any], text: str, chat: int = GROUP) -> int:
    return push(fake, fake.message_update(chat, user, text))


def texts(fake: FakeBotApiThread, chat: int) -> list[str]:
    return [m["text"] for m in fake.sent_messages(chat)]


def test_polling_setup_privacy_warning_and_command_menu(
    fake: FakeBotApiThread, start_bot: Any
) -> None:
    bot = start_bot()
    assert {"message", "callback_query", "chat_member", "my_chat_member"} <= set(
        fake.api.allowed_updates
    )
    deadline = time.monotonic() + 10
    while "Privacy mode is ON" not in bot.output() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert bot.output().count("Privacy mode is ON") == 1
    assert {c["command"] for c in fake.api.commands} >= {"start", "help"}
    assert "setrules" not in {c["command"] for c in fake.api.commands}


def settled(data_dir: Path, timeout: float = 10) -> None:
    """Wait until nothing due is still to be sent: every delivery due by now is closed
    (a duplicate would need a new row, which the test then sees)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with closing(sqlite3.connect(data_dir / "shequn.db")) as db:
            rows = db.execute("SELECT status, due_at FROM deliveries").fetchall()
        now = datetime.now(UTC)
        open_ = [
            status
            for status, due in rows
            if status == "sending" or (status == "pending" and _utc(due) <= now)
        ]
        if not open_:
            return
        time.sleep(0.05)
    raise AssertionError(f"deliveries still open: {rows}")


def _utc(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def handled_in_order(fake: FakeBotApiThread, chat: int = GROUP) -> None:
    """Updates of one chat are handled in order: once a marker command pushed now is
    answered, every update pushed before it in that chat has been handled."""
    before = len(fake.sent_messages(chat))
    say(fake, MOD, "/rules", chat=chat)
    fake.wait_for_messages(before + 1, chat)


def test_join_is_welcomed_once_and_redelivery_dropped(
    fake: FakeBotApiThread, start_bot: Any, tmp_path: Path
) -> None:
    start_bot()
    update_id = push(fake, fake.chat_member_update(GROUP, ALICE, "left", "member"))
    push(fake, fake.new_chat_members_update(GROUP, [ALICE]))
    push(fake, {**fake.chat_member_update(GROUP, ALICE, "left", "member"), "update_id": update_id})
    messages = fake.wait_for_messages(1, GROUP)
    handled_in_order(fake)
    settled(tmp_path)
    welcomes = [t for t in texts(fake, GROUP) if "欢迎" in t]
    assert len(welcomes) == 1, texts(fake, GROUP)
    assert (
        '<a href="tg://user?id=5151">&lt;b&gt;Alice&lt;/b&gt; &amp; &#34;co&#34;</a>' in welcomes[0]
    )
    assert "Shequn &lt;测试&gt; &amp; 群" in welcomes[0]
    assert messages[0]["parse_mode"] == "HTML"


def test_a_lone_newcomer_is_welcomed_at_once_not_at_the_next_sweep(
    fake: FakeBotApiThread, start_bot: Any
) -> None:
    # Sweeps every minute and a one-minute batch window: the welcome must not wait for them.
    start_bot(SHEQUN_SCHEDULER__SWEEP_SECONDS="60", SHEQUN_ONBOARDING__WELCOME_BATCH_SECONDS="60")
    push(fake, fake.chat_member_update(GROUP, ALICE, "left", "member"))
    # Within 20 s, well before the next scheduled sweep a minute after the start.
    [welcome] = fake.wait_for_messages(1, GROUP, timeout=20)
    assert "欢迎" in welcome["text"]


def delivery_statuses(data_dir: Path) -> list[tuple[str, str, str | None]]:
    with closing(sqlite3.connect(data_dir / "shequn.db")) as db:
        return db.execute("SELECT kind, status, last_error FROM deliveries").fetchall()


def test_onboarding_over_telegram_survives_refusals_and_restarts(
    fake: FakeBotApiThread, start_bot: Any, tmp_path: Path
) -> None:
    bob = {"id": 6161, "is_bot": False, "first_name": "Bob"}
    bot = start_bot()
    for user in (ALICE, bob):
        say(fake, user, "/start", chat=user["id"])  # both opened a private chat…
    fake.wait_for_messages(1, bob["id"])
    fake.block(ALICE["id"])  # …and Alice then blocked the bot
    push(fake, fake.new_chat_members_update(GROUP, [ALICE, bob]))
    [welcome] = fake.wait_for_messages(1, GROUP)
    assert "Alice" in welcome["text"] and "Bob" in welcome["text"]
    private = fake.wait_for_messages(2, bob["id"])
    assert "群规" in private[1]["text"]
    assert private[1]["reply_markup"]["inline_keyboard"][0][0]["callback_data"].startswith(
        "onboarding:start:"
    )
    settled(tmp_path)
    assert bot.stop() == 0
    statuses = delivery_statuses(tmp_path)
    assert ("onboarding.group_welcome", "sent", None) in statuses
    failed = [(kind, error) for kind, status, error in statuses if status == "failed"]
    # Alice's refusal, recorded with Telegram's reason; Bob's welcome went out regardless.
    assert failed == [("onboarding.step.welcome_private", "Forbidden: bot was blocked by the user")]
    assert ("onboarding.step.welcome_private", "sent", None) in statuses
    sent_before = len(fake.sent_messages())
    restarted = start_bot()  # a restart: nothing is sent twice
    wait_for_log(restarted, "caught up")
    settled(tmp_path)
    assert len(fake.sent_messages()) == sent_before


def test_moderator_commands_and_refusals(fake: FakeBotApiThread, start_bot: Any) -> None:
    start_bot()
    say(fake, ALICE, "/setrules 我来定规矩")
    say(fake, MOD, '/setrules 1. 友善 <交流> & "尊重"')
    say(fake, ALICE, "/rules")
    say(fake, ALICE, "/settings")
    sent = [m["text"] for m in fake.wait_for_messages(4, GROUP)]
    assert "仅限管理员" in sent[0]
    assert "群规已更新" in sent[1]
    assert "1. 友善 &lt;交流&gt; &amp; &#34;尊重&#34;" in sent[2]
    assert "仅限管理员" in sent[3]
    # Admin lists are cached: four commands, one getChatAdministrators.
    assert len(fake.api.calls("getChatAdministrators")) == 1
    # A promotion seen in a chat_member update refreshes the cache.
    push(fake, fake.chat_member_update(GROUP, ALICE, "member", "administrator", actor=MOD))
    fake.set_admins(GROUP, owner=MOD, admins=[ALICE])
    say(fake, ALICE, "/settings")
    sent = [m["text"] for m in fake.wait_for_messages(5, GROUP)]
    assert "当前设置" in sent[4]
    assert len(fake.api.calls("getChatAdministrators")) == 2


def test_help_falls_back_to_a_deep_link_when_private_chat_is_refused(
    fake: FakeBotApiThread, start_bot: Any
) -> None:
    start_bot()
    say(fake, ALICE, "/help")
    [nudge] = fake.wait_for_messages(1, GROUP)
    assert "https://t.me/shequn_test_bot?start=from_group" in nudge["text"]
    assert 403 in {c.status for c in fake.api.calls("sendMessage")}
    say(fake, ALICE, "/start", chat=ALICE["id"])  # the member opens the private chat
    fake.wait_for_messages(1, ALICE["id"])
    say(fake, ALICE, "/help")
    private = fake.wait_for_messages(2, ALICE["id"])
    assert "/rules" in private[1]["text"]
    assert len(fake.sent_messages(GROUP)) == 1  # no second nudge


def test_flood_429_is_waited_out_and_nothing_is_lost(
    fake: FakeBotApiThread, start_bot: Any
) -> None:
    start_bot()
    fake.force_flood(GROUP, retry_after=1, times=2)
    started = time.monotonic()
    say(fake, MOD, "/rules")
    [answer] = fake.wait_for_messages(1, GROUP, timeout=15)
    assert "还没有设置群规" in answer["text"]
    assert time.monotonic() - started >= 2  # waited retry_after twice
    assert [c.status for c in fake.api.calls("sendMessage")].count(429) == 2


def test_supergroup_migration_keeps_the_data(fake: FakeBotApiThread, start_bot: Any) -> None:
    old, new = -4004, -1004004004004
    fake.add_chat(old, "group", "Small group")
    fake.set_admins(old, owner=MOD)
    fake.set_admins(new, owner=MOD)
    start_bot()
    say(fake, MOD, "/setrules 迁移前的群规", chat=old)
    fake.wait_for_messages(1, old)
    for update in fake.migrate_updates(old, new, MOD):
        push(fake, update)
    say(fake, ALICE, "/rules", chat=new)
    [answer] = fake.wait_for_messages(1, new)
    assert "迁移前的群规" in answer["text"]


def test_bad_input_is_survived(fake: FakeBotApiThread, start_bot: Any) -> None:
    bot = start_bot()
    unknown_chat = -1009999
    fake.add_chat(unknown_chat, "supergroup", "Never seen")
    say(fake, ALICE, "长" * 4096 + "\u200b\u202e\u2067" + "🙂" * 500, chat=unknown_chat)
    say(fake, ALICE, "/setrules", chat=unknown_chat)  # not a moderator there: polite refusal
    say(fake, ALICE, "/nosuch@shequn_test_bot", chat=unknown_chat)
    say(fake, ALICE, "/nosuch@someotherbot", chat=unknown_chat)
    say(fake, MOD, "/rules", chat=unknown_chat)
    sent = [m["text"] for m in fake.wait_for_messages(3, unknown_chat)]
    assert "仅限管理员" in sent[0] and "/nosuch" in sent[1] and "还没有设置群规" in sent[2]
    # Nothing malformed: only the first-message badge notes to a member who never started
    # the bot are refused (403), as Telegram does.
    calls = fake.api.calls("sendMessage")
    assert {c.status for c in calls} <= {200, 403}, bot.output()
    assert all(int(c.params["chat_id"]) == ALICE["id"] for c in calls if c.status == 403)


def wait_for_text(fake: FakeBotApiThread, chat: int, needle: str) -> dict[str, Any]:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        for sent in fake.sent_messages(chat):
            if needle in (sent.get("text") or ""):
                return sent
        time.sleep(0.05)
    raise AssertionError(f"no message with {needle!r} in {chat}: {texts(fake, chat)}")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


STAFF = -1009999


def test_faq_answers_feedback_and_staff_handoff_over_telegram(
    fake: FakeBotApiThread, start_bot: Any
) -> None:
    fake.add_chat(STAFF, "supergroup", "Staff")
    start_bot(
        SHEQUN_TELEGRAM__STAFF_CHAT_ID=str(STAFF),
        SHEQUN_COMMUNITY__MODERATORS=f'["telegram:{MOD["id"]}"]',
        SHEQUN_FAQ__SUGGEST_THRESHOLD="0.1",
    )
    # A moderator adds an entry in a short guided exchange, in private.
    say(fake, MOD, "/start", chat=MOD["id"])
    say(fake, MOD, "/addfaq", chat=MOD["id"])
    say(fake, MOD, "积分怎么兑换礼品？", chat=MOD["id"])
    say(fake, MOD, '在 <b>积分商城</b> 兑换 & 领取 <a href="javascript:x">这里</a>', chat=MOD["id"])
    private = [m["text"] for m in fake.wait_for_messages(4, MOD["id"])]
    assert "问题" in private[1] and "答案" in private[2] and "已添加" in private[3]

    # A member's question in the group is answered, quoting them, with feedback buttons.
    say(fake, ALICE, "请问积分在哪里兑换礼品呀？")
    [answer] = fake.wait_for_messages(1, GROUP)
    assert answer["reply_to_message"]["text"] == "请问积分在哪里兑换礼品呀？"
    assert "<b>积分商城</b>" in answer["text"] and "&amp; 领取" in answer["text"]
    assert "javascript" not in answer["text"]
    _, down = answer["reply_markup"]["inline_keyboard"][0]

    # 👎 acknowledges the press and offers a human; taking it tells the staff chat.
    push(
        fake, fake.callback_query_update(GROUP, ALICE, answer["message_id"], down["callback_data"])
    )
    offer = fake.wait_for_messages(2, GROUP)[1]
    assert "没帮上忙" in offer["text"]
    [human] = offer["reply_markup"]["inline_keyboard"][0]
    push(
        fake, fake.callback_query_update(GROUP, ALICE, offer["message_id"], human["callback_data"])
    )
    [staff] = fake.wait_for_messages(1, STAFF)
    assert "&lt;b&gt;Alice&lt;/b&gt; &amp;" in staff["text"]
    # Staff see what the member asked and what the bot answered (not the entry's question).
    assert "问题：「请问积分在哪里兑换礼品呀？」" in staff["text"]
    assert "机器人给出的答案：「#1 在 积分商城 兑换 &amp; 领取" in staff["text"]
    assert len(fake.api.calls("answerCallbackQuery")) >= 2

    # /ask with no good answer tells the member honestly and reaches staff too.
    say(fake, ALICE, "/ask 你们的办公室在哪个城市？")
    assert "答不上来" in fake.wait_for_messages(4, GROUP)[3]["text"]
    assert "办公室在哪个城市" in fake.wait_for_messages(2, STAFF)[1]["text"]

    # Privately, a vague question gets "did you mean…" buttons; a tap answers.
    fake.mark_started(ALICE["id"])
    say(fake, ALICE, "积分干嘛用的", chat=ALICE["id"])
    [suggestion] = fake.wait_for_messages(1, ALICE["id"])
    assert "是以下问题吗" in suggestion["text"]
    [[choice]] = suggestion["reply_markup"]["inline_keyboard"]
    assert choice["text"] == "积分怎么兑换礼品？"
    push(
        fake,
        fake.callback_query_update(
            ALICE["id"], ALICE, suggestion["message_id"], choice["callback_data"]
        ),
    )
    assert "<b>积分商城</b>" in fake.wait_for_messages(2, ALICE["id"])[1]["text"]


def test_points_checkin_invite_and_a_refused_redemption_over_telegram(
    fake: FakeBotApiThread, start_bot: Any, tmp_path: Path
) -> None:
    fake.add_chat(STAFF, "supergroup", "Staff")
    start_bot(
        SHEQUN_TELEGRAM__STAFF_CHAT_ID=str(STAFF),
        SHEQUN_COMMUNITY__STAFF=f'["telegram:{MOD["id"]}"]',
        SHEQUN_POINTS__REWARDS='[{"id": "mug", "name": "马克杯", "cost": 5, "stock": 1}]',
    )
    say(fake, ALICE, "/checkin")
    assert "签到成功，积分+5" in fake.wait_for_messages(1, GROUP)[0]["text"]
    say(fake, ALICE, "/invite")
    link_text = fake.wait_for_messages(2, GROUP)[1]["text"]
    [call] = fake.api.calls("createChatInviteLink")
    assert call.params["name"].startswith("sq:") and "https://t.me/+fake" in link_text
    friend = {"id": 6161, "is_bot": False, "first_name": "Friend"}
    push(
        fake,
        fake.chat_member_update(
            GROUP, friend, "left", "member",
            invite_link={"invite_link": "https://t.me/+x", "creator": MOD, "name":
                         call.params["name"], "creates_join_request": False,
                         "is_primary": False, "is_revoked": False},
        ),
    )  # fmt: skip
    say(fake, ALICE, "/redeem mug")
    texts_now = [m["text"] for m in fake.wait_for_messages(4, GROUP)]
    assert any("已兑换「马克杯」" in t for t in texts_now)
    card = wait_for_text(fake, STAFF, "兑换申请")
    _, refuse = card["reply_markup"]["inline_keyboard"][0]
    push(fake, fake.callback_query_update(STAFF, MOD, card["message_id"], refuse["callback_data"]))
    assert wait_for_text(fake, STAFF, "已由Mod拒绝")
    with closing(sqlite3.connect(tmp_path / "shequn.db")) as db:
        balance = db.execute("select balance from points_accounts").fetchall()
        invites = db.execute("select count(*) from invites").fetchone()[0]
    assert (5,) in balance and invites == 1  # refunded; the friend's join is on record


def test_a_complaint_goes_to_staff_and_back_over_telegram(
    fake: FakeBotApiThread, start_bot: Any
) -> None:
    fake.add_chat(STAFF, "supergroup", "Staff")
    start_bot(
        SHEQUN_TELEGRAM__STAFF_CHAT_ID=str(STAFF),
        SHEQUN_COMMUNITY__STAFF=f'["telegram:{MOD["id"]}"]',
    )
    say(fake, ALICE, "/complain 课程视频第三次打不开了，我真的无语！！")
    assert "工单 #1" in wait_for_text(fake, GROUP, "工单 #1")["text"]
    card = wait_for_text(fake, STAFF, "工单 #1")
    assert "&lt;b&gt;Alice&lt;/b&gt;" in card["text"]
    (claim, _), (resolve, _) = card["reply_markup"]["inline_keyboard"]
    push(fake, fake.callback_query_update(STAFF, MOD, card["message_id"], claim["callback_data"]))
    wait_for_text(fake, STAFF, "已由Mod认领")
    say(fake, MOD, "/reply 1 已经修复，请刷新再试 <b>谢谢</b>", chat=STAFF)
    # Alice never opened a private chat: the answer reaches her in the group, with a mention.
    answer = wait_for_text(fake, GROUP, "工作人员回复（工单 #1）")
    assert "&lt;b&gt;谢谢&lt;/b&gt;" in answer["text"] and "tg://user?id=5151" in answer["text"]
    push(fake, fake.callback_query_update(STAFF, MOD, card["message_id"], resolve["callback_data"]))
    rating = wait_for_text(fake, GROUP, "请打分")
    five = rating["reply_markup"]["inline_keyboard"][1][1]
    push(
        fake, fake.callback_query_update(GROUP, ALICE, rating["message_id"], five["callback_data"])
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        answered = [c for c in fake.api.calls("answerCallbackQuery")
                    if "谢谢你的评价" in str(c.params.get("text"))]  # fmt: skip
        if answered:
            break
        time.sleep(0.05)
    assert answered
