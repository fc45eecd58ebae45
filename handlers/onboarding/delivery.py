"""Turning due onboarding deliveries into messages, adapted to each member.

Runs in the sweep: stale rows are closed, due rows claimed, and each becomes
actions (carrying the delivery id), a skip with a reason, or a deferral to
the end of quiet hours. A member the bot cannot write to privately (on
Telegram, one who never started the bot: most group members) is greeted in
the group instead, for steps that allow it: one message per group and step
naming everyone whose step falls that day, with a link to the private chat.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from markupsafe import Markup, escape

from handlers.actions import (
    Action,
    Button,
    DeleteMessage,
    NotifyStaff,
    SendMessage,
    SendPrivate,
    Tag,
    mention,
    start_link,
)
from handlers.community import Community
from handlers.desk import DeskSettings
from handlers.events import ChatKind, ChatRef, MessageRef
from handlers.i18n import Catalog, Texts
from handlers.onboarding.flow import GROUP_WELCOME, START_BUTTON, STEP_KIND
from handlers.onboarding.settings import Audience, OnboardingSettings, Step
from handlers.refs import chat_ref, user_ref
from storage.records import ChatRecord, DeliveryRecord, DeliveryStatus, UserRecord
from storage.repositories import Repositories

#: The day-7 digest lists the FAQ entries asked most in this window.
MOST_ASKED_WINDOW = timedelta(days=30)

#: Tag of the group welcome: its message ids are kept, to remove it when the next comes.
WELCOME_TAG = "welcome"

log = logging.getLogger(__name__)

#: Deliveries one sweep takes on; the rest wait for the next sweep seconds later.
SWEEP_BATCH = 500

#: Placeholders a moderator's welcome text may use.
WELCOME_PLACEHOLDERS = ("name", "group", "rules")


@dataclass(frozen=True, slots=True)
class Skip:
    #: A reason code, shown by /onboarding as ``onboarding.reason_<code>``.
    reason: str


@dataclass(frozen=True, slots=True)
class Defer:
    until: datetime


@dataclass(frozen=True, slots=True)
class InGroup:
    """Greet this member in the group, with the others due that day."""

    delivery: DeliveryRecord
    chat: ChatRecord
    step: Step
    user: UserRecord


Outcome = list[Action] | Skip | Defer | InGroup


def render_welcome(template: str, values: dict[str, Any]) -> Markup:
    """A moderator's own welcome: their text escaped, placeholders filled safely."""
    return Markup(escape(template)).format(**values)


