"""What a handler gets besides the event: storage, time, texts, platform access."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Protocol

from handlers.capabilities import Capabilities
from handlers.commands import Args
from handlers.community import Community
from handlers.desk import DeskSettings
from handlers.events import ChatRef, UserRef
from handlers.i18n import Catalog, Texts
from handlers.roles import Role
from storage.records import ChatRecord, JoinOutcome, MemberRecord, UserRecord
from storage.repositories import Repositories

if TYPE_CHECKING:
    from handlers.router import Router


class PlatformFacts(Protocol):
    """What a handler may know of the platform an update came from.

    Facts only: asking the platform anything is a network call, and handlers run
    inside the update's database transaction, where no platform call may happen
    (a slow or rate-limited platform would hold every other chat's writes).
    What needs the platform is an action the channel carries out afterwards.
    """

    name: str
    capabilities: Capabilities

    @property
    def bot_username(self) -> str | None: ...

    def describe(self) -> dict[str, str]:
        """Channel facts for ``/settings`` (mode, privacy, …)."""
        ...

    def community_of(self, chat: ChatRef) -> ChatRef | None:
        """For a platform whose members have no group with the bot (WeChat): the
        community a one-to-one ``chat`` belongs to, where group features keep their
        accounts. None where members meet in groups."""
        ...


class PlatformAccess(PlatformFacts, Protocol):
    """What the dispatcher asks a channel before the transaction opens."""

    async def is_chat_admin(self, chat: ChatRef, user: UserRef) -> bool:
        """Whether ``user`` administers ``chat`` on the platform (cached by the channel)."""
        ...


class Offline:
    """Platform facts for work done outside an update (sweeps): no platform to ask."""

    name = "offline"
    capabilities = Capabilities()
    bot_username = None

    def describe(self) -> dict[str, str]:
        return {}

    def community_of(self, chat: ChatRef) -> ChatRef | None:
        return None


class Place(StrEnum):
    """Where a message was written."""

    PRIVATE = "private"
    #: A community group: where members are.
    GROUP = "group"
    #: The staff desk's chat or the leads' chat: a work room, not a community group.
    WORK_ROOM = "work_room"


@dataclass(slots=True)
class Context:
    """Per-event context; the repositories share the event's transaction."""

    repos: Repositories
    now: datetime
    #: What the event's author reads: their chat's language (their own, one to one).
    texts: Texts
    community: Community
    #: Every language's texts, for readers other than the author (staff, a member).
    catalog: Catalog
    platform: PlatformFacts
    roles: frozenset[Role]
    #: The staff desk: its rooms, where member features do not run.
    desk: DeskSettings = field(default_factory=DeskSettings)
    place: Place = Place.GROUP
    #: The member reaches the community one to one, with no group (WeChat): the help,
    #: the greetings and ``texts`` (their ``.one_to_one`` variants) say what is true here.
    one_to_one: bool = False
    #: A command's arguments, parsed as it declared them.
    args: Args = field(default_factory=Args)
    chat: ChatRecord | None = None
    sender: UserRecord | None = None
    #: The membership, for message, join and leave events (commands skip the read).
    member: MemberRecord | None = None
    #: Set for MemberJoined: whether this is a new join or a second signal of one.
    join: JoinOutcome | None = None
    #: The command table, for /help.
    router: Router | None = None
    #: Run after the event's transaction commits (never after a rollback).
    after_commit: list[Callable[[], None]] = field(default_factory=list)
    #: Asks for due work to be swept at once (set by the runtime).
    on_due: Callable[[], None] | None = None

    @property
    def staff_texts(self) -> Texts:
        """What staff read (cards, notes about tickets): the community's language,
        whatever language the member who caused them speaks."""
        return self.catalog.for_language(self.community.language)

    def texts_of(self, member: UserRecord, chat: ChatRecord | None) -> Texts:
        """What ``member`` reads when someone else's event reaches them (staff's answer
        to their ticket): the same language their own messages get."""
        chat_language = chat.language if chat is not None else None
        return self.catalog.for_reader(member.language, chat_language, self.community.language)

    @property
    def local_now(self) -> datetime:
        return self.now.astimezone(self.community.timezone)

    def has_role(self, role: Role) -> bool:
        """Members can do what anyone can; in a work room, staff what moderators can."""
        if role is Role.MEMBER or role in self.roles:
            return True
        return role is Role.MODERATOR and self.place is Place.WORK_ROOM and Role.STAFF in self.roles

    def sweep_soon(self) -> None:
        """Something just became due (a newcomer's welcome): sweep once this commits,
        rather than at the next scheduled sweep."""
        if self.on_due is not None and self.on_due not in self.after_commit:
            self.after_commit.append(self.on_due)
