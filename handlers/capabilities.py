"""What a channel can do, and how actions degrade where it cannot.

A handler writes one behaviour for every platform; :func:`degrade` rewrites the
actions a channel cannot carry out into ones it can (usually a task for staff),
so nothing fails silently. The rules are documented in the README.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import timedelta

from markupsafe import Markup

from handlers.actions import (
    Action,
    AnswerButton,
    DeleteMessage,
    EditMessage,
    Keyboard,
    NotifyStaff,
    RestrictMember,
    SendInviteLink,
    SendMessage,
    SendPrivate,
    mention,
    reply,
    start_link,
)
from handlers.events import ChatKind
from handlers.i18n import Texts


@dataclass(frozen=True, slots=True)
class Capabilities:
    """Declared by each channel."""

    #: The bot can post into group chats on its own.
    group_messages: bool = True
    #: The bot can write privately to a member who never wrote to it first.
    private_first_contact: bool = False
    #: After a member's last message, how long the bot may still write to them
    #: privately (WeChat: 48 hours). ``None``: no window.
    reply_window: timedelta | None = None
    edit: bool = True
    delete: bool = True
    restrict: bool = True
    buttons: bool = True
    #: The bot can make personal invite links into a group (whose joins name the link).
    invite_links: bool = False
    #: A command can name another member: by @username, or as a reply to their message.
    #: Not one to one (WeChat), where nobody else is in the chat to point at.
    member_mentions: bool = True
    #: Longest text one message may carry, in the platform's own unit.
    max_text_length: int = 4096


def degrade(actions: list[Action], caps: Capabilities, texts: Texts) -> list[Action]:
    """Rewrite ``actions`` so that ``caps`` can carry out every one of them.

    A replacement keeps the receipt and tag of the action it stands for.
    """
    result: list[Action] = []
    for action in actions:
        for replacement in _degrade_one(action, caps, texts):
            if (replacement.deliveries, replacement.tag) != (action.deliveries, action.tag):
                replacement = replace(replacement, deliveries=action.deliveries, tag=action.tag)
            result.append(replacement)
    return result


def _degrade_one(action: Action, caps: Capabilities, texts: Texts) -> list[Action]:
    if not caps.buttons and hasattr(action, "buttons") and action.buttons:
        action = replace(action, text=_buttons_as_text(action.text, action.buttons), buttons=())
    match action:
        case SendMessage(chat=chat) if chat.kind is ChatKind.SERVICE:
            return []  # an announcement to a community with no shared chat: nobody to see it
        case SendMessage(chat=chat) if not chat.is_private and not caps.group_messages:
            return [NotifyStaff(text=texts.t("degrade.group_post", text=action.text))]
        case EditMessage(message=message) if not caps.edit:
            return [SendMessage(chat=message.chat, text=action.text, buttons=action.buttons)]
        case DeleteMessage() if not caps.delete:
            return [NotifyStaff(text=texts.t("degrade.delete", message_id=action.message.id))]
        case RestrictMember() if not caps.restrict:
            return [NotifyStaff(text=texts.t("degrade.restrict", member=mention(action.user)))]
        case AnswerButton() if not caps.buttons:
            return []
        case SendInviteLink() if not caps.invite_links:
            return [reply(action.reply_to, action.unavailable)]
    return [action]


def _buttons_as_text(text: Markup, buttons: Keyboard) -> Markup:
    """Platforms without buttons get the choices as text lines."""
    lines = [text]
    for row in buttons:
        for button in row:
            if button.url:
                lines.append(Markup("• {}: {}").format(button.label, button.url))
            else:
                lines.append(Markup("• {}").format(button.label))
    return Markup("\n").join(lines)


def private_fallback(action: SendPrivate, texts: Texts, start_links: bool) -> Action | None:
    """What to do when a platform refuses a private message.

    A short mention in the group with a link that opens the private chat, so
    the member can start it with one tap; without a group, staff are told;
    None when neither is wanted (the refusal is only recorded).
    """
    if action.fallback_chat is not None and action.public_fallback:
        text = texts.t("fallback.public", member=mention(action.user), text=action.text)
        return SendMessage(
            chat=action.fallback_chat,
            text=text,
            buttons=action.buttons,
            deliveries=action.deliveries,
            tag=action.tag,
        )
    if action.fallback_chat is not None:
        if start_links:
            link = start_link(texts.plain("fallback.start_label"))
            text = texts.t("fallback.private_refused_link", member=mention(action.user), link=link)
        else:
            text = texts.t("fallback.private_refused", member=mention(action.user))
        return SendMessage(
            chat=action.fallback_chat, text=text, deliveries=action.deliveries, tag=action.tag
        )
    if not action.tell_staff_if_refused:
        return None
    return NotifyStaff(
        text=texts.t("fallback.private_refused_staff", member=mention(action.user)),
        deliveries=action.deliveries,
        tag=action.tag,
    )
