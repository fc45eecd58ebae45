"""Turns one incoming update into actions: de-duplicate, record, route.

Everything an update changes in the database commits in one transaction
together with the update's de-duplication key, so a redelivered update is
dropped and a crash before commit lets the redelivery be handled in full.
Actions are returned only after the commit. Updates of one chat are handled
one at a time, in arrival order; different chats run concurrently.
"""

from __future__ import annotations

import asyncio
import logging
import time
import weakref
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from datetime import datetime

from markupsafe import Markup
from sqlalchemy.exc import SQLAlchemyError

from handlers.actions import Action, AnswerButton, Receipt, reply
from handlers.clock import Clock
from handlers.commands import ArgumentError, parse_forms
from handlers.context import Community, Context, Place, PlatformAccess, PlatformFacts
from handlers.desk import DeskSettings
from handlers.events import (
    BotAddedToChat,
    BotRemovedFromChat,
    ButtonPressed,
    ChatKind,
    ChatMigrated,
    ChatRef,
    CommandIssued,
    Event,
    Incoming,
    MemberJoined,
    MemberLeft,
    MessagePosted,
    UserRef,
    scrubbed,
)
from handlers.i18n import Catalog, Texts, supported_language
from handlers.receipts import record_receipts
from handlers.record_cache import PendingRecords, RecordCache, started
from handlers.roles import Role, platform_key
from handlers.router import PRIVATE_ONLY, Command, Router
from storage.database import Storage
from storage.records import Arrival, ChatSeen, JoinOutcome, UserSeen
from storage.repositories import Repositories

log = logging.getLogger(__name__)

#: Carries out actions on the channel the update came from, reporting on tagged ones.
Deliver = Callable[[list[Action]], Awaitable[list[Receipt] | None]]


#: What a redelivered update yields (nothing), told apart from an update that asked
#: for nothing.
_REDELIVERED: list[Action] = []


