"""The console as a channel: what staff do on a page enters the dispatcher as a
press or a command from the signed-in account, exactly as from a staff chat, and
the answers addressed back to the page are collected here to be shown on it.

So the console runs the same desk rules as the chat commands: a claim race has
one winner, an answer reaches the member on their platform, the staff chat's card
is updated, and the staff chat is told who did what.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable

from markupsafe import Markup, escape
from starlette.routing import BaseRoute

from bot.channels.rendering import plain_text
from handlers.actions import Action, AnswerButton, Receipt, SendMessage, SendPrivate, receipt_for
from handlers.capabilities import Capabilities
from handlers.events import ChatRef, UserRef

#: The platform name of console "chats" (one per signed-in account).
PLATFORM = "console"

Deliver = Callable[[list[Action]], Awaitable[list[Receipt]]]


class ConsoleChannel:
    name = PLATFORM
    #: A page shows text; nothing there can be edited or deleted later. Its forms are
    #: the buttons: a press's answer is shown on the page.
    capabilities = Capabilities(
        group_messages=False,
        private_first_contact=True,
        edit=False,
        delete=False,
        restrict=False,
        buttons=True,
        max_text_length=100_000,
    )
    bot_username = None

    def __init__(self, routes: Callable[[], list[BaseRoute]]) -> None:
        self._routes = routes
        #: Texts for each console chat (account), until its page shows them.
        self._notes: defaultdict[str, list[str]] = defaultdict(list)
        self.deliver: Deliver | None = None

    def describe(self) -> dict[str, str]:
        return {"platform": PLATFORM}

    def community_of(self, chat: ChatRef) -> ChatRef | None:
        return None  # staff at work, not members of a community reached one to one

    async def is_chat_admin(self, chat: ChatRef, user: UserRef) -> bool:
        return False

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    def routes(self) -> list[BaseRoute]:
        return self._routes()

    def take_notes(self, account: str) -> list[str]:
        """What the bot answered the account's last actions, once."""
        return self._notes.pop(account, [])

    async def execute(self, actions: list[Action]) -> list[Receipt]:
        receipts: list[Receipt] = []
        for action in actions:
            text = getattr(action, "text", None)
            match action:
                case SendMessage(chat=chat):
                    account = chat.id
                case SendPrivate(user=user):
                    account = f"{user.platform}:{user.id}"
                case AnswerButton(press_id=press) if press:
                    account = press.split("#", 1)[0]
                case _:
                    account = None
            if account is not None and text:
                markup = text if isinstance(text, Markup) else escape(text)
                self._notes[account].append(plain_text(markup))
            receipt = receipt_for(action, None)
            if receipt is not None:
                receipts.append(receipt)
        return receipts