class OnboardingSweep:
    """The sweep task (``handlers.sweeper.SweepTask``) of the onboarding flow."""

    __name__ = "onboarding"

    def __init__(
        self,
        settings: OnboardingSettings,
        catalog: Catalog,
        community: Community,
        desk: DeskSettings | None = None,
    ) -> None:
        self.settings = settings
        self.catalog = catalog
        self.community = community
        self.desk = desk or DeskSettings()

    async def __call__(self, repos: Repositories, now: datetime) -> list[Action]:
        await repos.deliveries.expire_stale(now)
        actions: list[Action] = []
        in_group: dict[tuple[int, str], list[InGroup]] = defaultdict(list)
        for delivery in await repos.deliveries.claim_due(now, SWEEP_BATCH):
            outcome = await self._outcome(repos, delivery, now)
            if isinstance(outcome, InGroup):
                in_group[(outcome.chat.id, outcome.step.id)].append(outcome)
            elif isinstance(outcome, list):
                actions.extend(outcome)
        for greetings in in_group.values():
            actions.extend(await self._greet_in_group(repos, greetings, now))
        return actions

    async def next_due(self, repos: Repositories, now: datetime) -> datetime | None:
        return await repos.deliveries.next_due(now)

    async def _outcome(
        self, repos: Repositories, delivery: DeliveryRecord, now: datetime
    ) -> list[Action] | InGroup | None:
        """The delivery rendered, or closed (skipped) or put back (deferred) here."""
        try:
            outcome = await self._render(repos, delivery, now)
        except Exception:
            log.exception("delivery %s could not be prepared", delivery.id)
            outcome = Skip("error")
        match outcome:
            case Skip(reason):
                await repos.deliveries.finish(delivery.id, DeliveryStatus.SKIPPED, now, reason)
                return None
            case Defer(until):
                await repos.deliveries.defer(delivery.id, until)
                return None
        return outcome

    def _texts(self, chat: ChatRecord, user: UserRecord | None) -> Texts:
        language = user.language if user else None
        return self.catalog.for_reader(language, chat.language, self.community.language)

    async def _render(
        self, repos: Repositories, delivery: DeliveryRecord, now: datetime
    ) -> Outcome:
        chat = await repos.chats.get_by_id(delivery.chat_id) if delivery.chat_id else None
        if chat is None:
            return Skip("chat_gone")
        if chat.bot_status == "removed":
            return Skip("bot_removed")
        if self.desk.is_work_room(chat):
            return Skip("work_room")
        if not chat.onboarding_enabled or not self.settings.enabled:
            return Skip("switched_off")
        if delivery.kind == GROUP_WELCOME:
            return await self._group_welcome(repos, delivery, chat, now)
        step = self.settings.step(delivery.kind.removeprefix(STEP_KIND))
        if step is None:
            return Skip("step_removed")
        return await self._step(repos, delivery, chat, step, now)

    async def _group_welcome(
        self, repos: Repositories, delivery: DeliveryRecord, chat: ChatRecord, now: datetime
    ) -> list[Action] | Skip:
        joiners = await repos.members.awaiting_welcome(chat.id, now)
        if not joiners:
            return Skip("nobody_left")
        await repos.members.mark_welcomed([member.id for member, _ in joiners], now)
        texts = self._texts(chat, None)
        names = texts.join(mention(user_ref(user)) for _, user in joiners)
        values = {
            "name": names,
            "group": chat.title or self.community.name,
            "rules": chat.rules or texts.plain("onboarding.no_rules"),
        }
        if chat.welcome_template:
            text = render_welcome(chat.welcome_template, values)
        else:
            text = texts.t("onboarding.group_welcome", **values)
        group = chat_ref(chat)
        actions: list[Action] = []
        if self.settings.delete_previous_welcome:
            for chat_id, message_id in await repos.sent.take(chat.platform, WELCOME_TAG, chat.id):
                actions.append(DeleteMessage(message=MessageRef(_same(group, chat_id), message_id)))
        welcome = SendMessage(
            chat=group, text=text, deliveries=(delivery.id,), tag=Tag(WELCOME_TAG, chat.id)
        )
        return [*actions, welcome]

    async def _step(
        self,
        repos: Repositories,
        delivery: DeliveryRecord,
        chat: ChatRecord,
        step: Step,
        now: datetime,
    ) -> Outcome:
        member = await repos.members.get_by_id(int(delivery.payload.get("member_id", 0)))
        user = await repos.users.get_by_id(delivery.user_id) if delivery.user_id else None
        if member is None or user is None:
            return Skip("member_gone")
        if member.left_at is not None:
            return Skip("left")
        started = member.onboarding_started_at
        if started is None or started.isoformat() != delivery.payload.get("cycle"):
            return Skip("superseded")
        if step.audience is Audience.PRIVATE and await repos.members.onboarded_elsewhere(
            user.id, user.person, started
        ):
            return Skip("linked")
        active = member.message_count > 0 or member.activated_at is not None
        if step.skip_if_active and active:
            return Skip("active")
        one_to_one = _one_to_one(chat)
        if one_to_one and not step.one_to_one:
            return Skip("one_to_one")
        if step.audience is Audience.PRIVATE:
            if user.started_bot_at is None and not step.fallback_to_group:
                return Skip("never_started")
            quiet = self.settings.quiet_hours
            wake = quiet.end_after(now, self.community.timezone) if quiet else None
            if wake is not None:
                return Defer(wake)
            if user.started_bot_at is None:
                return InGroup(delivery, chat, step, user)
        # A step for staff is read by staff: in the community's language, not the member's.
        staff = step.audience is Audience.STAFF
        texts = (
            self.catalog.for_language(self.community.language) if staff else self._texts(chat, user)
        )
        values = await self._values(repos, texts, chat, step, member.welcomer, now)
        # A private message speaks to the member by name; elsewhere they are mentioned.
        private = step.audience is Audience.PRIVATE
        values["name"] = user.display_name if private else mention(user_ref(user))
        if step.id == "digest" and not values["content"]:
            return Skip("no_content")
        text = self._text(texts, step, active, values, one_to_one=one_to_one)
        buttons = ()
        if step.start_button:
            label = texts.plain("onboarding.start_button")
            buttons = ((Button(label, data=f"{START_BUTTON}{chat.id}"),),)
        match step.audience:
            case Audience.PRIVATE:
                return [
                    SendPrivate(
                        user=user_ref(user),
                        text=text,
                        buttons=buttons,
                        deliveries=(delivery.id,),
                        fallback_chat=(
                            chat_ref(chat) if step.fallback_to_group and not one_to_one else None
                        ),
                        tell_staff_if_refused=False,
                    )
                ]
            case Audience.GROUP:
                return [
                    SendMessage(
                        chat=chat_ref(chat), text=text, buttons=buttons, deliveries=(delivery.id,)
                    )
                ]
            case _:
                return [NotifyStaff(text=text, deliveries=(delivery.id,))]

    async def _greet_in_group(
        self, repos: Repositories, greetings: list[InGroup], now: datetime
    ) -> list[Action]:
        """One message for a group and step: everyone due now, and everyone else who
        cannot be written to privately and whose step falls later that day."""
        first = greetings[0]
        chat, step = first.chat, first.step
        local = now.astimezone(self.community.timezone)
        day_ends = (local + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
        later = await repos.deliveries.claim_unreached(chat.id, first.delivery.kind, day_ends)
        extra: list[Action] = []
        for delivery in later:
            outcome = await self._outcome(repos, delivery, now)
            if isinstance(outcome, InGroup):
                greetings.append(outcome)
            elif isinstance(outcome, list):
                extra.extend(outcome)
        texts = self.catalog.for_language(chat.language or self.community.language)
        values = await self._values(repos, texts, chat, step, None, now)
        values["name"] = texts.join(mention(user_ref(g.user)) for g in greetings)
        values["start"] = start_link(texts.plain("onboarding.start_link"), "onboarding")
        if step.id == "digest" and not values["content"]:
            for greeting in greetings:
                await repos.deliveries.finish(
                    greeting.delivery.id, DeliveryStatus.SKIPPED, now, "no_content"
                )
            return []
        text = self._text(texts, step, False, values, in_group=True)
        greeting = SendMessage(
            chat=chat_ref(chat), text=text, deliveries=tuple(g.delivery.id for g in greetings)
        )
        return [greeting, *extra]

    @staticmethod
    async def _current_topic(repos: Repositories, chat: ChatRecord) -> str | None:
        post = await repos.topics.latest_post(chat.id)
        if post is None or post.topic_id is None:
            return None
        topic = await repos.topics.get_topic(post.topic_id)
        return topic.text if topic else None

    def _text(
        self,
        texts: Texts,
        step: Step,
        active: bool,
        values: dict[str, Any],
        *,
        in_group: bool = False,
        one_to_one: bool = False,
    ) -> Markup:
        """The step's words: the operator's own, or the catalog's variant for a member who
        took part or not, for the day's newcomers greeted together in the group, or for a
        member who reaches the community one to one (no group to point them to)."""
        group_key = f"{step.template_key}.group"
        own_group_text = in_group and step.text is None and texts.has(group_key)
        one_to_one_key = f"{step.template_key}.one_to_one"
        if one_to_one and step.text is None and texts.has(one_to_one_key):
            text = texts.t(one_to_one_key, **values)
        elif own_group_text:
            text = texts.t(group_key, **values)
        elif step.text:
            text = render_welcome(step.text, values)
        else:
            variant = f"{step.template_key}.{'active' if active else 'silent'}"
            key = variant if texts.has(variant) else step.template_key
            text = texts.t(key, **values)
        if in_group and not own_group_text:  # a private text, with the link to go private
            text = Markup("{}\n{}").format(text, texts.t("onboarding.group_start", **values))
        if step.id == "topic" and values.get("topic"):  # 14天话题引导: the discussion now
            text = Markup("{}\n\n{}").format(text, texts.t("topics.current", text=values["topic"]))
        return text

    async def _values(
        self,
        repos: Repositories,
        texts: Texts,
        chat: ChatRecord,
        step: Step,
        welcomer: str | None,
        now: datetime,
    ) -> dict[str, Any]:
        welcomer_name = texts.plain("onboarding.team")
        introduced = texts.plain("onboarding.team_member")  # 我是… to the member
        if welcomer:
            platform, _, external_id = welcomer.partition(":")
            known = await repos.users.get(platform, external_id)
            welcomer_name = introduced = known.display_name if known else welcomer
        # A one-to-one community's title names its channel, not the community.
        group = self.community.name if _one_to_one(chat) else chat.title
        values: dict[str, Any] = {
            "group": group or self.community.name,
            "rules": chat.rules or texts.plain("onboarding.no_rules"),
            "welcomer": welcomer_name,
            "introduced": introduced,
            "content": Markup(""),
            "topic": None,
        }
        if step.id == "digest":
            values["content"] = await self._digest(repos, texts, now)
        if step.id == "topic":
            values["topic"] = await self._current_topic(repos, chat)
        return values

    async def _digest(self, repos: Repositories, texts: Texts, now: datetime) -> Markup:
        """7天精华内容: the community's essential posts and its most-asked questions."""
        lines = [
            Markup('• <a href="{}">{}</a>').format(link.url, link.title)
            for link in self.settings.essential_content
        ]
        if self.settings.digest_faq_entries:
            asked = await repos.faq.most_asked(
                now - MOST_ASKED_WINDOW, limit=self.settings.digest_faq_entries
            )
            if asked:
                lines.append(texts.t("onboarding.digest_faq_heading"))
                lines.extend(Markup("• {}").format(usage.question) for usage in asked)
        return Markup("\n").join(lines)


def _one_to_one(chat: ChatRecord) -> bool:
    """Members of this community each talk to the bot alone (a 微信客服 account)."""
    return chat.kind == ChatKind.SERVICE.value


def _same(group: ChatRef, chat_id: str) -> ChatRef:
    """The group as the platform named it when the message was posted (ids can change
    when a group is upgraded)."""
    return group if chat_id == group.id else ChatRef(group.platform, chat_id, ChatKind.GROUP)
