"""The sandbox, played from a script as a real process: the same dispatcher,
handlers and database as Telegram, on the embedded default."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

from bot.app import build_app
from bot.channels.sandbox.console import SandboxConsole
from bot.channels.sandbox.world import sandbox_settings
from handlers.clock import ManualClock
from tests.conftest import make_settings

ROOT = Path(__file__).resolve().parent.parent


def play(script: str, tmp_path: Path, *extra_env: tuple[str, str]) -> list[str]:
    path = tmp_path / "script.txt"
    path.write_text(script, "utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("SHEQUN_")}
    env.update({"SHEQUN_DATA_DIR": str(tmp_path / "data"), **dict(extra_env)})
    result = subprocess.run(
        [sys.executable, "-m", "bot", "sandbox", "--script", str(path)],
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
    assert "抱歉，/setrules 仅限群管理员使用。" in said
    # /help in the group before the private chat was opened: a nudge in the group.
    assert "请先私聊我并发送 /start" in said
    # …and after /start it arrives privately.
    assert any(
        line.startswith("🤖 [私聊 小明 #") and "你在「沙盒群 Sandbox group」可以使用" in line
        for line in lines
    )
    assert "时钟前进 clock advanced 3d" in said
    assert "看到你已经在群里发言" in said  # the day-3 check-in adapted to an active member
    assert "谢谢你的参与" in said  # day 14
    assert "3天内激活：1人（100.0%）" in said  # the funnel
    assert "请在三天内私聊或在群里和对方打个招呼" in said  # the welcomer's notice on the staff side
    assert "Asia/Shanghai" in said
    # FAQ: a Traditional-character paraphrase finds the entry; 👎 leads to a human.
    assert "在 积分商城 兑换 & 领取。" in said
    assert "工单 #1（一般）" in said and "机器人给出的答案：积分怎么兑换礼品？" in said
    assert "#1 积分怎么兑换礼品？ · 用了1次 👍0 👎1" in said
    assert "1次 · 你们办公室在哪？" in said  # /faqmisses
    # Complaints: the card, the answer signed by staff, the rating, the member's list.
    assert "工单 #2（重大）" in said and "已收到（工单 #2）" in said
    assert "@小红 💬 工作人员回复（工单 #2）" in said and "谢谢你的评价！" in said
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


def test_run_without_a_token_opens_the_sandbox(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SHEQUN_")}
    env["SHEQUN_DATA_DIR"] = str(tmp_path / "data")
    result = subprocess.run(
        [sys.executable, "-m", "bot", "run"],
        cwd=tmp_path,
        env=env,
        input="/rules\n/quit\n",
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "No Telegram token configured" in result.stdout  # the tip
    assert "本群还没有设置群规" in result.stdout  # the real bot answered
    assert (tmp_path / "data" / "shequn.db").exists()


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
        "/time 10:00\n/join 小红\n/join 小蓝\n/advance 1m\n/as 小红\n你好\n/leave 小蓝\n", tmp_path
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("SHEQUN_")}
    env["SHEQUN_DATA_DIR"] = str(tmp_path / "data")
    for extra, expected in (([], "activated within  3d  1 (50.0%)"), (["--json"], '"joined": 2')):
        result = subprocess.run(
            [sys.executable, "-m", "bot", "report", "onboarding", *extra],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 0, result.stderr
        assert expected in result.stdout, result.stdout
    report = json.loads(result.stdout)
    [group] = report
    assert group["funnel"]["total"]["left"] == 1 and group["funnel"]["total"]["welcomed"] == 2


def test_topic_slots_survive_restarts_within_the_grace_window_only(tmp_path: Path) -> None:
    setup = (
        "/time 10:00\n/addtopic daily 你最近读了什么书？\n/schedule add 0 12 * * * daily 午间话题\n"
    )
    assert "已添加日程" in "\n".join(play(setup, tmp_path))
    # Down over noon, back at 12:30 (another process): the slot is still worth posting.
    late = play("/time 10:00\n/advance 2h30m\n", tmp_path)
    assert sum("你最近读了什么书" in line for line in late) == 1
    # Another restart: the slot was decided, nothing is posted again.
    again = play("/time 10:00\n/advance 2h40m\n", tmp_path)
    assert not any("你最近读了什么书" in line for line in again)
    # Moving the clock a day steps through the next noon: its slot is posted on the way.
    next_day = play("/time 10:00\n/advance 1d4h\n", tmp_path)
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