@dataclass(slots=True)
class Dispatcher:
    storage: Storage
    router: Router
    catalog: Catalog
    community: Community
    desk: DeskSettings
    clock: Clock
    #: Called after a commit that made work due at once (the runtime sweeps).
    on_due: Callable[[], None] | None = None
    #: Other replicas handle updates too: a chat's turn is also taken in the database.
    across_replicas: bool = False
    #: Told of every update handled: (platform, outcome, seconds); the outcome is
    #: ``handled``, ``duplicate`` (a redelivery) or ``failed``.
    observe: Callable[[str, str, float], None] | None = None
    #: Told what a unit of work changed, once committed (other replicas' caches).
    on_change: Callable[[PendingRecords], None] | None = None
    _chat_locks: weakref.WeakValueDictionary[str, asyncio.Lock] = field(
        init=False, default_factory=weakref.WeakValueDictionary
    )
    _records: RecordCache = field(init=False, default_factory=RecordCache)

    def _lock_for(self, key: str) -> asyncio.Lock:
        lock = self._chat_locks.get(key)
        if lock is None:
            lock = asyncio.Lock()
            self._chat_locks[key] = lock
        return lock

    async def handle(
        self,
        incoming: Incoming,
        platform: PlatformAccess,
        deliver: Deliver | None = None,
        recorded: Callable[[], None] | None = None,
    ) -> list[Action]:
        """Process one update and hand its actions to ``deliver``.

        Delivery happens inside the chat's turn, so replies leave in the order
        their updates arrived. The actions are also returned (for tests and
        channels that deliver themselves).
        """
        incoming = scrubbed(incoming)
        if not incoming.events:
            await self._read_past(incoming)
            if recorded is not None:
                recorded()
            return []
        if self.observe is None:
            return await self._handle(incoming, platform, deliver, recorded)
        started, outcome = time.perf_counter(), "failed"
        try:
            actions = await self._handle(incoming, platform, deliver, recorded)
            outcome = "handled" if actions is not _REDELIVERED else "duplicate"
            return actions
        finally:
            self.observe(platform.name, outcome, time.perf_counter() - started)

    async def _handle(
        self,
        incoming: Incoming,
        platform: PlatformAccess,
        deliver: Deliver | None,
        recorded: Callable[[], None] | None,
    ) -> list[Action]:
        # A keyword is the command it stands for (a moderator's 帮助 is their /help).
        events = [self.router.keywords.as_command(event) for event in incoming.events]
        first = events[0]
        place = self.place_of(first.chat)
        chat_key = f"{first.chat.platform}:{first.chat.id}"
        async with self._lock_for(chat_key):
            roles = await self._roles(first, platform, place)
            now = self.clock.now()

            pending = PendingRecords()
            unknown = self._unknown(first)

            async def work(repos: Repositories) -> list[Action]:
                nonlocal pending
                pending = PendingRecords()  # a retried attempt starts from scratch
                if self.across_replicas:  # first: the chat's turn among every replica
                    await repos.replicas.one_at_a_time(f"chat:{chat_key}")
                await _save(repos, incoming, now)
                arrival = await repos.updates.arrive(
                    platform.name, incoming.key, now, seen_at=first.occurred_at, **unknown
                )
                if not arrival.claimed:
                    log.info("dropping redelivered update %s", incoming.key)
                    return _REDELIVERED
                actions: list[Action] = []
                told: Arrival | None = arrival  # about the first event only
                for event in events:
                    shared = self._in_community(event, platform)
                    # An update may speak of another chat too (a WeChat member's first
                    # message is also a join of their community).
                    here = place if event.chat == first.chat else self.place_of(event.chat)
                    if shared is not event:  # a group feature for a one-to-one member
                        event, here, told = shared, self.place_of(shared.chat), None
                    ctx = await self._context(repos, event, platform, roles, pending, here, told)
                    told = None
                    actions.extend(await self._route(event, ctx))
                pending.changed_chat_ids |= repos.chats.changed
                pending.changed_users |= repos.links.changed
                return actions

            actions = await self.storage.run(work)
            if recorded is not None:  # committed: a webhook call can be answered now
                recorded()
            self._records.apply(pending)
            if self.on_change is not None:
                self.on_change(pending)
            for callback in pending.after_commit:
                callback()
            if deliver is not None and actions:
                await self._record(await deliver(actions), deliver)
        return actions

    async def _record(self, receipts: list[Receipt] | None, deliver: Deliver | None) -> None:
        """Remember the ids of tagged messages before the chat's next update is handled,
        so a quick reply to one of them already finds it; then send what the features
        have to say about them (once: follow-ups of follow-ups are only recorded)."""
        if not receipts:
            return
        now = self.clock.now()
        hooks = self.router.receipt_hooks
        texts = self.catalog.for_language(self.community.language)
        try:
            follow_ups = await self.storage.run(
                lambda repos: record_receipts(repos, receipts, now, hooks, texts)
            )
        except SQLAlchemyError:
            log.exception("could not record what the channel sent; replies to it are not routed")
            return
        if follow_ups and deliver is not None:
            await self._record(await deliver(follow_ups), None)

    async def _read_past(self, incoming: Incoming) -> None:
        """Nothing for the bot in it (a servicer's message), but the channel reads past it."""
        if incoming.checkpoint is not None:
            await self.storage.run(lambda repos: _save(repos, incoming, self.clock.now()))

    @property
    def records(self) -> RecordCache:
        """The chats and people this process knows as stored."""
        return self._records

    def texts_for(self, chat_language: str | None, user_language: str | None) -> Texts:
        return self.catalog.for_language(chat_language or user_language or self.community.language)

    def _in_community(self, event: Event, platform: PlatformAccess) -> Event:
        """A group command (``/checkin``) from a member with no group (WeChat) runs in
        the community their one-to-one chat belongs to; its answers still go to them
        one to one, since they reply to their own message."""
        if not isinstance(event, CommandIssued) or not event.chat.is_private:
            return event
        command = self.router.commands.get(event.name)
        if command is None or Place.PRIVATE in command.where or Place.GROUP not in command.where:
            return event
        community = platform.community_of(event.chat)
        return event if community is None else replace(event, chat=community)

    def place_of(self, chat: ChatRef) -> Place:
        if chat.is_private:
            return Place.PRIVATE
        return Place.WORK_ROOM if self.desk.is_work_room(chat) else Place.GROUP

    async def _roles(self, event: Event, platform: PlatformAccess, place: Place) -> frozenset[Role]:
        """Roles are looked up before the transaction: it may ask the platform."""
        sender = _sender(event)
        if sender is None:
            return frozenset()
        key = platform_key(sender.platform, sender.id)
        roles: set[Role] = set()
        # Listed staff, and everyone in the staff desk's rooms (a set lookup per event).
        if key in self.community.staff or (place is Place.WORK_ROOM and not sender.is_bot):
            roles.add(Role.STAFF)
        if not isinstance(event, CommandIssued | ButtonPressed):
            return frozenset(roles)  # asking the platform about admins is for commands only
        if (
            key in self.community.moderators
            or getattr(event, "sender_is_anonymous_admin", False)
            or (not event.chat.is_private and await platform.is_chat_admin(event.chat, sender))
        ):
            roles.add(Role.MODERATOR)
        return frozenset(roles)

    def _unknown(self, event: Event) -> dict[str, ChatSeen | UserSeen]:
        """The chat and sender of ``event`` the record cache does not know as they are
        now: stored together with the update's claim, in one trip."""
        unknown: dict[str, ChatSeen | UserSeen] = {}
        chat_ref = event.chat
        if not isinstance(event, ChatMigrated) and self._records.chat(chat_ref) is None:
            unknown["chat"] = ChatSeen(
                chat_ref.platform, chat_ref.id, chat_ref.kind.value, chat_ref.title
            )
        person = _sender(event)
        if person is not None and self._records.user(person) is None:
            unknown["user"] = UserSeen(
                person.platform,
                person.id,
                person.display_name,
                person.username,
                person.language,
                person.is_bot,
                started=chat_ref.is_private,
            )
        return unknown

    async def _context(
        self,
        repos: Repositories,
        event: Event,
        platform: PlatformAccess,
        roles: frozenset[Role],
        pending: PendingRecords,
        place: Place,
        arrival: Arrival | None = None,
    ) -> Context:
        """Record what the event says about chats, people and memberships.

        Known, unchanged chats and people come from the record cache and cost
        no statement; for the update's first event, unknown ones were stored
        with its claim (``arrival``); memberships are single upserts.
        """
        at = event.occurred_at
        chat_ref = event.chat
        if isinstance(event, ChatMigrated):
            await repos.chats.migrate(chat_ref.platform, event.old_chat_id, chat_ref.id, at)
        chat = None if isinstance(event, ChatMigrated) else self._records.chat(chat_ref)
        if chat is None and arrival is not None and arrival.chat is not None:
            chat = arrival.chat
            pending.chats.append(chat)
        if chat is None:
            chat = await repos.chats.upsert(
                chat_ref.platform,
                chat_ref.id,
                kind=chat_ref.kind.value,
                title=chat_ref.title,
                at=at,
            )
            pending.chats.append(chat)
        person = _sender(event)
        sender = member = join = None
        if person is not None:
            sender = self._records.user(person)
            if sender is None and arrival is not None and arrival.user is not None:
                sender = arrival.user
                pending.users.append(sender)
            if sender is None:
                sender = await repos.users.upsert(
                    person.platform,
                    person.id,
                    display_name=person.display_name,
                    username=person.username,
                    language=person.language,
                    is_bot=person.is_bot,
                    at=at,
                    started=chat_ref.is_private,
                )
                pending.users.append(sender)
            if chat_ref.is_private and sender.started_bot_at is None:
                await repos.users.mark_started(sender.id, at)
                sender = started(sender, at)
                pending.users.append(sender)
        match event:
            case MemberJoined():
                assert sender is not None
                join = await repos.members.record_join(chat.id, sender.id, at)
                if join is not JoinOutcome.DUPLICATE:
                    await repos.events.append(
                        "member_joined",
                        at,
                        chat_id=chat.id,
                        user_id=sender.id,
                        payload={"outcome": join.value},
                    )
            case MemberLeft():
                assert sender is not None
                if await repos.members.record_leave(chat.id, sender.id, at):
                    await repos.events.append("member_left", at, chat_id=chat.id, user_id=sender.id)
            case MessagePosted():
                assert sender is not None
                if not chat_ref.is_private and not event.sender_is_anonymous_admin:
                    member = await repos.members.record_message(chat.id, sender.id, at)
            case CommandIssued() | ButtonPressed():
                assert sender is not None
                if not chat_ref.is_private and not self._records.recently_active(
                    chat.id, sender.id, at
                ):
                    member = await repos.members.touch(chat.id, sender.id, at)
                    pending.activity.append((chat.id, sender.id, at))
            case BotAddedToChat():
                await repos.chats.set_bot_status(
                    chat.id, "admin" if event.is_admin else "member", at
                )
                await repos.events.append("bot_added", at, chat_id=chat.id)
            case BotRemovedFromChat():
                await repos.chats.set_bot_status(chat.id, "removed", at)
                await repos.events.append("bot_removed", at, chat_id=chat.id)
            case ChatMigrated():
                await repos.events.append(
                    "chat_migrated", at, chat_id=chat.id, payload={"from": event.old_chat_id}
                )
        if isinstance(event, MemberJoined | MemberLeft) and sender is not None:
            member = await repos.members.get(chat.id, sender.id)
        if isinstance(event, BotAddedToChat | BotRemovedFromChat):
            chat = await repos.chats.get_by_id(chat.id) or chat
        texts = (
            self.texts_for(None, supported_language(person.language if person else None))
            if chat_ref.is_private
            else self.texts_for(chat.language, None)
        )
        one_to_one = _one_to_one(chat_ref, platform)
        if one_to_one:
            texts = texts.for_one_to_one()
        return Context(
            repos=repos,
            now=at,
            texts=texts,
            community=self.community,
            catalog=self.catalog,
            platform=platform,
            roles=roles,
            desk=self.desk,
            place=place,
            one_to_one=one_to_one,
            chat=chat,
            sender=sender,
            member=member,
            join=join,
            router=self.router,
            after_commit=pending.after_commit,
            on_due=self.on_due,
        )

    async def _route(self, event: Event, ctx: Context) -> list[Action]:
        actions: list[Action] = []
        if isinstance(event, CommandIssued):
            try:
                actions.extend(await self._command(event, ctx))
            except SQLAlchemyError:
                raise  # the whole update is retried or fails; the session is unusable
            except Exception:
                log.exception("/%s failed", event.name)
                actions.append(reply(event.message, ctx.texts.t("command.failed", name=event.name)))
            if actions:
                return actions
        for route in self.router.routes_for(event, ctx.place):
            try:
                produced = await route.handler(event, ctx)
            except SQLAlchemyError:
                raise
            except Exception:
                log.exception("handler %s failed on %s", route.name, type(event).__name__)
                continue
            actions.extend(produced)
            if produced and route.exclusive:
                break
        if (
            isinstance(event, ButtonPressed)
            and event.press_id
            and not any(isinstance(a, AnswerButton) for a in actions)
        ):
            actions.append(AnswerButton(press_id=event.press_id))
        return actions

    async def _command(self, event: CommandIssued, ctx: Context) -> list[Action]:
        command = self.router.commands.get(event.name)
        texts = ctx.texts
        if command is None:
            # In groups many bots share commands: answer only when addressed to us.
            if event.chat.is_private or event.addressed:
                return [reply(event.message, texts.t("command.unknown", name=event.name))]
            return []
        if ctx.place not in command.where:
            problem = _misplaced(command, ctx.place)
            if problem == "command.group_only" and not ctx.platform.capabilities.group_messages:
                problem = "command.no_group_here"  # WeChat members have no group with the bot
            return [reply(event.message, texts.t(problem, name=event.name))]
        if command.needs and not getattr(ctx.platform.capabilities, command.needs, True):
            # Said, not pretended: a schedule or an invite link where there is no group.
            return [reply(event.message, texts.t("command.one_to_one_here", name=event.name))]
        if not ctx.has_role(command.role):
            log.info("refused /%s for %s: needs %s", event.name, event.sender.id, command.role)
            return [
                reply(
                    event.message, texts.t(f"command.needs_{command.role.value}", name=event.name)
                )
            ]
        if command.forms is not None:
            try:
                ctx.args = parse_forms(
                    command.forms,
                    event.args,
                    replying_to_someone=event.reply_to_sender is not None,
                )
            except ArgumentError as error:
                return [reply(event.message, _argument_problem(texts, command, error))]
        return await command.handler(event, ctx)


