"""A chat to drive the real dispatcher with, as members and moderators would,
reading back what the bot did; every text must pass Telegram's HTML rules."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from markupsafe import Markup, escape

from bot.app import App
from bot.channels.rendering import plain_text
from handlers.actions import (
    INVITE_LINK,
    Action,
    AnswerButton,
    NotifyStaff,
    Receipt,
    SendInviteLink,
    SendMessage,
    SendPrivate,
    Sent,
    receipt_for,
    reply,
)
from handlers.events import ButtonPressed, ChatKind, ChatRef, MessagePosted, MessageRef
from tests.conftest import FakePlatform
from tests.fake_telegram.html_check import validate_telegram_html
from tests.helpers import GROUP, PLATFORM, command, incoming, message, private_chat

MODERATOR_ID = "42"
STAFF_CHAT = ChatRef(PLATFORM, "-900", ChatKind.GROUP, "Staff")


class Chat:
    """Sends events as a member would and reads back what the bot did."""

    def __init__(self, app: App) -> None:
        self.app, self.platform = app, FakePlatform()
        self.platform.admins.add(MODERATOR_ID)
        #: Where each delivered action landed, like a channel's message ids.
        self.posted: dict[int, MessageRef] = {}
        #: Set to False to make the staff chat refuse notices.
        self.staff_reachable = True
        self._next_id = 10_000

    async def deliver(self, actions: list[Action]) -> list[Receipt]:
        """Carry out actions as a channel would: every posted message gets an id, and
        tagged ones are reported back (so replies to them can be routed)."""
        receipts = []
        for action in actions:
            sent, error, made = self._post(action)
            receipt = receipt_for(action, error, sent, value=made)
            if receipt is not None:
                receipts.append(receipt)
        return receipts

    def _post(self, action: Action) -> tuple[tuple[Sent, ...], str | None, str | None]:
        """What posting ``action`` gave: the messages, an error, what was made (a link)."""
        match action:
            case SendInviteLink():
                sent, error, _ = self._post(reply(action.reply_to, invited(action)))
                return sent, error, invite_url(action)
            case NotifyStaff() if not self.staff_reachable:
                return (), "Forbidden: bot was kicked from the supergroup chat", None
            case NotifyStaff():
                where = STAFF_CHAT
            case SendMessage():
                where = action.chat
            case SendPrivate():
                where = private_chat(action.user)
            case _:
                return (), None, None
        self._next_id += 1
        ref = MessageRef(where, str(self._next_id))
        self.posted[id(action)] = ref
        return (Sent(where.platform, where.id, ref.id),), None, None

    def where(self, action: Action) -> MessageRef:
        """The message an action became, to reply to it."""
        return self.posted[id(action)]

    async def sweep(self) -> list[Action]:
        """Due work, delivered and recorded as the runtime does."""
        actions = await self.app.sweep()
        await self.app.record(await self.deliver(actions))
        return actions

    @property
    def now(self) -> datetime:
        return self.app.clock.now()

    async def send(self, event: Any, key: str | None = None) -> list[Action]:
        actions = await self.app.dispatcher.handle(
            incoming(event, key=key), self.platform, self.deliver
        )
        for action in actions:  # everything the bot says must pass Telegram's HTML rules
            text = getattr(action, "text", None)
            if text is not None and not isinstance(action, AnswerButton):
                validate_telegram_html(str(text))
        return actions

    async def say(self, user: Any, text: str, chat: Any = GROUP, **kw: Any) -> list[Action]:
        event = message(self.now, user, text, chat)
        if kw:
            event = MessagePosted(**{**_fields(event), **kw})
        return await self.send(event)

    async def cmd(self, user: Any, text: str, chat: Any = GROUP) -> list[Action]:
        return await self.send(command(self.now, user, text, chat))

    async def press(self, user: Any, data: str, on: MessageRef | None = None) -> list[Action]:
        chat = on.chat if on else GROUP
        return await self.send(
            ButtonPressed(
                chat=chat,
                occurred_at=self.now,
                sender=user,
                message=on or MessageRef(GROUP, "999"),
                data=data,
                press_id="press-1",
            )
        )

    def wait(self, seconds: float) -> None:
        self.app.clock.advance(timedelta(seconds=seconds))  # type: ignore[attr-defined]


def _fields(event: MessagePosted) -> dict[str, Any]:
    return {name: getattr(event, name) for name in event.__dataclass_fields__}


def invite_url(action: SendInviteLink) -> str:
    """The link the harness's platform makes for an /invite."""
    return f"https://example.invalid/join/{action.chat.id}/{action.name}"


def invited(action: SendInviteLink) -> Markup:
    """The answer to /invite as the channel posts it, the link in place."""
    return Markup(str(action.text).replace(str(INVITE_LINK), str(escape(invite_url(action)))))


def said(actions: list[Action]) -> str:
    return "\n".join(
        plain_text(invited(a) if isinstance(a, SendInviteLink) else a.text)
        for a in actions
        if isinstance(a, SendMessage | SendPrivate | NotifyStaff | SendInviteLink)
    )


def buttons(actions: list[Action]) -> list[str]:
    return [
        b.data or ""
        for a in actions
        if isinstance(a, SendMessage)
        for row in a.buttons
        for b in row
    ]
