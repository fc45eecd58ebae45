"""Routes events to handlers in explicit priority order, and commands by name.

Lower priority numbers run first. A route marked ``exclusive`` ends routing
for the event when it returned actions (e.g. a command answered stops the
FAQ from also answering).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from handlers.actions import Action
from handlers.context import Context
from handlers.events import CommandIssued, Event
from handlers.receipts import ReceiptHook
from handlers.roles import Role

Handler = Callable[[Event, Context], Awaitable[list[Action]]]
CommandHandler = Callable[[CommandIssued, Context], Awaitable[list[Action]]]

#: Where a command may be used.
ANYWHERE, GROUP_ONLY, PRIVATE_ONLY = "anywhere", "group", "private"


@dataclass(frozen=True, slots=True)
class Route:
    event_type: type[Event]
    handler: Handler
    priority: int
    name: str
    exclusive: bool = False


@dataclass(frozen=True, slots=True)
class Command:
    name: str
    handler: CommandHandler
    role: Role = Role.MEMBER
    #: Catalog key of the one-line description shown by /help.
    help_key: str = ""
    where: str = ANYWHERE
    #: Listed in /help and the platform's command menu.
    listed: bool = True


@dataclass(slots=True)
class Router:
    routes: list[Route] = field(default_factory=list)
    commands: dict[str, Command] = field(default_factory=dict)
    #: Follow-ups on what channels report for tagged messages, by tag kind.
    receipt_hooks: dict[str, ReceiptHook] = field(default_factory=dict)

    def on(
        self,
        event_type: type[Event],
        handler: Handler,
        *,
        priority: int = 100,
        name: str | None = None,
        exclusive: bool = False,
    ) -> None:
        self.routes.append(
            Route(event_type, handler, priority, name or handler.__name__, exclusive)
        )
        self.routes.sort(key=lambda route: route.priority)

    def on_receipt(self, kind: str, hook: ReceiptHook) -> None:
        if kind in self.receipt_hooks:
            raise ValueError(f"receipts of {kind} handled twice")
        self.receipt_hooks[kind] = hook

    def command(self, command: Command) -> None:
        if command.name in self.commands:
            raise ValueError(f"command /{command.name} registered twice")
        self.commands[command.name] = command

    def routes_for(self, event: Event) -> list[Route]:
        return [route for route in self.routes if isinstance(event, route.event_type)]

    def visible_commands(self, roles: frozenset[Role], private: bool) -> list[Command]:
        """Commands a caller with ``roles`` may use here, for /help and menus."""
        place = PRIVATE_ONLY if private else GROUP_ONLY
        return [
            command
            for command in self.commands.values()
            if command.listed
            and (command.role is Role.MEMBER or command.role in roles)
            and command.where in (ANYWHERE, place)
        ]
