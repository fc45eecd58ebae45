"""A chat to drive the real dispatcher with, as members and moderators would,
reading back what the bot did; every text must pass Telegram's HTML rules."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from bot.app import App
from bot.channels.rendering import plain_text
from handlers.actions import Action, AnswerButton, NotifyStaff, SendMessage, SendPrivate
from handlers.events import ButtonPressed, MessagePosted, MessageRef
from tests.conftest import FakePlatform
from tests.fake_telegram.html_check import validate_telegram_html
from tests.helpers import GROUP, command, incoming, message

MODERATOR_ID = "42"


class Chat:
    """Sends events as a member would and reads back what the bot did."""

    def __init__(self, app: App) -> None:
        self.app, self.platform = app, FakePlatform()
        self.platform.admins.add(MODERATOR_ID)

    @property
    def now(self) -> datetime:
        return self.app.clock.now()

    async def send(self, event: Any, key: str | None = None) -> list[Action]:
        actions = await self.app.dispatcher.handle(incoming(event, key=key), self.platform)
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


def said(actions: list[Action]) -> str:
    return "\n".join(
        plain_text(a.text)
        for a in actions
        if isinstance(a, SendMessage | SendPrivate | NotifyStaff)
    )


def buttons(actions: list[Action]) -> list[str]:
    return [
        b.data or ""
        for a in actions
        if isinstance(a, SendMessage)
        for row in a.buttons
        for b in row
    ]
