"""A private message the group promised ("please /start first") is delivered after
the member's /start: once, within a day, across a restart of the bot."""

from __future__ import annotations

from pathlib import Path

from tests.test_sandbox import bot_lines, play

HELP_LINE = "/mytickets — 查看我的工单"
NUDGE = "请先私聊我并发送 /start"
GREETING = "你好，小红！"


def _private(lines: list[str]) -> list[str]:
    return [line for line in bot_lines(lines) if "私聊 小红" in line]


def test_help_and_ticket_list_arrive_after_start_once(tmp_path: Path) -> None:
    lines = play("/join 小红\n/as 小红\n/help\n/mytickets\n/dm\n/start\n/start\n", tmp_path)
    said = "\n".join(lines)
    assert said.count(NUDGE) == 2
    assert said.count(HELP_LINE) == 1, "the promised help goes out once, not at every /start"
    assert said.count("你还没有工单。") == 1
    first_start, second_start = said.split("小红: /start")[1:]
    assert first_start.index(GREETING) < first_start.index(HELP_LINE), "greeting first"
    assert GREETING in second_start and HELP_LINE not in second_start
    assert len(_private(lines)) == 4  # greeting, help, tickets; then the second greeting


def test_promised_message_survives_a_restart(tmp_path: Path) -> None:
    play("/join 小红\n/as 小红\n/help\n", tmp_path)
    lines = play("/as 小红\n/dm\n/start\n", tmp_path)
    assert HELP_LINE in "\n".join(lines)


def test_promise_older_than_a_day_is_not_kept(tmp_path: Path) -> None:
    lines = play("/join 小红\n/as 小红\n/help\n/time 10:00\n/time 10:00\n/dm\n/start\n", tmp_path)
    said = "\n".join(lines)
    assert GREETING in said
    assert HELP_LINE not in said
