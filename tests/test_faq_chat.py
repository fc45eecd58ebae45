"""FAQ behaviour in chats, through the real dispatcher and an SQLite file:
answering, staying quiet, cooldowns, feedback, /ask, suggestions, the
moderators' commands and the guided /addfaq, de-duplication, misses."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from markupsafe import escape

from bot.app import App, build_app
from bot.channels.rendering import plain_text
from faq.calibration import Feedback
from faq.formats import read_entries
from handlers.actions import AnswerButton, NotifyStaff, SendMessage
from handlers.clock import ManualClock
from handlers.events import MessageRef
from handlers.faq.confidence import as_feedback
from handlers.faq.transfer import apply_import, plan_import
from storage.database import Storage
from tests.chat_harness import Chat, buttons, said
from tests.conftest import make_settings
from tests.helpers import GROUP, message, person, private_chat

NOON = datetime(2026, 11, 24, 4, 0, tzinfo=UTC)
ALICE, BOB = person("1", "Alice <i>"), person("2", "Bob")
MOD = person("42", "Mod")


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(start=NOON)


def faq_app(tmp_path: Path, storage: Storage, clock: ManualClock, **faq: Any) -> App:
    settings = make_settings(
        tmp_path,
        faq=faq,
        community={"moderators": ["testnet:42"], "staff": ["testnet:900"]},
        points={"enabled": False},  # these tests read only what the FAQ says
    )
    return build_app(settings, clock=clock, storage=storage)


@pytest.fixture
async def chat(tmp_path: Path, sqlite_storage: Storage, clock: ManualClock) -> Chat:
    app = faq_app(tmp_path, sqlite_storage, clock)
    await app.prepare()
    c = Chat(app)
    await c.cmd(
        MOD, "/addfaq 积分怎么兑换礼品？ | 在 <b>积分商城</b> 兑换 & 领取 <script>x</script>"
    )
    await c.cmd(MOD, "/addfaq 忘记密码怎么办？ | 在登录页点「忘记密码」，用手机号找回。")
    await c.cmd(MOD, "/addfaq 直播有回放吗？ | 有，直播结束 2 小时内上传回放。")
    c.wait(120)
    return c


# -- answering in groups ---------------------------------------------------------------


async def test_a_question_in_the_group_is_answered_quoting_the_asker(chat: Chat) -> None:
    actions = await chat.say(ALICE, "请问积分在哪里兑换礼品呀？")
    [answer] = [a for a in actions if isinstance(a, SendMessage)]
    assert answer.reply_to is not None and answer.chat == GROUP
    assert "积分怎么兑换礼品" in plain_text(answer.text)
    assert "<b>积分商城</b>" in str(answer.text) and "&amp; 领取" in str(answer.text)
    assert "<script" not in str(answer.text)
    assert [d.split(":")[1] for d in buttons(actions)] == ["up", "down"]


async def test_traditional_characters_find_the_simplified_entry(chat: Chat) -> None:
    assert "忘记密码怎么办" in said(await chat.say(ALICE, "忘記密碼了怎麼辦？"))


async def test_chatter_and_statements_get_no_reply(chat: Chat) -> None:
    for text in ["今天天气真不错", "哈哈哈哈", "今晚吃什么？", "🎉🎉🎉", " ", "积分好多"]:
        assert said(await chat.say(ALICE, text)) == "", text


async def test_group_answers_respect_the_cooldown_unless_the_bot_is_asked(chat: Chat) -> None:
    assert said(await chat.say(ALICE, "积分怎么兑换礼品？"))
    chat.wait(10)
    assert said(await chat.say(BOB, "忘记密码怎么办？")) == ""
    assert "忘记密码" in said(await chat.say(BOB, "忘记密码怎么办", mentions_bot=True))
    chat.wait(61)
    assert "直播有回放" in said(await chat.say(BOB, "直播有回放吗？"))


async def test_a_mention_the_base_cannot_answer_gets_an_honest_reply(chat: Chat) -> None:
    text = said(await chat.say(ALICE, "你们办公室在哪个城市", mentions_bot=True))
    assert "答不上来" in text and "/ask" in text


async def test_a_redelivered_update_answers_once(chat: Chat) -> None:
    event = message(chat.now, ALICE, "积分怎么兑换礼品？")
    first = await chat.send(event, key="tg:777")
    again = await chat.send(event, key="tg:777")
    assert said(first) and again == []
    async with chat.app.storage.transaction() as repos:
        assert (await repos.faq.usage([1]))[1][0] == 1


async def test_huge_and_odd_unicode_messages_are_handled(chat: Chat) -> None:
    huge = "积分怎么兑换礼品？" + "\u202e𝕏\u200b啊" * 1200
    actions = await chat.say(ALICE, huge[:4096])
    assert "积分怎么兑换礼品" in said(actions)


async def test_switched_off_means_silent(tmp_path: Path, sqlite_storage: Storage, clock) -> None:
    app = faq_app(tmp_path, sqlite_storage, clock, enabled=False)
    c = Chat(app)
    await c.cmd(MOD, "/addfaq 积分怎么兑换礼品？ | 商城")
    assert said(await c.say(ALICE, "积分怎么兑换礼品？")) == ""
    assert "没有开启" in said(await c.cmd(ALICE, "/ask 积分怎么兑换礼品？"))


async def test_an_empty_base_never_answers(tmp_path: Path, sqlite_storage: Storage, clock) -> None:
    c = Chat(faq_app(tmp_path, sqlite_storage, clock))
    assert said(await c.say(ALICE, "积分怎么兑换礼品？")) == ""
    assert c.app.faq._matcher is None  # jieba was never even loaded


# -- feedback ------------------------------------------------------------------------------


async def test_thumbs_up_and_down_count_once_per_person(chat: Chat) -> None:
    actions = await chat.say(ALICE, "积分怎么兑换礼品？")
    up, down = buttons(actions)
    answer_id = int(up.split(":")[-1])
    await chat.press(ALICE, up)
    await chat.press(ALICE, up)
    await chat.press(BOB, down)
    async with chat.app.storage.transaction() as repos:
        answer = await repos.faq.get_answer(answer_id)
    assert (answer.helpful, answer.unhelpful) == (1, 1)
    await chat.press(ALICE, down)  # Alice changes her mind
    async with chat.app.storage.transaction() as repos:
        answer = await repos.faq.get_answer(answer_id)
        misses = await repos.faq.misses(NOON)
    assert (answer.helpful, answer.unhelpful) == (0, 2)
    assert [m.reason for m in misses] == ["downvoted", "downvoted"]


async def test_thumbs_down_offers_staff_and_the_offer_reaches_them(chat: Chat) -> None:
    actions = await chat.say(ALICE, "积分怎么兑换礼品？")
    _, down = buttons(actions)
    answer_message = MessageRef(GROUP, "555")
    pressed = await chat.press(ALICE, down, on=answer_message)
    assert any(isinstance(a, AnswerButton) and a.text for a in pressed)
    [offer] = buttons(pressed)
    assert offer.startswith("faq:human:")
    escalated = await chat.press(ALICE, offer, on=answer_message)
    [staff] = [a for a in escalated if isinstance(a, NotifyStaff)]
    assert "Alice <i>" in plain_text(staff.text) and "&lt;i&gt;" in str(staff.text)
    assert "积分怎么兑换礼品" in plain_text(staff.text)


async def test_a_stale_or_forged_button_is_answered_politely(chat: Chat) -> None:
    actions = await chat.press(ALICE, "faq:up:987654")
    assert [a.text for a in actions if isinstance(a, AnswerButton)] == ["这个按钮已过期。"]
    actions = await chat.press(ALICE, "faq:up:abc")
    assert all(isinstance(a, AnswerButton) for a in actions)


# -- /ask and private chats --------------------------------------------------------------------


async def test_ask_answers_or_tells_staff(chat: Chat) -> None:
    assert "直播有回放" in said(await chat.cmd(ALICE, "/ask 直播能看回放吗"))
    actions = await chat.cmd(ALICE, "/ask 你们公司的年终奖发多少？")
    assert "已经转给工作人员" in said(actions)
    assert any(isinstance(a, NotifyStaff) for a in actions)
    assert "用法" in said(await chat.cmd(ALICE, "/ask"))


async def test_ask_can_be_configured_to_give_the_best_guess(
    tmp_path: Path, sqlite_storage: Storage, clock: ManualClock
) -> None:
    c = Chat(
        faq_app(tmp_path, sqlite_storage, clock, ask_fallback="best_match", suggest_threshold=0.05)
    )
    await c.cmd(MOD, "/addfaq 积分商城什么时候上新？ | 每月 1 日上新。")
    text = said(await c.cmd(ALICE, "/ask 积分的东西"))
    assert "不太确定" in text and "上新" in text


async def test_private_chat_answers_suggests_or_says_it_does_not_know(chat: Chat) -> None:
    dm = private_chat(ALICE)
    assert "忘记密码" in said(await chat.say(ALICE, "我忘记密码了", dm))
    suggestion = await chat.say(ALICE, "积分干嘛用的", dm)  # vague: between the thresholds
    assert "是以下问题吗" in said(suggestion)
    [pick] = buttons(suggestion)
    picked = await chat.press(ALICE, pick, on=MessageRef(dm, "3"))
    assert "积分商城" in said(picked)
    assert [d.split(":")[1] for d in buttons(picked)] == ["up", "down"]
    disliked = await chat.press(ALICE, buttons(picked)[1], on=MessageRef(dm, "4"))
    offer = next(a for a in disliked if isinstance(a, SendMessage))
    assert offer.text.startswith(escape(ALICE.display_name) + "，抱歉")  # not @-mentioned
    text = said(await chat.say(ALICE, "给我讲个笑话吧", dm))
    assert "/ask" in text


# -- moderators ----------------------------------------------------------------------------------


async def test_members_cannot_manage_the_base(chat: Chat) -> None:
    for text in ["/addfaq 问 | 答", "/delfaq 1", "/editfaq 1 answer x", "/faq", "/faqmisses"]:
        assert "仅限管理员" in said(await chat.cmd(ALICE, text)), text


async def test_guided_addfaq_survives_a_restart(
    tmp_path: Path, sqlite_storage: Storage, clock: ManualClock
) -> None:
    first = Chat(faq_app(tmp_path, sqlite_storage, clock))
    dm = private_chat(MOD)
    assert "问题" in said(await first.cmd(MOD, "/addfaq", dm))
    assert "答案" in said(await first.say(MOD, "发票怎么开？", dm))
    restarted = Chat(faq_app(tmp_path, sqlite_storage, clock))  # a new process, same database
    assert "已添加" in said(await restarted.say(MOD, "在「我的-订单」里申请 <电子发票>。", dm))
    reply = said(await restarted.say(ALICE, "请问发票怎么开呀？"))
    assert "<电子发票>" in reply


async def test_addfaq_takes_the_full_width_bar_and_keeps_an_answer_typed_first(
    chat: Chat,
) -> None:
    """Chinese input methods type ｜ for |; an answer typed without its question is
    kept for when the question comes, not asked for again."""
    added = said(await chat.cmd(MOD, "/addfaq 退款多久到账｜一般3-5个工作日到账。"))
    assert "已添加" in added and "退款多久到账" in added
    assert "3-5个工作日" in said(await chat.say(ALICE, "退款多久到账？"))
    assert "问题" in said(await chat.cmd(MOD, "/addfaq ｜ 会员可以随时在「我的-会员」里退订。"))
    assert "已添加" in said(await chat.say(MOD, "会员怎么退订？", reply_to_bot=True))
    chat.wait(600)  # past the group's cooldown between answers
    assert "我的-会员" in said(await chat.say(ALICE, "会员怎么退订？"))
    await chat.cmd(MOD, "/editfaq 3 alt 能看录像吗｜错过直播怎么办")
    chat.wait(600)
    assert "回放" in said(await chat.say(ALICE, "错过直播怎么办"))


async def test_guided_addfaq_can_be_cancelled_and_expires(chat: Chat) -> None:
    await chat.cmd(MOD, "/addfaq 新问题？")
    assert "已取消" in said(await chat.cmd(MOD, "/cancel"))
    assert "没有进行中" in said(await chat.cmd(MOD, "/cancel"))
    await chat.cmd(MOD, "/addfaq 新问题？")
    chat.wait(16 * 60)
    assert "已添加" not in said(await chat.say(MOD, "这条不该变成答案", reply_to_bot=True))


async def test_duplicate_and_oversized_entries_are_refused(chat: Chat) -> None:
    assert "已经有同样的问题" in said(await chat.cmd(MOD, "/addfaq 积分怎么兑换礼品 | 另一个答案"))
    assert "太长" in said(await chat.cmd(MOD, "/addfaq 问题 | " + "长" * 4000))


async def test_edit_and_delete_change_answers_at_once(chat: Chat) -> None:
    assert "已更新" in said(await chat.cmd(MOD, "/editfaq 3 answer 回放在「课程-回放」里。"))
    assert "课程-回放" in said(await chat.say(ALICE, "直播有回放吗？"))
    await chat.cmd(MOD, "/editfaq 3 alt 能看录像吗 | 错过直播怎么办")
    chat.wait(61)
    assert "课程-回放" in said(await chat.say(ALICE, "错过直播怎么办？"))
    assert "已停用" in said(await chat.cmd(MOD, "/editfaq 3 off"))
    chat.wait(61)
    assert said(await chat.say(ALICE, "直播有回放吗？")) == ""
    assert "已删除" in said(await chat.cmd(MOD, "/delfaq 2"))
    assert said(await chat.say(ALICE, "忘记密码怎么办？")) == ""
    assert "没有编号为2" in said(await chat.cmd(MOD, "/editfaq 2 answer x"))
    assert "没有编号为abc" in said(await chat.cmd(MOD, "/editfaq abc"))
    assert "编号" in said(await chat.cmd(MOD, "/delfaq"))


async def test_an_entry_is_named_by_its_number_or_its_files_id(chat: Chat) -> None:
    """An operator who imported a file knows its entries by the file's ids (p01)."""
    async with chat.app.storage.transaction() as repos:
        entry = await repos.faq.add("发票怎么开？", "在订单页申请。", chat.now, key="p01")
    shown = said(await chat.cmd(MOD, "/editfaq p01"))
    assert f"#{entry.id} [p01]" in shown and "发票怎么开" in shown
    assert f"#{entry.id} [p01] 发票怎么开？" in said(await chat.cmd(MOD, "/faq"))
    assert "发票怎么开" in said(await chat.cmd(MOD, f"/editfaq ＃{entry.id}"))
    assert "没有编号为p99" in said(await chat.cmd(MOD, "/editfaq p99 answer x"))
    assert "已删除" in said(await chat.cmd(MOD, "/delfaq p01"))
    assert "没有编号为p01" in said(await chat.cmd(MOD, "/delfaq p01"))


