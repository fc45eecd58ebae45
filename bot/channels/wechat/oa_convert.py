"""Official Account callbacks (the XML WeChat posts) into normalized events.

A member's conversation with the account is a one-to-one chat,
``wechat_oa:<openid>``. Following the account (``subscribe``, with the QR code's
scene when there was one) or scanning a parametric QR code while following
(``SCAN``) is ``/start`` with the scene; following is also a join of the
account's community, and unfollowing a leave. A tap on an item of a 菜单消息
arrives as text with ``bizmsgmenuid``: the button's data. A tap on the account's
own menu (``CLICK``) is read as if the member had typed its key, so an operator
sets keys such as ``签到`` or ``/help``. Pictures, voice, links and ``VIEW`` taps are
not input for the bot.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime

from handlers.commands import is_for_bot, parse_command
from handlers.events import (
    ButtonPressed,
    ChatKind,
    ChatRef,
    CommandIssued,
    Event,
    MemberJoined,
    MemberLeft,
    MessagePosted,
    MessageRef,
    UserRef,
)

PLATFORM = "wechat_oa"
#: WeChat no longer tells an account its followers' nicknames.
UNKNOWN_NAME = "微信用户"
#: The scene of a parametric QR code, as ``subscribe`` carries it.
SCENE_PREFIX = "qrscene_"


@dataclass(frozen=True, slots=True)
class OaMessage:
    """What the channel needs of one callback beside its events."""

    key: str
    member: str
    account: str
    sent_at: datetime
    #: ``message``: the member wrote (5 messages / 48 h open); ``tap``: followed, scanned
    #: or tapped the menu (3 messages / 1 minute); ``left``; or ``other``.
    kind: str


def read(message: dict[str, str]) -> OaMessage:
    member = message.get("FromUserName", "")
    try:
        sent_at = datetime.fromtimestamp(int(message.get("CreateTime") or 0), UTC)
    except (ValueError, OverflowError, OSError):
        sent_at = datetime.fromtimestamp(0, UTC)
    msg_type, event = message.get("MsgType", ""), message.get("Event", "")
    if msg_type == "event":
        what = hashlib.sha1(f"{event}:{message.get('EventKey', '')}".encode()).hexdigest()[:16]
        key = f"event:{member[:64]}:{message.get('CreateTime', '')[:12]}:{what}"
        kind = {"subscribe": "tap", "SCAN": "tap", "CLICK": "tap", "unsubscribe": "left"}
        return OaMessage(
            key, member, message.get("ToUserName", ""), sent_at, kind.get(event, "other")
        )
    msgid = message.get("MsgId") or message.get("MsgID") or ""
    key = (
        f"msg:{msgid[:64]}" if msgid else f"msg:{member[:64]}:{message.get('CreateTime', '')[:12]}"
    )
    return OaMessage(key, member, message.get("ToUserName", ""), sent_at, "message")


def member(openid: str) -> UserRef:
    # No language is asked of WeChat: followers read the community's (community.language).
    return UserRef(PLATFORM, openid, UNKNOWN_NAME)


def chat_of(openid: str) -> ChatRef:
    return ChatRef(PLATFORM, openid, ChatKind.PRIVATE, None)


def community(app_id: str) -> ChatRef:
    """The account's followers: their community, which no chat is shared in."""
    return ChatRef(PLATFORM, f"oa:{app_id}", ChatKind.SERVICE, "公众号")


def to_events(message: dict[str, str], app_id: str, *, first_sight: bool = False) -> list[Event]:
    """The events of one callback (none for what is not input); ``first_sight``: the
    channel has not seen this member write before (they followed before Shequn ran)."""
    read_ = read(message)
    if not read_.member:
        return []
    person = member(read_.member)
    said = _said(message, read_, person)
    event = message.get("Event", "") if message.get("MsgType") == "event" else ""
    if event == "subscribe" or (said and first_sight and read_.kind == "message"):
        said.append(MemberJoined(chat=community(app_id), occurred_at=read_.sent_at, member=person))
    elif event == "unsubscribe":
        said.append(MemberLeft(chat=community(app_id), occurred_at=read_.sent_at, member=person))
    return said


def _said(message: dict[str, str], read_: OaMessage, person: UserRef) -> list[Event]:
    chat = chat_of(read_.member)
    ref = MessageRef(chat, read_.key)
    common = {"chat": chat, "occurred_at": read_.sent_at, "sender": person, "message": ref}
    msg_type = message.get("MsgType", "")
    if msg_type == "event":
        event, key = message.get("Event", ""), message.get("EventKey", "")
        if event in ("subscribe", "SCAN"):
            scene = key.removeprefix(SCENE_PREFIX) if event == "subscribe" else key
            return [CommandIssued(**common, name="start", args=scene)]
        if event == "CLICK" and key:
            return [_typed(common, key)]
        return []
    if msg_type != "text":
        return []
    menu_id = message.get("bizmsgmenuid", "")
    if menu_id:
        return [ButtonPressed(**common, data=menu_id, press_id=read_.member)]
    return [_typed(common, message.get("Content", ""))]


def _typed(common: dict[str, object], text: str) -> Event:
    command = parse_command(text)
    if command is not None and is_for_bot(command, None):
        return CommandIssued(**common, name=command.name, args=command.args)  # type: ignore[arg-type]
    return MessagePosted(**common, text=text)  # type: ignore[arg-type]
