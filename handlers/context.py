"""What a handler gets besides the event: storage, time, texts, platform access."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Protocol
from zoneinfo import ZoneInfo

from handlers.capabilities import Capabilities
from handlers.events import ChatRef, UserRef
from handlers.i18n import Texts
from handlers.roles import Role
from storage.records import ChatRecord, JoinOutcome, MemberRecord, UserRecord
from storage.repositories import Repositories

if TYPE_CHECKING:
    from handlers.router import Router


@dataclass(frozen=True, slots=True)
class Community:
    """The community-wide settings handlers need (built from the app settings)."""

    name: str
    timezone: ZoneInfo
    language: str
    moderators: frozenset[str] = frozenset()
    staff: frozenset[str] = frozenset()


class PlatformAccess(Protocol):
    """Platform facts a handler may ask for; each channel implements it."""

    name: str
    capabilities: Capabilities

    @property
    def bot_username(self) -> str | None: ...

    async def is_chat_admin(self, chat: ChatRef, user: UserRef) -> bool:
        """Whether ``user`` administers ``chat`` on the platform (cached by the channel)."""
        ...

    def private_chat_link(self, payload: str) -> str | None:
        """A link that opens a private chat with the bot (Telegram deep link), if any."""
        ...

    async def create_invite_link(self, chat: ChatRef, name: str) -> str | None:
        """A personal invite link into ``chat`` whose joins report ``name`` (None: unsupported
        or not allowed)."""
        ...

    def describe(self) -> dict[str, str]:
        """Channel facts for ``/settings`` (mode, privacy, …)."""
        ...


class Offline:
    """Platform access for work done outside an update (sweeps): no platform to ask."""

    name = "offline"
    capabilities = Capabilities()
    bot_username = None

    async def is_chat_admin(self, chat: ChatRef, user: UserRef) -> bool:
        return False

    def private_chat_link(self, payload: str) -> str | None:
        return None

    async def create_invite_link(self, chat: ChatRef, name: str) -> str | None:
        return None

    def describe(self) -> dict[str, str]:
        return {}


@dataclass(slots=True)
class Context:
    """Per-event context; the repositories share the event's transaction."""

    repos: Repositories
    now: datetime
    texts: Texts
    community: Community
    platform: PlatformAccess
    roles: frozenset[Role]
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

    @property
    def local_now(self) -> datetime:
        return self.now.astimezone(self.community.timezone)

    def has_role(self, role: Role) -> bool:
        return role is Role.MEMBER or role in self.roles