async def test_faq_lists_and_searches(chat: Chat) -> None:
    await chat.say(ALICE, "积分怎么兑换礼品？")
    await chat.app.calibrate_faq()
    listing = said(await chat.cmd(MOD, "/faq"))
    assert "共3条" in listing and "#1 积分怎么兑换礼品？ · 用了1次" in listing
    assert "条目还太少" in listing  # too few to test itself: answers conservatively
    assert "#2 忘记密码怎么办" in said(await chat.cmd(MOD, "/faq 密码"))
    assert "没有找到" in said(await chat.cmd(MOD, "/faq 火星"))
    for nothing_asked in ("/ask 😀", "/ask ？？？"):  # no question: no staff notice either
        sent = await chat.cmd(ALICE, nothing_asked)
        assert said(sent).startswith("请用文字写下你的问题") and "用法：/ask 你的问题" in said(sent)
        assert not any(isinstance(a, NotifyStaff) for a in sent)
    # 密 is in 忘记密码怎么办, but a shared character is no match worth listing at 0 %.
    assert "没有找到" in said(await chat.cmd(MOD, "/faq 密室逃脱周末去不去"))


async def test_faqmisses_groups_unanswered_questions(chat: Chat) -> None:
    for who, text in [(ALICE, "发票怎么开？"), (BOB, "怎么开发票？"), (ALICE, "周末有活动吗？")]:
        await chat.say(who, text)
    text = said(await chat.cmd(MOD, "/faqmisses"))
    lines = text.splitlines()
    assert "2次 · 发票怎么开？" in lines[1] or "2次 · 怎么开发票？" in lines[1]
    assert any("1次 · 周末有活动吗？" in line for line in lines)


