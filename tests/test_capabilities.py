"""Actions a channel cannot carry out degrade into ones it can, never silently vanish."""

from __future__ import annotations

from datetime import timedelta

from markupsafe import Markup

from bot.channels.rendering import plain_text, telegram_html
from handlers.actions import (
    AnswerButton,
    Button,
    DeleteMessage,
    EditMessage,
    NotifyStaff,
    RestrictMember,
    SendMessage,
    SendPrivate,
)
from handlers.capabilities import Capabilities, degrade, private_fallback
from handlers.events import ChatKind, ChatRef, MessageRef
from handlers.i18n import Catalog
from tests.helpers import GROUP, person, private_chat

TEXTS = Catalog.load().for_language("zh")
WECHAT_LIKE = Capabilities(
    group_messages=False,
    private_first_contact=False,
    reply_window=timedelta(hours=48),
    edit=False,
    delete=False,
    restrict=False,
    buttons=False,
    max_text_length=2048,
)
ALICE = person("1", "Alice <x>")


def test_full_capabilities_change_nothing() -> None:
    actions = [SendMessage(chat=GROUP, text=Markup("hi")), RestrictMember(chat=GROUP, user=ALICE)]
    assert degrade(actions, Capabilities(), TEXTS) == actions


def test_group_post_becomes_a_staff_task_with_the_text() -> None:
    [task] = degrade([SendMessage(chat=GROUP, text=Markup("<b>周末话题</b>"))], WECHAT_LIKE, TEXTS)
    assert isinstance(task, NotifyStaff) and "周末话题" in plain_text(task.text)


def test_private_messages_still_go_out() -> None:
    action = SendMessage(chat=private_chat(ALICE), text=Markup("hi"))
    assert degrade([action], WECHAT_LIKE, TEXTS) == [action]


def test_moderation_becomes_staff_tasks() -> None:
    message = MessageRef(GROUP, "77")
    tasks = degrade(
        [DeleteMessage(message=message), RestrictMember(chat=GROUP, user=ALICE)], WECHAT_LIKE, TEXTS
    )
    assert all(isinstance(t, NotifyStaff) for t in tasks)
    assert "77" in plain_text(tasks[0].text)
    assert "Alice <x>" in plain_text(tasks[1].text) and "&lt;x&gt;" in str(tasks[1].text)


def test_edit_becomes_a_new_message_and_buttons_become_text() -> None:
    chat = private_chat(ALICE)
    edit = EditMessage(
        message=MessageRef(chat, "5"),
        text=Markup("选择"),
        buttons=((Button("👍", data="up"), Button("文档", url="https://example.com/doc")),),
    )
    [sent] = degrade([edit], WECHAT_LIKE, TEXTS)
    assert isinstance(sent, SendMessage) and sent.buttons == ()
    assert "• 👍" in plain_text(sent.text) and "文档: https://example.com/doc" in plain_text(
        sent.text
    )


def test_button_acknowledgements_are_dropped_where_there_are_no_buttons() -> None:
    assert degrade([AnswerButton(press_id="x")], WECHAT_LIKE, TEXTS) == []


def test_refused_private_message_falls_back() -> None:
    action = SendPrivate(user=ALICE, text=Markup("secret"), fallback_chat=GROUP)
    nudge = private_fallback(action, TEXTS, start_links=True)
    assert isinstance(nudge, SendMessage) and nudge.chat == GROUP
    # The link that opens the private chat, rendered by each channel (a t.me deep link).
    assert 'href="https://t.me/shequn_bot?start=from_group"' in telegram_html(
        nudge.text, "shequn_bot"
    )
    assert "secret" not in plain_text(nudge.text)  # private content never lands in the group
    staff = private_fallback(SendPrivate(user=ALICE, text=Markup("x")), TEXTS, start_links=True)
    assert isinstance(staff, NotifyStaff)


def test_catalogs_have_the_same_keys() -> None:
    catalog = Catalog.load()
    assert catalog.keys("zh") == catalog.keys("en")


def test_an_announcement_to_a_community_without_a_shared_chat_is_dropped() -> None:
    """A 微信客服 account's members have no chat in common: "小王 reached level 3" has
    nobody to see it there (the member is told one to one, by its own action)."""
    community = ChatRef("wechat", "kf:wk1", ChatKind.SERVICE, "微信客服")
    assert degrade([SendMessage(chat=community, text=Markup("升级啦"))], WECHAT_LIKE, TEXTS) == []
    member = ChatRef("wechat", "wm1", ChatKind.PRIVATE)
    kept = SendMessage(chat=member, text=Markup("签到成功"))
    assert degrade([kept], WECHAT_LIKE, TEXTS) == [kept]
