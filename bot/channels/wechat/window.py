"""Writing to a WeChat member inside their window, for every WeChat channel.

微信客服 and the Official Account let a bot write to a member only for a while after
the member's last message: 5 messages within 48 hours (and 3 within a minute after
following the account or tapping its menu). The count is kept in the database, so
replicas share it and nothing is ever sent outside the window: what cannot go out
is held and sent when the member writes again, with the reason recorded for the
reports. Scheduled work is not worth holding: it fits the window or is skipped.
A channel supplies how one message goes out (:meth:`WindowedSender.send_one`) and
how a button looks in its menus; everything else is here, once.
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from markupsafe import Markup

from bot.channels.rendering import plain_text
from bot.channels.wechat.api import WeChatApiError, split_text
from handlers.actions import (
    Action,
    AnswerButton,
    Button,
    Keyboard,
    NotifyStaff,
    Receipt,
    SendMessage,
    SendPrivate,
    Sent,
    receipt_for,
)
from handlers.clock import Clock
from storage.database import Storage
from storage.records import HeldMessageRecord
from storage.repositories import Repositories

log = logging.getLogger(__name__)

#: What WeChat allows after a member's last message.
WINDOW = timedelta(hours=48)
WINDOW_MESSAGES = 5
#: A 菜单消息 (msgmenu): its text before the items, and how many items it takes.
MENU_HEAD_BYTES = 1024
MENU_ITEMS = 10

Message = tuple[str, dict[str, Any]]


class WindowClosed(Exception):
    """A message cannot go out now; ``reason`` is what the reports show."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass
class Outcome:
    sent: list[Sent] = field(default_factory=list)


class Unsupported(WeChatApiError):
    """An action this platform has no way to carry out (a group post, an edit)."""


class NoStaffChat(Exception):
    """A staff notice with no staff chat configured: it came back to the member's channel,
    which has no room for staff (as on Telegram, it is logged)."""


