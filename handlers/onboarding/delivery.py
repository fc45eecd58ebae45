"""Turning due onboarding deliveries into messages, adapted to each member.

Runs in the sweep: stale rows are closed, due rows claimed, and each becomes
actions (carrying the delivery id as receipt), a skip with a reason, or a
deferral to the end of quiet hours.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from markupsafe import Markup, escape

from handlers.actions import Action, Button, NotifyStaff, SendMessage, SendPrivate, mention
from handlers.context import Community
from handlers.i18n import Catalog, Texts, supported_language
from handlers.onboarding.config import Audience, OnboardingConfig, Step
from handlers.onboarding.flow import GROUP_WELCOME, START_BUTTON, STEP_KIND
from handlers.onboarding.quiet_hours import quiet_until
from handlers.refs import chat_ref, user_ref
from storage.records import ChatRecord, DeliveryRecord, DeliveryStatus, UserRecord
from storage.repositories import Repositories

#: The day-7 digest lists the FAQ entries asked most in this window.
MOST_ASKED_WINDOW = timedelta(days=30)

log = logging.getLogger(__name__)

#: Deliveries one sweep takes on; the rest wait for the next sweep seconds later.
SWEEP_BATCH = 500

#: Placeholders a moderator's welcome text may use.
WELCOME_PLACEHOLDERS = ("name", "group", "rules")


@dataclass(frozen=True, slots=True)
class Skip:
    reason: str


@dataclass(frozen=True, slots=True)
class Defer:
    until: datetime


def render_welcome(template: str, values: dict[str, Any]) -> Markup:
    """A moderator's own welcome: their text escaped, placeholders filled safely."""
    return Markup(escape(template)).format(**values)


