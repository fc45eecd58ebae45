"""Normalized events: what channels turn platform updates into.

Ids are strings everywhere so Telegram's 64-bit integers and WeChat's openids
share one type; channels convert at the edge.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, fields, is_dataclass, replace
from datetime import datetime
from enum import StrEnum
from typing import Any, TypeVar


class ChatKind(StrEnum):
    PRIVATE = "private"
    GROUP = "group"
    #: The members of one customer-service account (a 微信客服 account), who each talk
    #: to the bot one to one: their community for points, check-ins, leaderboards and
    #: rewards, but no chat anyone can post in.
    SERVICE = "service"


@dataclass(frozen=True, slots=True)
class UserRef:
    """A person (or bot) as the platform identifies them."""

    platform: str
    id: str
    display_name: str
    username: str | None = None
    language: str | None = None
    is_bot: bool = False


@dataclass(frozen=True, slots=True)
class ChatRef:
    """A group or a private chat on one platform."""

    platform: str
    id: str
    kind: ChatKind
    title: str | None = None

    @property
    def is_private(self) -> bool:
        return self.kind is ChatKind.PRIVATE


@dataclass(frozen=True, slots=True)
class MessageRef:
    """Enough to reply to, edit or delete a message."""

    chat: ChatRef
    id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Event:
    """Base of every event; ``occurred_at`` is UTC."""

    chat: ChatRef
    occurred_at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class MemberJoined(Event):
    member: UserRef
    invited_by: UserRef | None = None
    #: The name of the invite link used, when the platform tells (personal invite links).
    invite_link_name: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class MemberLeft(Event):
    member: UserRef
    removed_by: UserRef | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class MessagePosted(Event):
    """A member wrote something that is not a command."""

    sender: UserRef
    message: MessageRef
    text: str
    reply_to: MessageRef | None = None
    reply_to_bot: bool = False
    mentions_bot: bool = False
    #: Posted by an anonymous group admin (Telegram "post as the group").
    sender_is_anonymous_admin: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class CommandIssued(Event):
    """``/name args`` addressed to this bot (or to every bot)."""

    sender: UserRef
    message: MessageRef
    name: str
    args: str = ""
    sender_is_anonymous_admin: bool = False
    #: True when the text named this bot explicitly (``/help@shequn_bot``).
    addressed: bool = False
    #: The message this command replies to, and its author (``/helpful``, ``/givepoints``).
    reply_to: MessageRef | None = None
    reply_to_sender: UserRef | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ButtonPressed(Event):
    sender: UserRef
    message: MessageRef | None
    data: str
    #: Opaque id the channel needs to acknowledge the press.
    press_id: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ReactionAdded(Event):
    """Someone reacted to a message (👍, ❤️…); removals are not reported."""

    sender: UserRef
    message: MessageRef


@dataclass(frozen=True, slots=True, kw_only=True)
class BotAddedToChat(Event):
    added_by: UserRef | None = None
    is_admin: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class BotRemovedFromChat(Event):
    removed_by: UserRef | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ModeratorsChanged(Event):
    """Someone was promoted or demoted; role caches must be refreshed."""

    member: UserRef


@dataclass(frozen=True, slots=True, kw_only=True)
class ChatMigrated(Event):
    """A Telegram group became a supergroup with a new id; ``chat`` is the new one."""

    old_chat_id: str


@dataclass(frozen=True, slots=True)
class Incoming:
    """One platform update, normalized.

    ``key`` identifies the update for de-duplication (platforms redeliver);
    one update can carry several events (e.g. three members joining at once).
    """

    key: str
    events: tuple[Event, ...] = field(default_factory=tuple)
    #: Where the channel's reading stands after this update (WeChat's sync cursor),
    #: saved in the same transaction as its effects: a restart neither loses nor
    #: repeats what it covers.
    checkpoint: Checkpoint | None = None


@dataclass(frozen=True, slots=True)
class Checkpoint:
    channel: str
    key: str
    value: str


#: Lone UTF-16 surrogates and NUL: JSON may carry them (``"\\ud800"``, ``"\\u0000"``),
#: but no database (PostgreSQL refuses NUL in text) or platform takes them.
_UNSTORABLE = re.compile("[\ud800-\udfff\x00]")
_T = TypeVar("_T")


def scrubbed(value: _T) -> _T:
    """``value`` (an update, an event, a reference) with every lone surrogate and NUL
    in its texts replaced by U+FFFD, so one odd character cannot fail the whole update; the
    same object when there is none."""
    cleaned: _T = _scrub(value)
    return cleaned


def _scrub(value: Any) -> Any:
    if isinstance(value, str):
        return _UNSTORABLE.sub("\ufffd", value)
    if isinstance(value, tuple):
        cleaned = tuple(_scrub(item) for item in value)
        return value if cleaned == value else cleaned
    if is_dataclass(value) and not isinstance(value, type):
        changed = {
            f.name: new
            for f in fields(value)
            if (new := _scrub(old := getattr(value, f.name))) is not old and new != old
        }
        return replace(value, **changed) if changed else value
    return value
