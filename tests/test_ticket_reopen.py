"""A member answering a resolved ticket's message: within a week the ticket is
reopened (staff told, card updated, rated afresh); later a new ticket names it."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from handlers.actions import EditMessage, SendMessage
from handlers.escalation.intake import REOPEN_WITHIN
from tests.chat_harness import Chat, said
from tests.helpers import private_chat
from tests.test_sandbox import bot_lines, play
from tests.test_tickets import ALICE, STAFF_A, chat, clock, staff_notes

__all__ = ["chat", "clock"]  # the fixtures, shared with test_tickets


async def _answered_and_resolved(chat: Chat) -> SendMessage:
    """Alice complains, staff answer and resolve; the answer she will reply to."""
    await chat.cmd(ALICE, "/complain 退款三周了还没到账")
    answered = await chat.cmd(STAFF_A, "/reply 1 您好，已经为您加急处理。", private_chat(STAFF_A))
    [answer] = [a for a in answered if isinstance(a, SendMessage) and "加急" in said([a])]
    await chat.cmd(STAFF_A, "/resolve 1", private_chat(STAFF_A))
    return answer


async def test_a_reply_within_a_week_reopens_the_ticket(chat: Chat) -> None:
    answer = await _answered_and_resolved(chat)
    chat.wait((REOPEN_WITHIN - timedelta(hours=1)).total_seconds())
    back = await chat.say(ALICE, "还是没到账啊", reply_to=chat.where(answer), reply_to_bot=True)
    assert "工单 #1 已重新打开" in said(back)
    assert "工单 #2" not in said(back)
    assert any("工单 #1 已由" in note and "还是没到账啊" in note for note in staff_notes(back))
    [card] = [a for a in back if isinstance(a, EditMessage)]
    assert "已解决" not in said([card])
    async with chat.app.storage.transaction() as repos:
        ticket = await repos.tickets.get(1)
        history = await repos.tickets.history(1)
        assert await repos.tickets.get(2) is None
    assert ticket is not None and ticket.status == "claimed"  # back with who answered it
    assert ticket.resolved_at is None and ticket.rating is None
    assert ticket.first_response_at is not None  # the first response still counts
    assert [e.kind for e in history][-2:] == ["resolved", "reopened"]
    assert history[-1].text == "还是没到账啊"
    # Resolved again, the member is asked to rate it afresh.
    again = await chat.cmd(STAFF_A, "/resolve 1", private_chat(STAFF_A))
    assert "工单 #1 已处理完毕" in said(again)


async def test_a_reply_after_a_week_opens_a_ticket_naming_the_old_one(chat: Chat) -> None:
    answer = await _answered_and_resolved(chat)
    chat.wait((REOPEN_WITHIN + timedelta(hours=1)).total_seconds())
    back = await chat.say(ALICE, "又没到账了", reply_to=chat.where(answer), reply_to_bot=True)
    assert "接续工单 #1" in said(back) and "工单 #2" in said(back)
    assert any("工单 #2 接续已解决的工单 #1" in note for note in staff_notes(back))
    async with chat.app.storage.transaction() as repos:
        old = await repos.tickets.get(1)
        kinds = [e.kind for e in await repos.tickets.history(2)]
    assert old is not None and old.status == "resolved"
    assert kinds == ["opened", "follows"]


def test_the_newcomer_trial_in_the_sandbox(tmp_path: Path) -> None:
    script = (
        "/join 小红\n/as 小红\n/dm\n/start\n投诉 我买的课程一直看不了，退款三周了还没到账\n"
        "/desk\n#1 您好，已经为您加急处理。\n/resolve 1\n/re 9 还是没到账啊\n"
    )
    lines = bot_lines(play(script, tmp_path))
    resolved = next(i for i, line in enumerate(lines) if "已标记为解决" in line)
    after = "\n".join(lines[resolved:])
    assert "工单 #1 已重新打开，工作人员会继续跟进。" in after
    assert "工单 #2" not in after


async def _rating(chat: Chat) -> int | None:
    async with chat.app.storage.transaction() as repos:
        ticket = await repos.tickets.get(1)
    assert ticket is not None
    return ticket.rating


async def test_a_score_typed_in_answer_to_the_rating_request_rates_not_reopens(
    chat: Chat,
) -> None:
    """Where the stars are a menu (WeChat), members answer the rating request by typing
    (5, ５, 5分, 五星, ⭐⭐⭐⭐⭐): a score for their latest ticket, once, within the week."""
    await _answered_and_resolved(chat)
    thanks = await chat.say(ALICE, "４分！", chat=private_chat(ALICE))
    assert said(thanks) == "谢谢你的评价！"
    assert await _rating(chat) == 4
    again = await chat.say(ALICE, "5", chat=private_chat(ALICE))  # rated: not taken again
    assert "谢谢你的评价" not in said(again) and await _rating(chat) == 4


async def test_a_score_replied_to_the_rating_request_rates_it(chat: Chat) -> None:
    await chat.cmd(ALICE, "/complain 课件下载不了")
    resolved = await chat.cmd(STAFF_A, "/resolve 1", private_chat(STAFF_A))
    [request] = [a for a in resolved if isinstance(a, SendMessage) and "打分" in said([a])]
    back = await chat.say(ALICE, "⭐️⭐️⭐️⭐️⭐️", reply_to=chat.where(request), reply_to_bot=True)
    assert said(back) == "谢谢你的评价！" and await _rating(chat) == 5
    async with chat.app.storage.transaction() as repos:
        ticket = await repos.tickets.get(1)
    assert ticket is not None and ticket.status == "resolved"  # not reopened by a score


async def test_a_score_long_after_or_a_number_in_chat_is_no_rating(chat: Chat) -> None:
    await _answered_and_resolved(chat)
    chat.wait((REOPEN_WITHIN + timedelta(hours=1)).total_seconds())
    late = await chat.say(ALICE, "5", chat=private_chat(ALICE))
    assert "谢谢你的评价" not in said(late) and await _rating(chat) is None
    await chat.cmd(ALICE, "/complain 又出问题了")  # ticket 2, open: "5" is its text
    answer = await chat.say(ALICE, "五星", chat=private_chat(ALICE))
    assert "谢谢你的评价" not in said(answer) and await _rating(chat) is None
