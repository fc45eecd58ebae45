"""Routes events to handlers in explicit priority order, and commands by name.

Lower priority numbers run first. A route marked ``exclusive`` ends routing
for the event when it returned actions (e.g. a command answered stops the
FAQ from also answering). The staff desk's rooms are work rooms: only routes
and commands that say so run there.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from markupsafe import Markup

from handlers.actions import Action
from handlers.capabilities import Capabilities
from handlers.commands import Arg, Form, Kind
from handlers.context import Context, Place
from handlers.events import CommandIssued, Event
from handlers.i18n import Texts
from handlers.keywords import Keywords, UnknownKeyword
from handlers.receipts import ReceiptHook
from handlers.roles import Role

Handler = Callable[[Event, Context], Awaitable[list[Action]]]
CommandHandler = Callable[[CommandIssued, Context], Awaitable[list[Action]]]


#: Where a command may be used.
ANYWHERE = frozenset({Place.PRIVATE, Place.GROUP})
GROUP_ONLY = frozenset({Place.GROUP})
PRIVATE_ONLY = frozenset({Place.PRIVATE})
#: The staff desk's commands: in the staff chat or privately, never before members.
DESK = frozenset({Place.PRIVATE, Place.WORK_ROOM})
#: Chat-level settings and facts: a community group or a staff room.
GROUP_OR_ROOM = frozenset({Place.GROUP, Place.WORK_ROOM})
EVERYWHERE = frozenset(Place)


@dataclass(frozen=True, slots=True)
class Route:
    event_type: type[Event]
    handler: Handler
    priority: int
    name: str
    exclusive: bool = False
    #: Runs in the staff desk's rooms too (staff answering a card, pressing its buttons).
    work_rooms: bool = False


@dataclass(frozen=True, slots=True)
class Command:
    name: str
    handler: CommandHandler
    role: Role = Role.MEMBER
    #: Catalog key of the one-line description shown by /help.
    help_key: str = ""
    where: frozenset[Place] = ANYWHERE
    #: Listed in /help and the platform's command menu.
    listed: bool = True
    #: The ways to call it; None: the handler reads the raw text itself (``/start`` payloads).
    forms: tuple[Form, ...] | None = ((),)
    #: A capability the platform must have for it to be listed and carried out
    #: (``invite_links``); elsewhere it is refused, saying why.
    needs: str | None = None

    def usage(self, texts: Texts) -> Markup:
        """``用法：/givepoints @成员 数量 原因``, one line per form, then the catalog's
        example (``usage.NAME``) when it has one."""
        shown = [_form_text(texts, form) for form in self.forms or ((),)]
        if len(shown) == 1:
            line = texts.t("command.usage_line", command=self.name, args=shown[0])
            lines = [Markup(str(line).rstrip())]  # no trailing space after a bare command
        else:  # several ways to call it: one per line under the heading
            calls = (Markup(f"/{self.name} {{}}").format(args).rstrip() for args in shown)
            lines = [texts.t("command.usage_heading"), *(Markup(call) for call in calls)]
        if texts.has(f"usage.{self.name}"):
            lines.append(texts.t(f"usage.{self.name}"))
        return Markup("\n").join(lines)


def _form_text(texts: Texts, form: Form) -> str:
    shown = []
    for arg in form:
        label = arg.choices[0] if len(arg.choices) == 1 else texts.plain(f"args.{arg.name}")
        if len(arg.choices) > 1:
            label = "|".join(arg.choices)
        if arg.kind is Kind.MEMBER:
            label = "@" + label
        shown.append(f"[{label}]" if arg.optional else label)
    return " ".join(shown)


def declare(
    name: str,
    handler: CommandHandler,
    role: Role = Role.MEMBER,
    *,
    where: frozenset[Place] = ANYWHERE,
    args: tuple[Arg, ...] | None = (),
    forms: tuple[Form, ...] | None = None,
    listed: bool = True,
    needs: str | None = None,
) -> Command:
    """A command whose /help line is ``help.NAME`` and which takes ``args`` (or one of
    several ``forms``)."""
    declared = forms if forms is not None else (None if args is None else (args,))
    return Command(name, handler, role, f"help.{name}", where, listed, declared, needs)


@dataclass(slots=True)
class Router:
    routes: list[Route] = field(default_factory=list)
    commands: dict[str, Command] = field(default_factory=dict)
    #: Follow-ups on what channels report for tagged messages, by tag kind.
    receipt_hooks: dict[str, ReceiptHook] = field(default_factory=dict)
    #: What members may type instead of a command (签到 for /checkin).
    keywords: Keywords = field(default_factory=lambda: Keywords({}))

    def on(
        self,
        event_type: type[Event],
        handler: Handler,
        *,
        priority: int = 100,
        name: str | None = None,
        exclusive: bool = False,
        work_rooms: bool = False,
    ) -> None:
        self.routes.append(
            Route(event_type, handler, priority, name or handler.__name__, exclusive, work_rooms)
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

    def use_keywords(self, aliases: dict[str, str], *, chosen: frozenset[str]) -> None:
        """Keywords for the registered commands. ``chosen`` are the operator's own: one
        naming no command is an error; a built-in one for a feature that is off is
        dropped."""
        unknown = sorted(k for k, name in aliases.items() if name not in self.commands)
        wrong = [keyword for keyword in unknown if keyword in chosen]
        if wrong:
            keyword = wrong[0]
            command = aliases[keyword]
            raise UnknownKeyword(f"keywords.aliases: {keyword!r} names no command /{command}")
        self.keywords = Keywords({k: v for k, v in aliases.items() if v in self.commands})

    def routes_for(self, event: Event, place: Place) -> list[Route]:
        return [
            route
            for route in self.routes
            if isinstance(event, route.event_type)
            and (place is not Place.WORK_ROOM or route.work_rooms)
        ]

    def visible_commands(
        self, roles: frozenset[Role], place: Place, capabilities: Capabilities | None = None
    ) -> list[Command]:
        """Commands a caller with ``roles`` may use here, for /help and menus; given the
        platform's ``capabilities``, without those it cannot carry out."""
        return [
            command
            for command in self.commands.values()
            if command.listed
            and (command.role is Role.MEMBER or command.role in roles)
            and place in command.where
            and (command.needs is None or getattr(capabilities, command.needs, True))
        ]
