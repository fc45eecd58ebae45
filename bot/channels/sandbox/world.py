"""The sandbox's simulated platform: one group, its people, and a movable clock."""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from bot.channels.wechat.kf_convert import PLATFORM as KF_PLATFORM
from bot.channels.wechat.kf_convert import community as kf_community
from bot.fleet.settings import RedisSettings
from bot.settings import Settings
from handlers.capabilities import Capabilities
from handlers.clock import ManualClock
from handlers.commands import is_for_bot, parse_command
from handlers.desk import DeskSettings
from handlers.events import (
    ButtonPressed,
    ChatKind,
    ChatRef,
    CommandIssued,
    Event,
    Incoming,
    MemberJoined,
    MemberLeft,
    MessagePosted,
    MessageRef,
    UserRef,
)

PLATFORM = "sandbox"
#: A 微信客服 member played in the sandbox (``/wechat NAME``) is on WeChat's platform.
WECHAT = KF_PLATFORM
GROUP_ID = "sandbox-group"
STAFF_CHAT_ID = "sandbox-staff"

#: Like Telegram: the bot may write privately only to people who wrote first.
CAPABILITIES = Capabilities(private_first_contact=False, invite_links=True)


def user_id_for(name: str) -> str:
    """A stable id from a display name, so a name means the same person across runs."""
    slug = re.sub(r"\s+", "_", name.strip().lower())
    return slug or "anonymous"


def sandbox_database(settings: Settings) -> Path:
    """The sandbox's own SQLite file, whatever ``database.url`` says: playing in the
    sandbox must never leave members, chats or deliveries in the real bot's database."""
    return settings.data_dir / "sandbox.db"


def sandbox_state(database: Path) -> Path:
    """Beside the database: the sandbox clock and message numbers, so a new run goes on
    where the last one stopped (a clock set back would meet check-ins "in the future")."""
    return database.with_name(database.name + ".state.json")


def sandbox_clock(settings: Settings) -> ManualClock:
    """The sandbox's clock where its last run left it (now, when it never ran or is
    behind): commands run with ``--sandbox`` (a schedule preview, a report) look at
    the sandbox's time, not the wall clock's."""
    clock = ManualClock()
    try:
        saved = json.loads(sandbox_state(sandbox_database(settings)).read_text("utf-8"))
        moment = datetime.fromisoformat(saved["clock"])
        if moment > clock.now():
            clock.advance(moment - clock.now())
    except (OSError, ValueError, KeyError, TypeError):
        pass  # a first run, or a state file from elsewhere: now
    return clock


def sandbox_url(settings: Settings) -> str:
    return f"sqlite+aiosqlite:///{sandbox_database(settings)}"


def sandbox_settings(settings: Settings) -> Settings:
    """The sandbox has its own staff chat, and its operator answers tickets there, so
    the whole loop can be tried."""
    community = settings.community
    operator = f"{PLATFORM}:{user_id_for(settings.sandbox.operator)}"
    return settings.model_copy(
        update={
            "community": community.model_copy(update={"staff": community.staff | {operator}}),
            "staff": DeskSettings(chat=f"{PLATFORM}:{STAFF_CHAT_ID}"),
            "redis": RedisSettings(),  # its own SQLite file, one process
        }
    )


