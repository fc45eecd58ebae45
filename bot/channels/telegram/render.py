"""Pure rendering of actions into Bot API arguments."""

from __future__ import annotations

from telegram import (
    ForceReply,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    LinkPreviewOptions,
    ReplyParameters,
)
from telegram.constants import MessageLimit, ParseMode

from bot.channels.rendering import split_html, telegram_html
from handlers.actions import Keyboard, NotifyStaff, SendMessage

NO_PREVIEW = LinkPreviewOptions(is_disabled=True)


def keyboard(buttons: Keyboard) -> InlineKeyboardMarkup | None:
    if not buttons:
        return None
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(b.label, url=b.url)
                if b.url
                else InlineKeyboardButton(b.label, callback_data=b.data or "noop")
                for b in row
            ]
            for row in buttons
        ]
    )


def message_chunks(text: str, bot_username: str | None = None) -> list[str]:
    """Telegram HTML in chunks that each fit one message."""
    return split_html(telegram_html(text, bot_username), MessageLimit.MAX_TEXT_LENGTH)


def send_kwargs(
    chat_id: int,
    action_text: str,
    buttons: Keyboard,
    reply_to: str | None,
    bot_username: str | None = None,
) -> list[dict]:
    """One ``send_message`` call per chunk; buttons ride on the last, the quote on the first."""
    chunks = message_chunks(action_text, bot_username)
    calls = []
    for index, chunk in enumerate(chunks):
        call: dict = {
            "chat_id": chat_id,
            "text": chunk,
            "parse_mode": ParseMode.HTML,
            "link_preview_options": NO_PREVIEW,
        }
        if index == 0 and reply_to is not None:
            call["reply_parameters"] = ReplyParameters(
                message_id=int(reply_to), allow_sending_without_reply=True
            )
        if index == len(chunks) - 1:
            call["reply_markup"] = keyboard(buttons)
        calls.append(call)
    return calls


def send_message_kwargs(action: SendMessage, bot_username: str | None = None) -> list[dict]:
    reply_to = action.reply_to.id if action.reply_to is not None else None
    calls = send_kwargs(int(action.chat.id), action.text, action.buttons, reply_to, bot_username)
    if action.silent:
        for call in calls:
            call["disable_notification"] = True
    return calls


def notify_staff_kwargs(
    chat_id: int, action: NotifyStaff, bot_username: str | None = None
) -> list[dict]:
    """A staff notice; one that expects a reply opens the reply box for the staff
    member it mentions (``selective``), not for the whole staff chat."""
    calls = send_kwargs(chat_id, action.text, action.buttons, None, bot_username)
    if action.expects_reply and not action.buttons:
        calls[-1]["reply_markup"] = ForceReply(selective=True)
    return calls