async def test_changes_from_another_process_are_picked_up_by_the_sweep(chat: Chat) -> None:
    async with chat.app.storage.transaction() as repos:  # e.g. `shequn faq import` meanwhile
        await repos.faq.add("会员怎么续费？", "在「我的-会员」续费。", chat.now)
    assert said(await chat.say(ALICE, "会员怎么续费呀？")) == ""
    await chat.app.sweep()
    chat.wait(61)
    assert "我的-会员" in said(await chat.say(ALICE, "会员怎么续费呀？"))


async def test_day_seven_digest_lists_the_most_asked_entries(chat: Chat) -> None:
    from handlers.onboarding.delivery import MOST_ASKED_WINDOW

    for _ in range(3):
        await chat.cmd(BOB, "/ask 直播有回放吗")
    await chat.cmd(BOB, "/ask 积分怎么兑换礼品")
    async with chat.app.storage.transaction() as repos:
        asked = await repos.faq.most_asked(chat.now - MOST_ASKED_WINDOW)
    assert [(u.question, u.count) for u in asked] == [
        ("直播有回放吗？", 3),
        ("积分怎么兑换礼品？", 1),
    ]


async def test_configured_synonyms_and_community_words(
    tmp_path: Path, sqlite_storage: Storage, clock: ManualClock
) -> None:
    c = Chat(
        faq_app(
            tmp_path,
            sqlite_storage,
            clock,
            synonyms=[["尊享会员", "黑卡"]],
            user_words=["尊享会员"],
        )
    )
    await c.cmd(MOD, "/addfaq 尊享会员怎么开通？ | 在「我的-会员」开通。")
    assert "我的-会员" in said(await c.say(ALICE, "黑卡怎么开通？"))
    # The built-in groups still apply (退钱 = 退款) unless replaced.
    await c.cmd(MOD, "/addfaq 退款多久到账？ | 3 个工作日。")
    assert "工作日" in said(await c.say(ALICE, "退钱多久到账？", mentions_bot=True))
    replaced = Chat(
        faq_app(tmp_path, sqlite_storage, clock, replace_default_synonyms=True, synonyms=[])
    )
    assert replaced.app.faq.config.synonyms == ()