class WindowedSender(ABC):
    """Sends to members of one platform within their windows (held when closed)."""

    name: str
    #: How operators know the platform, in log lines and receipts.
    label: str

    def __init__(self, storage: Storage, clock: Clock) -> None:
        self._storage, self._clock = storage, clock
        #: Told the outcome of every action carried out (``/metrics``).
        self.count_send: Callable[[str, str], None] = lambda _channel, _outcome: None

    # -- for the channel to supply -----------------------------------------------------
    @abstractmethod
    async def send_one(
        self, member: str, kind: str, content: dict[str, Any], outcome: Outcome, *, reserved: bool
    ) -> None:
        """One message out; ``reserved``: already counted against the window (otherwise
        the channel reserves it, or sends it where the window does not apply)."""

    @abstractmethod
    def menu_item(self, button: Button) -> dict[str, Any] | None:
        """A button as an item of this platform's 菜单消息 (None: it cannot be one)."""

    # -- carrying actions out ----------------------------------------------------------
    async def execute(self, actions: list[Action]) -> list[Receipt]:
        """Carry out actions in order; one failure never blocks the rest."""
        receipts: list[Receipt] = []
        for action in actions:
            outcome, error, skipped, counted = Outcome(), None, False, "ok"
            try:
                await self._execute(action, outcome)
            except NoStaffChat as missing:
                error, counted = str(missing), "no_staff_chat"
            except WindowClosed as closed:
                error, skipped = closed.reason, True
                counted = "95001" if closed.reason == "window_closed" else closed.reason
                what = "skipped" if action.deliveries else "held for later"
                log.info("%s %s: %s", type(action).__name__, what, closed.reason)
            except WeChatApiError as failure:
                error = str(failure)
                counted = str(getattr(failure, "errcode", "error"))
                log.warning("WeChat refused %s: %s", type(action).__name__, failure)
            self.count_send(self.name, counted)
            receipt = receipt_for(action, error, tuple(outcome.sent), skipped=skipped)
            if receipt is not None:
                receipts.append(receipt)
        return receipts

    async def _execute(self, action: Action, outcome: Outcome) -> None:
        hold = not action.deliveries  # scheduled work fits the window or is skipped
        match action:
            case SendPrivate(user=user):
                await self.send(user.id, action.text, action.buttons, outcome, hold=hold)
            case SendMessage(chat=chat) if chat.is_private:
                await self.send(chat.id, action.text, action.buttons, outcome, hold=hold)
            case AnswerButton(text=text, press_id=member) if text and member:
                await self.send(member, Markup.escape(text), (), outcome)
            case AnswerButton():
                pass  # nothing to acknowledge: the tap arrived as a message
            case NotifyStaff():
                log.warning("staff notice (no staff chat configured): %s", plain_text(action.text))
                if action.tag is not None:  # the sender wants it seen: say it did not go out
                    raise NoStaffChat("no staff chat is configured (staff.chat)")
            case _:
                raise Unsupported(f"{self.label} cannot carry out {type(action).__name__}")

    # -- sending -----------------------------------------------------------------------
    async def send(
        self, member: str, text: Markup, buttons: Keyboard, outcome: Outcome, *, hold: bool = True
    ) -> None:
        """Send within the member's window, holding what it cannot take for the member's
        next message; without ``hold``, the whole message fits the window or none of it
        goes (WindowClosed)."""
        parts = self.messages(plain_text(text), buttons)
        if not hold:
            await self.reserve(member, len(parts))
        for index, (kind, content) in enumerate(parts):
            try:
                await self.send_one(member, kind, content, outcome, reserved=not hold)
            except WindowClosed as closed:
                if hold:
                    rest = "\n".join(_as_text(kind, body) for kind, body in parts[index:])
                    await self.hold(member, rest, closed.reason)
                raise
            except WeChatApiError:
                unsent = len(parts) - index - 1
                if not hold and unsent:
                    await self.give_back(member, unsent)
                raise

    def messages(self, text: str, buttons: Keyboard) -> list[Message]:
        """The text in parts of at most 2,048 bytes; buttons as a 菜单消息 whose head is
        the last part when it fits (so a short answer with 👍/👎 is one message)."""
        parts = split_text(text) if text.strip() else []
        items = [self.menu_item(button) for row in buttons for button in row]
        items = [item for item in items if item is not None][:MENU_ITEMS]
        messages: list[Message] = []
        head = ""
        if items and parts and len(parts[-1].encode("utf-8")) <= MENU_HEAD_BYTES:
            head = parts.pop()
        messages += [("text", {"content": part}) for part in parts]
        if items:
            messages.append(("msgmenu", {"head_content": head, "list": items}))
        return messages

    # -- the window --------------------------------------------------------------------
    async def reserve(self, member: str, count: int = 1) -> None:
        """Count messages against the window; WindowClosed when it cannot take them."""
        opened_after = self._clock.now() - WINDOW
        platform = self.name

        async def reserve(repos: Repositories) -> str | None:
            window = await repos.reply_windows.get(platform, member)
            if window is not None and window.servicer:
                return "with_servicer"
            fits = await repos.reply_windows.reserve(
                platform, member, opened_after=opened_after, limit=WINDOW_MESSAGES, count=count
            )
            return None if fits else "window_closed"

        reason = await self._storage.run(reserve)
        if reason is not None:
            raise WindowClosed(reason)

    async def give_back(self, member: str, count: int = 1) -> None:
        """Reserved messages that did not go out after all."""
        await self._storage.run(
            lambda repos: repos.reply_windows.give_back(self.name, member, count)
        )

    async def close(self, member: str) -> None:
        """The platform says the window is closed: believe it."""
        await self._storage.run(
            lambda repos: repos.reply_windows.close(self.name, member, WINDOW_MESSAGES)
        )

    async def hold(self, member: str, text: str, reason: str) -> None:
        now = self._clock.now()
        await self._storage.run(lambda repos: repos.held.hold(self.name, member, text, reason, now))

    async def member_wrote(
        self,
        member: str,
        at: datetime,
        *,
        allowed: int = WINDOW_MESSAGES,
        lasting: timedelta = WINDOW,
    ) -> list[HeldMessageRecord]:
        """The member wrote at ``at`` (or followed, or tapped a menu: then ``allowed``
        messages for ``lasting``): their window opens again, and what was held for them
        is taken to send (one transaction). A shorter window is stored as the 48-hour
        one it ends with, partly used, so one count serves both."""
        now = self._clock.now()
        opened = at - (WINDOW - lasting)
        used = WINDOW_MESSAGES - allowed

        async def work(repos: Repositories) -> list[HeldMessageRecord]:
            await repos.reply_windows.member_wrote(self.name, member, opened, sent=used)
            held = await repos.held.waiting(self.name, member)
            await repos.held.release([message.id for message in held], now)
            return held

        return await self._storage.run(work)

    async def send_held(self, member: str, held: list[HeldMessageRecord]) -> None:
        """What was held for the member goes out now, oldest first; what the window
        cannot take this time is held again (the one refused holds itself)."""
        for index, message in enumerate(held):
            try:
                await self.send(member, Markup.escape(message.text), (), Outcome())
            except WindowClosed as closed:
                for later in held[index + 1 :]:
                    await self.hold(member, later.text, closed.reason)
                return
            except WeChatApiError as error:
                log.warning("a held message to %s was refused: %s", member, error)


def truncate(text: str, budget: int) -> str:
    """``text`` cut to ``budget`` UTF-8 bytes, never inside a character."""
    return text.encode("utf-8")[:budget].decode("utf-8", errors="ignore")


def _as_text(kind: str, content: dict[str, Any]) -> str:
    """A held message as text: a menu's items become lines (tapping is gone by then)."""
    if kind == "text":
        return str(content.get("content", ""))
    lines = [str(content.get("head_content", ""))]
    for item in content.get("list", []):
        body = item.get(item.get("type", ""), item)
        lines.append(f"• {body.get('content', '')}")
    return "\n".join(line for line in lines if line)