class OnboardingSweep:
    """The sweep task (``handlers.sweeper.SweepTask``) of the onboarding flow."""

    __name__ = "onboarding"

    def __init__(self, config: OnboardingConfig, catalog: Catalog, community: Community) -> None:
        self.config = config
        self.catalog = catalog
        self.community = community
        self.steps = {step.id: step for step in config.steps}

    async def __call__(self, repos: Repositories, now: datetime) -> list[Action]:
        await repos.deliveries.expire_stale(now)
        actions: list[Action] = []
        for delivery in await repos.deliveries.claim_due(now, SWEEP_BATCH):
            try:
                outcome = await self._render(repos, delivery, now)
            except Exception:
                log.exception("delivery %s could not be prepared", delivery.id)
                outcome = Skip("internal error while preparing; see the log")
            match outcome:
                case Skip(reason):
                    await repos.deliveries.finish(delivery.id, DeliveryStatus.SKIPPED, now, reason)
                case Defer(until):
                    await repos.deliveries.defer(delivery.id, until)
                case list():
                    actions.extend(outcome)
        return actions

    def _texts(self, chat: ChatRecord, user: UserRecord | None) -> Texts:
        language = supported_language(user.language) if user else None
        return self.catalog.for_language(language or chat.language or self.community.language)

    async def _render(
        self, repos: Repositories, delivery: DeliveryRecord, now: datetime
    ) -> list[Action] | Skip | Defer:
        chat = await repos.chats.get_by_id(delivery.chat_id) if delivery.chat_id else None
        if chat is None:
            return Skip("chat no longer exists")
        if chat.bot_status == "removed":
            return Skip("the bot was removed from the chat")
        if not chat.onboarding_enabled or not self.config.enabled:
            return Skip("onboarding is switched off for this chat")
        if delivery.kind == GROUP_WELCOME:
            return await self._group_welcome(repos, delivery, chat, now)
        step = self.steps.get(delivery.kind.removeprefix(STEP_KIND))
        if step is None:
            return Skip("this step is no longer configured")
        return await self._step(repos, delivery, chat, step, now)

    async def _group_welcome(
        self, repos: Repositories, delivery: DeliveryRecord, chat: ChatRecord, now: datetime
    ) -> list[Action] | Skip:
        joiners = await repos.members.awaiting_welcome(chat.id, now)
        if not joiners:
            return Skip("nobody left to welcome")
        await repos.members.mark_welcomed([member.id for member, _ in joiners], now)
        texts = self._texts(chat, None)
        names = Markup(texts.t("onboarding.name_separator")).join(
            mention(user_ref(user)) for _, user in joiners
        )
        values = {
            "name": names,
            "group": chat.title or self.community.name,
            "rules": chat.rules or texts.plain("onboarding.no_rules"),
        }
        if chat.welcome_template:
            text = render_welcome(chat.welcome_template, values)
        else:
            text = texts.t("onboarding.group_welcome", **values)
        return [SendMessage(chat=chat_ref(chat), text=text, receipt=delivery.id)]

    async def _step(
        self,
        repos: Repositories,
        delivery: DeliveryRecord,
        chat: ChatRecord,
        step: Step,
        now: datetime,
    ) -> list[Action] | Skip | Defer:
        member = await repos.members.get_by_id(int(delivery.payload.get("member_id", 0)))
        user = await repos.users.get_by_id(delivery.user_id) if delivery.user_id else None
        if member is None or user is None:
            return Skip("member no longer exists")
        if member.left_at is not None:
            return Skip("member left")
        started = member.onboarding_started_at
        if started is None or started.isoformat() != delivery.payload.get("cycle"):
            return Skip("superseded by a newer onboarding flow")
        active = member.message_count > 0 or member.activated_at is not None
        if step.skip_if_active and active:
            return Skip("member already takes part")
        if step.audience is Audience.PRIVATE:
            if user.started_bot_at is None and not step.fallback_to_group:
                return Skip("member has not started a private chat with the bot")
            wake = quiet_until(
                now, self.config.quiet_start, self.config.quiet_end, self.community.timezone
            )
            if wake is not None:
                return Defer(wake)
        texts = self._texts(chat, user)
        values = await self._values(repos, texts, chat, user, member.welcomer, now)
        if step.id == "digest" and not values["content"]:
            return Skip("no essential content configured and no FAQ asked yet")
        text = self._text(texts, step, active, values)
        if step.id == "topic":  # 14天话题引导: name the discussion going on now
            current = await self._current_topic(repos, chat)
            if current:
                text = Markup("{}\n\n{}").format(text, texts.t("topics.current", text=current))
        buttons = ()
        if step.start_button:
            label = texts.plain("onboarding.start_button")
            buttons = ((Button(label, data=f"{START_BUTTON}{chat.id}"),),)
        member_ref = user_ref(user)
        match step.audience:
            case Audience.PRIVATE:
                return [
                    SendPrivate(
                        user=member_ref,
                        text=text,
                        buttons=buttons,
                        receipt=delivery.id,
                        fallback_chat=chat_ref(chat) if step.fallback_to_group else None,
                        tell_staff_if_refused=False,
                    )
                ]
            case Audience.GROUP:
                return [
                    SendMessage(
                        chat=chat_ref(chat), text=text, buttons=buttons, receipt=delivery.id
                    )
                ]
            case _:
                return [NotifyStaff(text=text, receipt=delivery.id)]

    @staticmethod
    async def _current_topic(repos: Repositories, chat: ChatRecord) -> str | None:
        post = await repos.topics.latest_post(chat.id)
        if post is None or post.topic_id is None:
            return None
        topic = await repos.topics.get_topic(post.topic_id)
        return topic.text if topic else None

    def _text(self, texts: Texts, step: Step, active: bool, values: dict[str, Any]) -> Markup:
        if step.text:
            return render_welcome(step.text, values)
        variant = f"{step.template}.{'active' if active else 'silent'}"
        return texts.t(variant if texts.has(variant) else step.template, **values)

    async def _values(
        self,
        repos: Repositories,
        texts: Texts,
        chat: ChatRecord,
        user: UserRecord,
        welcomer: str | None,
        now: datetime,
    ) -> dict[str, Any]:
        welcomer_name = texts.plain("onboarding.team")
        if welcomer:
            platform, _, external_id = welcomer.partition(":")
            known = await repos.users.get(platform, external_id)
            welcomer_name = known.display_name if known else welcomer
        lines = [
            Markup('• <a href="{}">{}</a>').format(url, title)
            for title, url in self.config.essential_content
        ]
        asked = await repos.faq.most_asked(
            now - MOST_ASKED_WINDOW, limit=self.config.digest_faq_entries
        )
        if asked:
            lines.append(texts.t("onboarding.digest_faq_heading"))
            lines.extend(Markup("• {}").format(usage.question) for usage in asked)
        content = Markup("\n").join(lines)
        return {
            "name": mention(user_ref(user)),
            "group": chat.title or self.community.name,
            "rules": chat.rules or texts.plain("onboarding.no_rules"),
            "welcomer": welcomer_name,
            "content": content,
        }