# -- calibrated confidence -----------------------------------------------------------------


async def test_the_bot_answers_by_the_rule_calibrated_from_its_base(
    tmp_path: Path, sqlite_storage: Storage, clock: ManualClock
) -> None:
    """A base large enough to test itself: the sweep recalibrates in the background,
    /faq says by which rule the bot answers, and a loose match below the rule (one
    private chats would get "did you mean…" for) is left alone in the group."""
    app = faq_app(tmp_path, sqlite_storage, clock)
    await app.prepare()
    c = Chat(app)
    rows = read_entries(Path(__file__).parent / "data" / "faq_eval" / "base.jsonl").rows
    async with app.storage.transaction() as repos:
        await apply_import(repos, plan_import([], rows), clock.now())
    await app.storage.run(app.faq.refresh)
    # Before the first calibration has run, /faq says so (not that the base is small).
    assert "正在用知识库自测" in said(await c.cmd(MOD, "/faq"))
    await app.sweep()
    assert app._calibrating is not None
    assert await app._calibrating  # the background run calibrated the new base
    in_force = app.faq.in_force()
    assert not in_force.uncertain and in_force.calibration is not None
    listing = said(await c.cmd(MOD, "/faq"))
    rule = in_force.rule
    assert f"2×领先第二候选的差距，再除以3）达到{rule.threshold:.2f}" in listing
    assert "上限5%" in listing

    def loose(question: str) -> bool:
        confidences = [match.confidence for match in app.faq.search(question, 3)]
        return confidences[0] >= 0.25 and not rule.answers(confidences)

    loose_question = next(
        q
        for q in ["积分可以换现金吗？", "签到断了怎么办？", "签到有什么用？", "课程能不能转让？"]
        if loose(q)
    )
    assert said(await c.say(ALICE, loose_question)) == ""
    assert not await app.calibrate_faq()  # nothing changed since: no new run


