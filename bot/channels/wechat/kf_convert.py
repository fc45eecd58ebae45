"""微信客服 messages (``kf/sync_msg``) into normalized events.

A member's conversation with the 客服账号 is a one-to-one chat, ``wechat:<external_userid>``.
Only customer messages (``origin`` 3) are member input; what servicers or the
system wrote is not. A click on a menu item (``msgmenu``) arrives as text with
its ``menu_id``: the button's data. ``enter_session`` (the member opened the chat
from a link or QR code) is ``/start`` with the link's ``scene_param``, and a join of
the 客服账号's community, which starts the member's onboarding; so is the first
message the channel sees from a member (one who wrote before Shequn was set up).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from handlers.commands import is_for_bot, parse_command
from handlers.events import (
    ButtonPressed,
    ChatKind,
    ChatRef,
    CommandIssued,
    Event,
    MemberJoined,
    MessagePosted,
    MessageRef,
    UserRef,
)

PLATFORM = "wechat"
#: ``origin`` of a message the member wrote.
FROM_CUSTOMER = 3
#: Shown until ``kf/customer/batchget`` told the member's nickname.
UNKNOWN_NAME = "微信用户"


@dataclass(frozen=True, slots=True)
class KfMessage:
    """What the channel needs of one ``msg_list`` item beside its events."""

    msgid: str
    open_kfid: str
    member: str
    sent_at: datetime
    from_member: bool
    event_type: str = ""
    welcome_code: str = ""
    #: For ``session_status_change``: who has the conversation now ("" the bot or nobody).
    servicer: str = ""


def read(item: dict[str, Any]) -> KfMessage:
    event = item.get("event") if item.get("msgtype") == "event" else None
    event = event if isinstance(event, dict) else {}
    return KfMessage(
        msgid=str(item.get("msgid", "")),
        open_kfid=str(item.get("open_kfid") or event.get("open_kfid") or ""),
        member=str(item.get("external_userid") or event.get("external_userid") or ""),
        sent_at=datetime.fromtimestamp(int(item.get("send_time") or 0), UTC),
        from_member=item.get("origin") == FROM_CUSTOMER,
        event_type=str(event.get("event_type", "")),
        welcome_code=str(event.get("welcome_code", "")),
        servicer=str(event.get("new_servicer_userid", "")),
    )


def member(external_userid: str, name: str | None = None) -> UserRef:
    # WeChat tells no member's language: they read the community's (community.language).
    return UserRef(PLATFORM, external_userid, name or UNKNOWN_NAME)


def chat_of(external_userid: str, name: str | None = None) -> ChatRef:
    return ChatRef(PLATFORM, external_userid, ChatKind.PRIVATE, name)


def community(open_kfid: str) -> ChatRef:
    """The members of one 客服账号: their community, which no chat is shared in."""
    return ChatRef(PLATFORM, f"kf:{open_kfid}", ChatKind.SERVICE, "微信客服")


def to_events(item: dict[str, Any], name: str | None, *, first_sight: bool = False) -> list[Event]:
    """The events of one ``msg_list`` item (none for what is not member input);
    ``first_sight``: the channel has not seen this member write before."""
    message = read(item)
    if not message.member:
        return []
    events = _said(item, message, name)
    if events and (first_sight or message.event_type == "enter_session"):
        person = member(message.member, name)
        joined = MemberJoined(
            chat=community(message.open_kfid), occurred_at=message.sent_at, member=person
        )
        events.append(joined)  # after: the update's first event is the member's own chat
    return events


def _said(item: dict[str, Any], message: KfMessage, name: str | None) -> list[Event]:
    chat = chat_of(message.member, name)
    said: dict[str, Any] = {
        "chat": chat,
        "occurred_at": message.sent_at,
        "sender": member(message.member, name),
        "message": MessageRef(chat, message.msgid),
    }
    if message.event_type == "enter_session":
        scene = item.get("event", {}).get("scene_param", "")
        return [CommandIssued(**said, name="start", args=str(scene or ""))]
    if not message.from_member or item.get("msgtype") != "text":
        return []  # pictures, voice, servicers' and system messages: not input for the bot
    text = item.get("text") or {}
    content = str(text.get("content", ""))
    menu_id = str(text.get("menu_id", "") or "")
    if menu_id:
        return [ButtonPressed(**said, data=menu_id, press_id=message.member)]
    command = parse_command(content)
    if command is not None and is_for_bot(command, None):
        return [CommandIssued(**said, name=command.name, args=command.args)]
    return [MessagePosted(**said, text=content)]
