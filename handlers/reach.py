"""Reaching a member with something meant for them (a staff answer, a redemption's
outcome): privately when they opened a private chat with the bot, otherwise in
their group with a mention, so nothing meant for them is silently lost."""

from __future__ import annotations

from markupsafe import Markup

from handlers.actions import Action, Keyboard, SendMessage, SendPrivate, Tag, mention
from handlers.i18n import Texts
from handlers.refs import chat_ref, user_ref
from storage.records import ChatRecord, UserRecord


def to_member(
    texts: Texts,
    member: UserRecord,
    chat: ChatRecord | None,
    text: Markup,
    buttons: Keyboard = (),
    tag: Tag | None = None,
) -> Action:
    """Privately if the platform will take it (the member started the bot); in the group
    ``chat``, mentioning them, if not — or if the private message is refused later."""
    person = user_ref(member)
    group = chat_ref(chat) if chat is not None and chat.kind == "group" else None
    if member.started_bot_at is None and group is not None:
        addressed = texts.t("fallback.public", member=mention(person), text=text)
        return SendMessage(chat=group, text=addressed, buttons=buttons, tag=tag)
    return SendPrivate(
        user=person,
        text=text,
        buttons=buttons,
        fallback_chat=group,
        public_fallback=True,
        tell_staff_if_refused=False,
        tag=tag,
    )


def why_undelivered(texts: Texts, code: str) -> str:
    """Why a message did not reach a member, in words: the reports' names for the codes
    (``window_closed``: 微信窗口已关闭…); a platform's own error as it came."""
    return texts.label(f"onboarding.reason_{code}", code)
