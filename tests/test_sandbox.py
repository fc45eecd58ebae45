"""The sandbox, played from a script as a real process: the same dispatcher,
handlers and database as Telegram, on the embedded default."""

from __future__ import annotations

import json
import os
import pty
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.app import build_app
from bot.channels.sandbox.console import SandboxConsole
from bot.channels.sandbox.world import sandbox_settings
from handlers.clock import ManualClock
from tests.conftest import make_settings

ROOT = Path(__file__).resolve().parent.parent


def play(script: str, tmp_path: Path, *extra_env: tuple[str, str]) -> list[str]:
    return play_with(script, tmp_path, extra_env=dict(extra_env))


def play_with(
    script: str, tmp_path: Path, *options: str, extra_env: dict[str, str] | None = None
) -> list[str]:
    """``shequn sandbox OPTIONS --script`` as a real process; its output lines."""
    path = tmp_path / "script.txt"
    path.write_text(script, "utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("SHEQUN_")}
    env.update({"SHEQUN_DATA_DIR": str(tmp_path / "data"), **(extra_env or {})})
    result = subprocess.run(
        [sys.executable, "-m", "bot", "sandbox", *options, "--script", str(path)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    return result.stdout.splitlines()


def bot_lines(lines: list[str]) -> list[str]:
    return [line for line in lines if line.startswith("🤖")]


def test_demo_script_tells_the_whole_story(tmp_path: Path) -> None:
    lines = play((ROOT / "examples" / "sandbox-demo.txt").read_text("utf-8"), tmp_path)
    said = "\n".join(lines)
    assert "群规已更新" in said
    welcomes = [line for line in bot_lines(lines) if "欢迎@小明加入" in line]
    assert len(welcomes) == 1, "a second /join of a present member must not welcome again"
    assert "抱歉，/setrules 仅限管理员使用。" in said
    # /help in the group before the private chat was opened: a nudge in the group.
    assert "请先私聊我并发送 /start" in said
    # …and after /start it arrives privately.
    assert any(
        line.startswith("🤖 [私聊 小明 #") and "你在「沙盒群 Sandbox group」可以使用" in line
        for line in lines
    )
    assert "时钟前进 clock advanced 3d" in said
    assert "看到你已经在群里发言" in said  # the day-3 check-in adapted to an active member
    assert "我是这里的社群助手。" in said  # no welcomer set: the bot says what it is
    assert "谢谢你的参与" in said  # day 14
    assert "3天内激活：1人（100.0%）" in said  # the funnel
    assert "请在三天内私聊或在群里和对方打个招呼" in said  # the welcomer's notice on the staff side
    assert "Asia/Shanghai" in said
    # FAQ: a Traditional-character paraphrase finds the entry; 👎 leads to a human.
    assert "在 积分商城 兑换 & 领取。" in said
    assert "工单 #1（一般）" in said
    assert "机器人给出的答案：「#1 在 积分商城 兑换 & 领取。」" in said
    assert "#1 积分怎么兑换礼品？ · 用了1次 👍0 👎1" in said
    assert "1次 · 你们办公室在哪？" in said  # /faqmisses
    # Complaints: the card, the answer signed by staff, the rating, the member's list.
    assert "工单 #2（重大）" in said and "已收到（工单 #2）" in said
    assert "@小红，💬 工作人员回复（工单 #2）" in said and "谢谢你的评价！" in said
    assert "#2 [重大] 已解决" in said
    # Points: check-in, balance with history, a moderator's reward shown in the ledger.
    assert "签到成功，积分+5" in said and "完成新人引导" in said
    assert "已给@小明加30分（原因：分享了学习笔记）" in said
    assert "+30 管理员加分 · 分享了学习笔记 · 操作人：operator" in said


def test_data_survives_between_runs(tmp_path: Path) -> None:
    play("/setrules 规则一\n/join 小红\n", tmp_path)
    lines = play("/rules\n/join 小红\n", tmp_path)
    assert "规则一" in "\n".join(lines)  # only the bot's answer can say it in this run
    assert "欢迎" not in "\n".join(bot_lines(lines))  # 小红 is still a member from the first run


def test_english_sandbox_and_bad_input(tmp_path: Path) -> None:
    lines = play(
        "/as Eve <b>&\n/nosuch@shequn_bot\n/advance soon\n/press 9\n" + "x" * 5000 + "\n",
        tmp_path,
        ("SHEQUN_COMMUNITY__LANGUAGE", "en"),
    )
    said = "\n".join(lines)
    assert "There is no /nosuch command" in said
    assert "bad duration" in said
    assert "/press N" in said
    assert "Eve <b>&" in said  # shown as typed in a terminal; escaped only for HTML platforms


def test_a_huge_advance_is_refused_in_one_line(tmp_path: Path) -> None:
    """Beyond timedelta (a Traceback that ended the sandbox) or beyond ten years of
    daily steps: one line, and the sandbox goes on."""
    said = "\n".join(play("/advance 99999999999d\n/advance 5000d\n/advance ²d\n/id\n", tmp_path))
    assert "Traceback" not in said
    assert "is too long" in said and "at most 3660d" in said and "bad duration" in said
    assert "你的 ID" in said  # still running


def test_run_without_a_token_in_a_terminal_opens_the_sandbox(tmp_path: Path) -> None:
    """With a terminal on stdin (a pseudo-terminal here) ``run`` opens the sandbox."""
    controller, terminal = pty.openpty()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SHEQUN_")}
    env["SHEQUN_DATA_DIR"] = str(tmp_path / "data")
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "run"],
        cwd=tmp_path,
        env=env,
        stdin=terminal,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    os.close(terminal)
    try:
        os.write(controller, b"/rules\n/quit\n")
        stdout, stderr = process.communicate(timeout=60)
    finally:
        os.close(controller)
    assert process.returncode == 0, stderr
    assert "No Telegram token configured" in stdout  # the tip
    assert "本群还没有设置群规" in stdout  # the real bot answered
    assert (tmp_path / "data" / "sandbox.db").exists()  # the sandbox's own database
    assert not (tmp_path / "data" / "shequn.db").exists()


def test_the_sandbox_has_its_own_database_and_reset_starts_afresh(tmp_path: Path) -> None:
    real = tmp_path / "real.db"
    setting = ("SHEQUN_DATABASE__URL", f"sqlite:///{real}")
    play("/setrules 沙盒里的群规\n", tmp_path, setting)
    assert (tmp_path / "data" / "sandbox.db").exists() and not real.exists()
    assert "沙盒里的群规" in "\n".join(play("/rules\n", tmp_path, setting))
    lines = play_with("/rules\n", tmp_path, "--reset")
    assert lines[0] == f"sandbox reset: deleted {tmp_path / 'data' / 'sandbox.db'}"
    assert "本群还没有设置群规" in "\n".join(lines)


def test_scheduled_steps_survive_restarts_and_go_out_once(tmp_path: Path) -> None:
    """Three separate processes on one database, the sandbox clock moved between them."""
    first = "\n".join(play("/time 10:00\n/join 小红\n/advance 1m\n", tmp_path))
    assert first.count("欢迎@小红加入") == 1
    # A new process three days later: the day-3 check-in is due. 小红 never opened a private
    # chat, so she is greeted in the group, with the link to a private chat.
    second = "\n".join(play("/time 10:00\n/advance 3d1h\n", tmp_path))
    assert second.count("新朋友@小红，加入「沙盒群 Sandbox group」三天啦") == 1
    assert "点这里私聊我" in second
    assert "欢迎@小红加入" not in second
    # Yet another process at the same moment: nothing is sent again.
    third = "\n".join(play("/time 10:00\n/advance 3d1h\n", tmp_path))
    assert "小红" not in third


def test_onboarding_report_command(tmp_path: Path) -> None:
    play(
        "/time 10:00\n/join 小红\n/join 小蓝\n/advance 1m\n/as 小红\n你好\n/desk\n收到\n/group\n"
        "/leave 小蓝\n",
        tmp_path,
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("SHEQUN_")}
    env["SHEQUN_DATA_DIR"] = str(tmp_path / "data")
    for extra, expected in (([], "activated within  3d  1 (50.0%)"), (["--json"], '"joined": 2')):
        result = subprocess.run(  # --sandbox: the sandbox's own database and staff chat
            [sys.executable, "-m", "bot", "--sandbox", "report", "onboarding", *extra],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 0, result.stderr
        assert expected in result.stdout, result.stdout
        if not extra:  # reasons in the community's words; the staff chat is no community
            assert "(没私聊过机器人 2)" in result.stdout, result.stdout
            assert "客服群" not in result.stdout
    report = json.loads(result.stdout)
    [group] = report
    assert group["funnel"]["total"]["left"] == 1 and group["funnel"]["total"]["welcomed"] == 2


def test_commands_on_the_sandbox_use_its_clock(tmp_path: Path) -> None:
    """``shequn --sandbox schedule preview`` shows the slots after the sandbox's time,
    which /advance may have moved weeks past the wall clock."""
    play("/time 10:00\n/addtopic qa 今天聊什么？\n/advance 40d\n", tmp_path)
    state = json.loads((tmp_path / "data" / "sandbox.db.state.json").read_text("utf-8"))
    sandbox_day = datetime.fromisoformat(state["clock"]).astimezone(ZoneInfo("Asia/Shanghai"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("SHEQUN_")}
    env["SHEQUN_DATA_DIR"] = str(tmp_path / "data")
    result = subprocess.run(
        [sys.executable, "-m", "bot", "--sandbox", "schedule", "preview", "--days", "7"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    first = result.stdout.splitlines()[0]
    assert first[:10] >= sandbox_day.date().isoformat(), result.stdout


def _bot_was_down(tmp_path: Path, for_: timedelta) -> None:
    """Move the saved sandbox clock on, as the wall clock moves while a bot is stopped."""
    state = tmp_path / "data" / "sandbox.db.state.json"
    saved = json.loads(state.read_text("utf-8"))
    saved["clock"] = (datetime.fromisoformat(saved["clock"]) + for_).isoformat()
    state.write_text(json.dumps(saved), "utf-8")


def test_topic_slots_survive_restarts_within_the_grace_window_only(tmp_path: Path) -> None:
    setup = (
        "/time 10:00\n/addtopic daily 你最近读了什么书？\n/schedule add 0 12 * * * daily 午间话题\n"
    )
    assert "已添加日程" in "\n".join(play(setup, tmp_path))
    # Down over noon, back at 12:30 (another process): the slot is still worth posting.
    _bot_was_down(tmp_path, timedelta(hours=2, minutes=30))
    late = play("/advance 1m\n", tmp_path)
    assert sum("你最近读了什么书" in line for line in late) == 1
    # Another restart: the slot was decided, nothing is posted again.
    _bot_was_down(tmp_path, timedelta(minutes=10))
    again = play("/advance 1m\n", tmp_path)
    assert not any("你最近读了什么书" in line for line in again)
    # Moving the clock a day steps through the next noon: its slot is posted on the way.
    next_day = play("/advance 1d\n", tmp_path)
    assert sum("今日话题" in line for line in next_day) == 1


async def test_a_ticket_answered_by_replying_to_its_card_in_the_sandbox(tmp_path: Path) -> None:
    clock = ManualClock()
    app = build_app(sandbox_settings(make_settings(tmp_path)), clock=clock)
    lines: list[str] = []
    try:
        await app.prepare()
        console = await SandboxConsole.create(app, clock, write=lines.append)
        for line in ("/join 小明", "/as 小明", "/complain 课件 <下载> 不了"):
            await console.handle_line(line)
        [card] = [
            line for line in lines if line.startswith("📋 [客服群 staff #") and "工单 #1" in line
        ]
        number = re.match(r"📋 \[客服群 staff #(\d+)\]", card)
        assert number is not None and "课件 <下载> 不了" in card
        await console.handle_line("/as operator")
        await console.handle_line(f"/re {number.group(1)} 已经修复，请刷新")
        answer = [line for line in lines if "工作人员回复（工单 #1）" in line]
        assert answer and answer[0].startswith("🤖 [群 #") and "@小明" in answer[0]
        await console.handle_line("/re 9999 你好")
        assert "用法 usage: /re N TEXT" in lines[-1]
    finally:
        await app.close()


def test_moving_the_clock_steps_through_every_due_moment(tmp_path: Path) -> None:
    """/advance 14d shows what happens on the way: the day-1, 3, 7 and 14 steps each at
    their moment, and topic slots that were not posted are named, not skipped silently."""
    lines = play(
        "/time 10:00\n/join 小红\n/advance 14d1h\n/as operator\n/desk\n/settings\n/group\n",
        tmp_path,
        ("SHEQUN_ONBOARDING__ESSENTIAL_CONTENT", '[{"title": "新手指南", "url": "https://e.com"}]'),
    )
    said = "\n".join(lines)
    for words in ("欢迎@小红", "三天啦", "一周了", "两周了"):
        assert said.count(words) == 1, words
    headers = [line for line in lines if line.startswith("(⏩ 20")]
    assert len(headers) >= 4  # one per moment where something happened
    assert said.index("三天啦") < said.index("一周了") < said.index("两周了")
    assert "未发布 topic not posted: 话题池是空的" in said  # empty pools, named in Chinese:
    assert "「工作日答疑」" in said and not re.search(r"「(weekend|qa|expert)」", said)
    assert "这是客服工作群" in said  # /settings in the sandbox's staff chat says what it is


def test_buttons_of_older_messages_can_be_pressed(tmp_path: Path) -> None:
    script = (
        "/addfaq 积分怎么兑换？ | 在积分商城兑换。\n/addfaq 发票怎么开？ | 在订单页申请。\n"
        "/as 小明\n/dm\n积分怎么兑换？\n发票怎么开？\n"
    )
    # Message numbers are the same in every run: learn the first answer's from a dry run.
    (tmp_path / "dry").mkdir()
    lines = play(script, tmp_path / "dry")
    [first, second] = [re.search(r"#(\d+)\]", line) for line in lines if "↩ #" in line][-2:]
    assert first and second
    said = "\n".join(play(script + f"/press #{first.group(1)} 2\n/press #999 1\n", tmp_path))
    assert f"点击 pressed «👎 没用» #{first.group(1)}]" in said  # the older answer's 👎
    assert "这次运行里没有机器人消息 #999" in said  # not this run's: buttons last for the run


def test_the_terminal_edits_lines_instead_of_typing_escape_codes(tmp_path: Path) -> None:
    """In a terminal, arrow keys move the cursor (readline): "/rles", three times ←, "u"
    is the command /rules, not a line full of escape codes."""
    import os
    import pty
    import select
    import time

    master, slave = pty.openpty()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SHEQUN_")}
    env["SHEQUN_DATA_DIR"] = str(tmp_path / "data")
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "sandbox"],
        stdin=slave, stdout=slave, stderr=slave, cwd=tmp_path, env=env,
    )  # fmt: skip
    os.close(slave)

    def read_until(needle: bytes, timeout: float = 30) -> bytes:
        seen, deadline = b"", time.monotonic() + timeout
        while needle not in seen and time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.2)
            if ready:
                seen += os.read(master, 4096)
        return seen

    try:
        assert b"operator> " in read_until(b"operator> ")
        os.write(master, b"/rles\x1b[D\x1b[D\x1b[Du\r")
        answer = read_until("本群还没有设置群规".encode())
        assert "本群还没有设置群规".encode() in answer and b"\x1b[D" not in answer
        os.write(master, b"/quit\r")
        assert process.wait(20) == 0
    finally:
        process.kill()
        os.close(master)


def test_a_wechat_member_with_wechats_window(tmp_path: Path) -> None:
    """``/wechat 小王`` plays a 微信客服 member: one to one, group features such as
    check-in answered there, a ticket answered by staff, and an answer past the 48-hour
    window held until the member writes again."""
    script = (
        "/wechat 小王\n帮助\n签到\n投诉 退款三周了还没到账\n/as operator\n/advance 49h\n/staff\n"
    )
    (tmp_path / "dry").mkdir()
    lines = play(script, tmp_path / "dry")
    card = next(re.search(r"staff #(\d+)\]", line) for line in lines if "工单 #1（" in line)
    assert card
    said = "\n".join(
        play(script + f"/re {card.group(1)} 已经为你加急处理\n/wechat 小王\n在吗\n/who\n", tmp_path)
    )
    assert "[微信客服 WeChat 小王 #" in said and "窗口 window: 1/5 已用 used" in said
    assert "签到成功" in said  # a group feature, kept for the 客服账号's members
    assert "未发送 not sent: 微信窗口已关闭" in said  # 49 hours later: held, not sent
    held = said.index("sending what was held")
    assert said.index("已经为你加急处理", held) > held  # sent once the member wrote again
    assert "窗口 window: 2/5 已用 used" in said.rsplit("/who", 1)[-1]  # the answer, then hi


def test_a_wechat_member_checks_in_and_redeems(tmp_path: Path) -> None:
    """Points on WeChat are kept for the 客服账号's members: check-in, balance, and a
    redemption that reaches the staff chat saying where the member is."""
    rewards = '[{"id": "coupon", "name": "优惠券", "cost": 5, "stock": 3}]'
    said = "\n".join(
        play(
            "/wechat 小王\n签到\n兑换 coupon\n积分\n", tmp_path, ("SHEQUN_POINTS__REWARDS", rewards)
        )
    )
    assert "签到成功，积分+5" in said
    assert "完成新人引导" in said  # checking in is taking part: the newcomer bonus
    assert "已兑换「优惠券」，扣除5分，剩余10分" in said
    assert "兑换申请 #1" in said and "群：微信客服" in said  # the staff chat knows where
    assert "可用积分：10（累计获得15）" in said


def test_a_wechat_member_is_onboarded_inside_the_window(tmp_path: Path) -> None:
    """Opening the chat greets the member on the session's welcome code and starts
    the newcomer flow; day 3 goes out while the window is open, day 14 falls outside
    it and is skipped, not held for later."""
    said = "\n".join(
        play(
            "/wechat 小王\n/advance 2d\n你好\n/advance 1d\n/advance 12h\n/advance 11d\n在吗\n",
            tmp_path,
        )
    )
    assert "窗口未打开" in said.split("你好，小王")[1].split("\n")[3]  # the welcome code
    assert "三天啦" in said.split("/advance 1d")[1]
    assert "跳过 skipped「小王，加入「Shequn」两周了" in said
    assert "两周了" not in said.split("在吗")[-1]  # not held for the member's next message


def test_a_wechat_members_window_and_held_answer_survive_a_restart(tmp_path: Path) -> None:
    """WeChat keeps a member's window whether the bot runs or not: after a restart the
    member is not greeted as new again, the day-3 step goes out inside the window they
    opened before it, and an answer held for them is still sent when they write."""
    play("/time 10:00\n/wechat 小王\n/advance 2d\n你好\n", tmp_path)
    later = "\n".join(play("/wechat 小王\n/who\n/advance 1d1h\n", tmp_path))
    assert "你好，小王" not in later  # not a new session's greeting
    assert "窗口 window: 1/5 已用 used" in later.split("/who")[1]
    assert "三天啦" in later and "跳过 skipped" not in later
    # An answer held past the window (49 hours) is sent once the member writes again,
    # in a later run.
    play("/wechat 小王\n投诉 退款三周了还没到账\n/as operator\n/advance 49h\n", tmp_path)
    held = "\n".join(play("/desk\n/reply 1 已经为你加急处理\n", tmp_path))
    assert "未发送 not sent: 微信窗口已关闭" in held
    # Staff hear it waits for the member (⏳), not that it was lost (⚠️).
    assert "⏳ 工单 #1 发给成员的消息暂时发不出去" in held and "没能送达" not in held
    said = "\n".join(play("/wechat 小王\n在吗\n", tmp_path))
    assert said.index("已经为你加急处理") > said.index("sending what was held")


def test_a_staff_card_is_worked_at_the_desk_and_nowhere_else(tmp_path: Path) -> None:
    """A button is pressed where its message is: a member in the group cannot press the
    staff card's; at the desk, "#N 答复" is staff's answer (a comment is "# " only)."""
    script = (
        "/as 小明\n你们这服务太差了，我要投诉，退钱！\n"
        "/as 阿强\n/press 1\n"
        "/as operator\n/desk\n# a comment, not sent\n#1 您好，我们马上为您处理退款。\n"
        "/press 2\n"  # ✅ on the card as edited since (a message of its own in the sandbox)
    )
    said = "\n".join(play(script, tmp_path))
    # Answered, the ticket is operator's: the edited card has no 🙋 认领 any more.
    assert "处理人：operator\n    [1] ✍️ 回复  [2] ✅ 已解决  [3] ⬆️ 升级" in said
    assert "在「客服群" in said and "不在这里" in said  # 阿强, in the group, is refused
    assert "阿强升级" not in said and "阿强认领" not in said
    assert "a comment, not sent" not in said.split("/desk", 1)[1].replace("# a comment", "")
    assert "您好，我们马上为您处理退款。" in said.split("#1 您好", 1)[1]  # reached 小明
    assert "你的工单 #1 已处理完毕" in said


async def test_work_falling_due_while_a_step_is_swept_goes_out_at_once(tmp_path: Path) -> None:
    """The wall clock moves on while /advance sweeps a step: work that fell due meanwhile
    is swept at once, not at the next moment something falls due (a day later here, by
    when the day-1 nudge was stale and never sent)."""
    clock = ManualClock(datetime(2026, 12, 7, 2, 0, tzinfo=UTC))  # 10:00 in Shanghai
    settings = make_settings(tmp_path, topics={"enabled": False})
    app = build_app(sandbox_settings(settings), clock=clock)
    lines: list[str] = []
    try:
        await app.prepare()
        console = await SandboxConsole.create(app, clock, write=lines.append)
        for line in ("/as 小蓝", "/dm", "/start", "/group", "/join 小蓝"):
            await console.handle_line(line)
        clock.advance(timedelta(days=1, minutes=1))  # the nudge fell due, not swept yet
        await console.handle_line("/advance 2d")
        said = "\n".join(lines)
        assert said.count("一天了") == 1, said
        [header] = [line for line in lines if line.startswith("(⏩ 2026")][:1]
        assert header == "(⏩ 2026-12-08 10:01 CST)", said  # at once, not a day later
    finally:
        await app.close()


async def test_moving_to_a_time_of_day_across_daylight_saving(tmp_path: Path) -> None:
    """/time 10:00 on the day New York's clocks go forward lands at 10:00, not 11:00."""
    new_york = ZoneInfo("America/New_York")
    clock = ManualClock(datetime(2027, 3, 14, 0, 0, tzinfo=new_york).astimezone(UTC))
    settings = make_settings(tmp_path, community={"timezone": "America/New_York"})
    app = build_app(sandbox_settings(settings), clock=clock)
    try:
        await app.prepare()
        console = await SandboxConsole.create(app, clock, write=lambda _: None)
        await console.handle_line("/time 10:00")
        arrived = clock.now().astimezone(new_york)
        assert (arrived.date().isoformat(), arrived.hour, arrived.minute) == ("2027-03-14", 10, 0)
    finally:
        await app.close()


def test_a_sandbox_closed_without_quit_keeps_its_clock(tmp_path: Path) -> None:
    """A terminal closed or a process killed: the next run goes on from the clock it
    reached, not from days before what it already sent."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SHEQUN_")}
    env["SHEQUN_DATA_DIR"] = str(tmp_path / "data")
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "sandbox"],
        cwd=tmp_path, env=env, text=True,
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    assert process.stdin is not None and process.stdout is not None
    try:
        process.stdin.write("/time 10:00\n/join 小红\n/advance 3d1h\n/id\n")
        process.stdin.flush()
        for line in process.stdout:
            if "你的 ID" in line:  # the line after /advance was handled
                break
    finally:
        process.kill()
        process.wait()
    later = "\n".join(play("/advance 1h\n", tmp_path))
    assert "三天啦" not in later and "欢迎@小红" not in later  # nothing again
    state = json.loads((tmp_path / "data" / "sandbox.db.state.json").read_text("utf-8"))
    assert datetime.fromisoformat(state["clock"]) > datetime.now(UTC) + timedelta(days=3)


def test_a_wechat_member_repeating_a_greeting_is_answered_once(tmp_path: Path) -> None:
    """「在吗」 three times got the same greeting three times, spending WeChat's few
    messages; a question after it is still answered, and a greeting later on too."""
    said = "\n".join(play("/wechat 小王\n在吗\n在吗\n在吗\n签到\n/advance 11m\n在吗\n", tmp_path))
    first, later = said.split("/advance 11m")
    assert first.count("你好，小王！我是社群助手") == 1
    assert "签到成功" in first
    assert later.count("你好，小王！我是社群助手") == 1  # ten minutes on: greeted again