async def test_feedback_on_answers_is_kept_for_the_calibration(chat: Chat) -> None:
    """👍 on an answer, 👎 and asking for staff after one: labelled cases, one per question."""
    liked = await chat.say(ALICE, "积分怎么兑换礼品？")
    await chat.press(ALICE, buttons(liked)[0])
    chat.wait(120)  # past the group's cooldown
    disliked = await chat.say(BOB, "直播有回放吗？")
    answer_message = MessageRef(GROUP, "556")
    offered = await chat.press(BOB, buttons(disliked)[1], on=answer_message)
    await chat.press(BOB, buttons(offered)[0], on=answer_message)  # "talk to staff"
    async with chat.app.storage.transaction() as repos:
        feedback = await repos.faq.feedback()
    assert sorted((f.question, f.helpful) for f in feedback) == [
        ("直播有回放吗？", False),  # the 👎; asking for staff after it says nothing new
        ("积分怎么兑换礼品？", True),
    ]
    assert len(as_feedback(feedback)) == 2


async def test_a_member_who_turns_a_thumbs_down_into_a_thumbs_up_leaves_no_verdict_against(
    chat: Chat,
) -> None:
    """Pressing again changes the vote: the 👎 taken back is no wrong answer for the
    calibration, nor a miss for the operators; another member's 👎 still counts."""
    asked = await chat.say(ALICE, "直播有回放吗？")
    answer_message = MessageRef(GROUP, "556")
    await chat.press(ALICE, buttons(asked)[1], on=answer_message)  # 👎
    await chat.press(ALICE, buttons(asked)[0], on=answer_message)  # then 👍
    async with chat.app.storage.transaction() as repos:
        feedback = await repos.faq.feedback()
        misses = await repos.faq.misses(NOON)
    assert [(f.question, f.helpful) for f in feedback] == [("直播有回放吗？", True)]
    assert misses == []
    await chat.press(BOB, buttons(asked)[1], on=answer_message)  # Bob: 👎
    async with chat.app.storage.transaction() as repos:
        feedback = await repos.faq.feedback()
    assert [(f.question, f.helpful) for f in feedback] == [("直播有回放吗？", False)]


