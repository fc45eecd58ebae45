"""微信客服 messages into events, and what the channel sends for a text with buttons."""

from __future__ import annotations

from typing import Any

from bot.channels.wechat import kf_convert
from bot.channels.wechat.kf_channel import WeChatKfChannel
from handlers.actions import Button
from handlers.events import ButtonPressed, ChatKind, CommandIssued, MemberJoined, MessagePosted

BASE = {
    "msgid": "m1",
    "open_kfid": "wkKF",
    "external_userid": "wmAlice",
    "send_time": 1764633600,
    "origin": 3,
}


def _messages(text: str, buttons: Any) -> list[tuple[str, dict[str, Any]]]:
    """How the 微信客服 channel lays a message out (no connection needed for that)."""
    return WeChatKfChannel.messages(WeChatKfChannel.__new__(WeChatKfChannel), text, buttons)


def text(content: str, **extra: str) -> dict:
    return {**BASE, "msgtype": "text", "text": {"content": content, **extra}}


def test_a_members_text_is_a_message_in_their_one_to_one_chat() -> None:
    [event] = kf_convert.to_events(text("退款要多久？"), "小王")
    assert isinstance(event, MessagePosted) and event.text == "退款要多久？"
    assert event.chat.platform == "wechat" and event.chat.kind is ChatKind.PRIVATE
    assert event.chat.id == event.sender.id == "wmAlice"
    assert event.sender.display_name == "小王" and event.message.id == "m1"


def test_commands_menu_taps_and_new_sessions() -> None:
    [command] = kf_convert.to_events(text("／complain　退款三周了"), None)
    assert isinstance(command, CommandIssued) and command.name == "complain"
    assert command.args == "退款三周了" and command.sender.display_name == "微信用户"
    [tap] = kf_convert.to_events(text("满意", menu_id="tk:rate:1:5"), None)
    assert isinstance(tap, ButtonPressed) and tap.data == "tk:rate:1:5"
    assert tap.press_id == "wmAlice"  # whom a toast goes to
    enter = {
        **BASE,
        "origin": 4,
        "msgtype": "event",
        "event": {
            "event_type": "enter_session",
            "open_kfid": "wkKF",
            "external_userid": "wmAlice",
            "scene_param": "poster",
            "welcome_code": "W1",
        },
    }
    [start, joined] = kf_convert.to_events(enter, None)
    assert isinstance(start, CommandIssued) and start.name == "start" and start.args == "poster"
    assert isinstance(joined, MemberJoined) and joined.chat == kf_convert.community("wkKF")
    assert joined.chat.kind is ChatKind.SERVICE and joined.member.id == "wmAlice"
    [said, first] = kf_convert.to_events(text("你好"), None, first_sight=True)
    assert isinstance(said, MessagePosted) and isinstance(first, MemberJoined)
    assert kf_convert.read(enter).welcome_code == "W1"


def test_what_is_not_member_input_is_no_event() -> None:
    assert kf_convert.to_events({**text("您好，我是客服小李"), "origin": 5}, None) == []
    assert kf_convert.to_events({**BASE, "msgtype": "image", "image": {}}, None) == []
    assert kf_convert.read({**BASE, "msgtype": "image"}).from_member


def test_buttons_become_a_menu_headed_by_the_answer() -> None:
    buttons = ((Button("👍 有用", "faq:up:1"), Button("👎 没用", "faq:down:1")),)
    [(kind, menu)] = _messages("积分一年后过期。", buttons)
    assert kind == "msgmenu" and menu["head_content"] == "积分一年后过期。"
    ids = [item["click"]["id"] for item in menu["list"]]
    assert ids == ["faq:up:1", "faq:down:1"]


def test_a_long_text_is_split_on_the_byte_budget_and_the_menu_follows() -> None:
    long = "长" * 1000  # 3,000 bytes
    messages = _messages(long, ((Button("人工", "faq:human:1"),),))
    kinds = [kind for kind, _ in messages]
    assert kinds[0] == "text" and kinds[-1] == "msgmenu"
    texts = [body["content"] for kind, body in messages if kind == "text"]
    assert all(len(part.encode()) <= 2048 for part in texts)
    assert "".join(texts) + messages[-1][1]["head_content"] == long