def _one_to_one(chat: ChatRef, platform: PlatformFacts) -> bool:
    """Whether the event's reader reaches the community one to one, with no group: a
    WeChat member in their own chat, or a group feature run in their community."""
    if chat.kind is ChatKind.SERVICE:
        return True
    return chat.is_private and platform.community_of(chat) is not None


async def _save(repos: Repositories, incoming: Incoming, now: datetime) -> None:
    checkpoint = incoming.checkpoint
    if checkpoint is not None:
        await repos.channel_state.put(checkpoint.channel, checkpoint.key, checkpoint.value, now)


def _argument_problem(texts: Texts, command: Command, error: ArgumentError) -> Markup:
    """What is wrong with the arguments, then how to call the command."""
    values = dict(error.values)
    if "arg" in values:
        values["arg"] = texts.plain(f"args.{values['arg']}")
    if "choices" in values:  # the words a choice accepts, as the usage line shows them
        values["choices"] = " / ".join(values["choices"])
    problem = texts.t(f"command.args_{error.problem}", **values)
    return Markup("{}\n{}").format(problem, command.usage(texts))


def _misplaced(command: Command, place: Place) -> str:
    """Why a command cannot be used here, as a catalog key."""
    if place is Place.WORK_ROOM:
        return "command.not_in_work_room"
    if place is Place.PRIVATE:
        return "command.group_only"
    if command.where == PRIVATE_ONLY:
        return "command.private_only"
    return "command.desk_only"  # a group, and the command is the staff desk's


def _sender(event: Event) -> UserRef | None:
    for attribute in ("sender", "member"):
        value = getattr(event, attribute, None)
        if isinstance(value, UserRef):
            return value
    return None