async def test_staff_answering_with_an_entry_teaches_the_calibration(chat: Chat) -> None:
    """ "Talk to staff" after an answer opens a ticket; staff answer it with entry #3
    (``/reply N ＃3``): the member gets that entry's answer, and staff's verdict (entry 3
    answers this question) outweighs the member's 👎 in the calibration's cases."""
    staff = person("900", "Staffer")
    question = "直播有回放吗？要等多久"
    asked = await chat.say(ALICE, question)
    answer_message = MessageRef(GROUP, "557")
    offered = await chat.press(ALICE, buttons(asked)[1], on=answer_message)
    await chat.press(ALICE, buttons(offered)[0], on=answer_message)
    async with chat.app.storage.transaction() as repos:
        [ticket] = await repos.tickets.ongoing()
    unknown = await chat.cmd(staff, f"/reply {ticket.id} #99", private_chat(staff))
    assert "没有编号为 #99" in said(unknown)
    sent = await chat.cmd(staff, f"/reply {ticket.id} ＃3", private_chat(staff))
    to_member = [a for a in sent if isinstance(a, SendMessage) and a.chat == GROUP]
    assert to_member and "直播结束 2 小时内上传回放" in plain_text(to_member[0].text)
    async with chat.app.storage.transaction() as repos:
        feedback = await repos.faq.feedback()
        misses = [m.reason for m in await repos.faq.misses(NOON)]
    assert as_feedback(feedback) == [Feedback(question, entry=3)]
    assert "answered" not in misses  # taught, not a miss