@dataclass
class SandboxWorld:
    """Everything the sandbox simulates; also its :class:`PlatformAccess`."""

    clock: ManualClock
    group_title: str
    operator: str
    name: str = PLATFORM
    capabilities: Capabilities = CAPABILITIES
    users: dict[str, UserRef] = field(default_factory=dict)
    admins: set[str] = field(default_factory=set)
    started: set[str] = field(default_factory=set)
    next_message_id: int = 1

    def __post_init__(self) -> None:
        self.admins.add(self.user(self.operator).id)
        self.current = self.user(self.operator)
        self.in_private = False
        #: Typing in the staff chat (``/desk``) rather than the group.
        self.at_desk = False

    @property
    def group(self) -> ChatRef:
        return ChatRef(PLATFORM, GROUP_ID, ChatKind.GROUP, self.group_title)

    @property
    def staff_chat(self) -> ChatRef:
        """Where staff notices go; ``/re N`` answers one from here."""
        return ChatRef(PLATFORM, STAFF_CHAT_ID, ChatKind.GROUP, "客服群 Staff chat")

    def private_chat(self, user: UserRef) -> ChatRef:
        return ChatRef(PLATFORM, user.id, ChatKind.PRIVATE, user.display_name)

    @staticmethod
    def wechat_id(name: str) -> str:
        return "wm_" + user_id_for(name)

    def wechat_member(self, name: str) -> UserRef:
        display = name.strip() or "微信用户"
        ref = UserRef(WECHAT, self.wechat_id(name), display)
        return self.users.setdefault(ref.id, ref)

    def enter_session(self) -> Incoming:
        """The current WeChat member opens the chat from the 客服 link, as WeChat tells it
        (``enter_session``): ``/start``, and a join of the 客服账号's community."""
        chat, member, now = self.here, self.current, self.clock.now()
        start = CommandIssued(
            chat=chat, occurred_at=now, sender=member, message=self._message_ref(chat), name="start"
        )
        joined = MemberJoined(chat=kf_community(""), occurred_at=now, member=member)
        return self.incoming(start, joined)

    @property
    def here(self) -> ChatRef:
        if self.current.platform == WECHAT:  # one to one with the 客服账号, nowhere else
            return ChatRef(WECHAT, self.current.id, ChatKind.PRIVATE, self.current.display_name)
        if self.in_private:
            return self.private_chat(self.current)
        return self.staff_chat if self.at_desk else self.group

    def where(self, chat: ChatRef) -> str:
        """How the transcript names a chat."""
        if chat.platform == WECHAT:
            return f"微信客服 WeChat {self.name_of(chat.id)}"
        if chat.is_private:
            return f"私聊 {self.name_of(chat.id)}"
        return "客服群 staff" if chat.id == STAFF_CHAT_ID else "群"

    def user(self, name: str) -> UserRef:
        display = name.strip() or "anonymous"
        # The name doubles as the username, so moderators can write @小明 in the sandbox.
        ref = UserRef(PLATFORM, user_id_for(name), display, username=display)
        return self.users.setdefault(ref.id, ref)

    def name_of(self, user_id: str) -> str:
        ref = self.users.get(user_id)
        return ref.display_name if ref else user_id

    # -- PlatformAccess ---------------------------------------------------
    @property
    def bot_username(self) -> str | None:
        return "shequn_bot"

    async def is_chat_admin(self, chat: ChatRef, user: UserRef) -> bool:
        return user.id in self.admins

    def community_of(self, chat: ChatRef) -> ChatRef | None:
        return None  # members meet in groups here

    def describe(self) -> dict[str, str]:
        return {"mode": "sandbox", "clock": self.clock.now().strftime("%Y-%m-%d %H:%M UTC")}

    # -- building events --------------------------------------------------
    def _message_ref(self, chat: ChatRef) -> MessageRef:
        ref = MessageRef(chat, str(self.next_message_id))
        self.next_message_id += 1
        return ref

    def incoming(self, *events: Event) -> Incoming:
        return Incoming(key=uuid.uuid4().hex, events=tuple(events))

    def say(self, text: str) -> Incoming:
        """What the current user typing ``text`` here means."""
        chat, sender, now = self.here, self.current, self.clock.now()
        if chat.is_private:
            self.started.add(sender.id)
        message = self._message_ref(chat)
        command = parse_command(text)
        if command is not None:
            if not is_for_bot(command, self.bot_username):
                return self.incoming()
            return self.incoming(
                CommandIssued(
                    chat=chat,
                    occurred_at=now,
                    sender=sender,
                    message=message,
                    name=command.name,
                    args=command.args,
                    addressed=command.addressed_to is not None,
                )
            )
        return self.incoming(
            MessagePosted(
                chat=chat,
                occurred_at=now,
                sender=sender,
                message=message,
                text=text,
                mentions_bot=f"@{self.bot_username}" in text.lower(),
            )
        )

    def reply(self, to: MessageRef, text: str) -> Incoming:
        """The current user answering the bot's message ``to`` in its chat (a command
        sent as a reply, such as ``/resolve`` on a card, is a command)."""
        if to.chat.is_private:
            self.started.add(self.current.id)
        command = parse_command(text)
        if command is not None:
            return self.incoming(
                CommandIssued(
                    chat=to.chat,
                    occurred_at=self.clock.now(),
                    sender=self.current,
                    message=self._message_ref(to.chat),
                    name=command.name,
                    args=command.args,
                    reply_to=to,
                )
            )
        return self.incoming(
            MessagePosted(
                chat=to.chat,
                occurred_at=self.clock.now(),
                sender=self.current,
                message=self._message_ref(to.chat),
                text=text,
                reply_to=to,
                reply_to_bot=True,
            )
        )

    def bot_message(self, chat: ChatRef) -> MessageRef:
        """An id for a message the bot posts."""
        return self._message_ref(chat)

    def join(self, name: str) -> Incoming:
        member = self.user(name)
        return self.incoming(
            MemberJoined(chat=self.group, occurred_at=self.clock.now(), member=member)
        )

    def leave(self, name: str) -> Incoming:
        member = self.user(name)
        return self.incoming(
            MemberLeft(chat=self.group, occurred_at=self.clock.now(), member=member)
        )

    def press(self, message: MessageRef | None, data: str) -> Incoming:
        chat = message.chat if message else self.here
        return self.incoming(
            ButtonPressed(
                chat=chat,
                occurred_at=self.clock.now(),
                sender=self.current,
                message=message,
                data=data,
                press_id=None,
            )
        )
