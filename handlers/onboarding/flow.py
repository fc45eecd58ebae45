"""Onboarding reacting to members: a join starts the flow, leaving stops it,
taking part activates the member.

A member who reaches the community one to one (WeChat 微信客服: a chat of kind
``service``, which nobody shares) has no group welcome and gets only the steps
marked ``one_to_one``; writing to the bot is their way of taking part.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from handlers.actions import Action, AnswerButton, SendMessage
from handlers.commands import stored_id
from handlers.context import Context
from handlers.events import (
    ButtonPressed,
    ChatKind,
    Event,
    MemberJoined,
    MemberLeft,
    MessagePosted,
)
from handlers.onboarding.settings import OnboardingSettings, Step
from storage.records import DeliveryStatus, JoinOutcome
from storage.repositories import Repositories

GROUP_WELCOME = "onboarding.group_welcome"
STEP_KIND = "onboarding.step."
START_BUTTON = "onboarding:start:"
#: A rejoin restarts the flow (when configured) at most this often.
RESTART_COOLDOWN = timedelta(days=1)


def step_key(member_id: int, cycle: datetime, step: Step) -> str:
    return f"onb:{member_id}:{int(cycle.timestamp())}:{step.id}"


#: Told when a member completes onboarding (activates): e.g. the points economy.
ActivationHook = Callable[[Context, int, int], Awaitable[list[Action]]]


class OnboardingFlow:
    def __init__(
        self, config: OnboardingSettings, on_activated: ActivationHook | None = None
    ) -> None:
        self.config = config
        self._on_activated = on_activated

    async def participated(
        self, ctx: Context, chat_id: int, user_id: int, signal: str
    ) -> list[Action]:
        """A sign of taking part (message, start button, check-in, topic answer).

        Activates the member when ``signal`` counts and they are inside the
        window; the first activation is passed on to the hook.
        """
        if signal not in self.config.activation_signals:
            return []
        activated = await ctx.repos.members.activate(
            chat_id, user_id, ctx.now, signal, self.config.activation_window
        )
        if activated and self._on_activated is not None:
            return await self._on_activated(ctx, chat_id, user_id)
        return []

    async def on_join(self, event: Event, ctx: Context) -> list[Action]:
        """Start (or keep) the member's flow. Messages go through the outbox; what is due
        at once (the welcome) is swept right after this update commits."""
        assert isinstance(event, MemberJoined)
        chat, member = ctx.chat, ctx.member
        if (
            not self.config.enabled
            or event.member.is_bot
            or event.chat.is_private
            or chat is None
            or member is None
            or not chat.onboarding_enabled
            or ctx.join is JoinOutcome.DUPLICATE
        ):
            return []
        previous = member.onboarding_started_at
        if previous is not None and (
            not self.config.restart_on_rejoin or ctx.now - previous < RESTART_COOLDOWN
        ):
            return []  # a rejoin continues the flow where it was
        repos = ctx.repos
        one_to_one = event.chat.kind is ChatKind.SERVICE
        welcomer = None if one_to_one else await self._next_welcomer(repos, chat.id)
        await repos.members.start_onboarding(member.id, ctx.now, welcomer)
        if one_to_one:  # greeted in their own conversation with the bot (/start's answer)
            await repos.members.mark_welcomed([member.id], ctx.now)
        else:
            await self._schedule_welcome(repos, chat.id, ctx.now)
        ctx.sweep_soon()
        for step in self.config.steps:
            if one_to_one and not step.one_to_one:
                continue
            due = ctx.now + step.offset
            await repos.deliveries.schedule(
                step_key(member.id, ctx.now, step),
                kind=STEP_KIND + step.id,
                audience=step.audience.value,
                chat_id=chat.id,
                user_id=member.user_id,
                due_at=due,
                stale_at=due + step.stale_after,
                at=ctx.now,
                payload={"member_id": member.id, "cycle": ctx.now.isoformat()},
            )
        return []

    async def _schedule_welcome(self, repos: Repositories, chat_id: int, now: datetime) -> None:
        """A lone newcomer is welcomed at once. Joins within ``welcome_batch`` of the last
        welcome wait for the next one, which names them all: a burst is one message."""
        last = await repos.deliveries.latest(chat_id, GROUP_WELCOME)
        coming = last is not None and last.status == DeliveryStatus.PENDING.value
        if coming and (last.stale_at is None or last.stale_at > now):
            return  # the coming welcome names everyone not yet welcomed
        due = now if last is None else max(now, last.due_at + self.config.welcome_batch)
        await repos.deliveries.schedule(
            f"onb:welcome:{chat_id}:{int(due.timestamp())}",
            kind=GROUP_WELCOME,
            audience="group",
            chat_id=chat_id,
            due_at=due,
            stale_at=due + timedelta(hours=1),
            at=now,
        )

    async def _next_welcomer(self, repos: Repositories, chat_id: int) -> str | None:
        welcomers = self.config.welcomers
        if not welcomers:
            return None
        return welcomers[await repos.members.count_onboarded(chat_id) % len(welcomers)]

    async def on_leave(self, event: Event, ctx: Context) -> list[Action]:
        """A member who left gets nothing more."""
        assert isinstance(event, MemberLeft)
        if ctx.chat is not None and ctx.sender is not None:
            await ctx.repos.deliveries.skip_pending(
                chat_id=ctx.chat.id, user_id=ctx.sender.id, at=ctx.now, reason="left"
            )
        return []

    async def on_message(self, event: Event, ctx: Context) -> list[Action]:
        """A group message inside the window activates the member; so does a message
        to the bot from a member whose community is one to one."""
        assert isinstance(event, MessagePosted)
        member = ctx.member
        if event.chat.is_private and ctx.sender is not None:
            community = ctx.platform.community_of(event.chat)
            known = community and await ctx.repos.chats.get(community.platform, community.id)
            if not known:
                return []
            return await self.participated(ctx, known.id, ctx.sender.id, "message")
        if (
            member is not None
            and member.onboarding_started_at is not None
            and member.activated_at is None
        ):
            return await self.participated(ctx, member.chat_id, member.user_id, "message")
        return []

    async def on_start_button(self, event: Event, ctx: Context) -> list[Action]:
        """The "start here" button of the private welcome."""
        assert isinstance(event, ButtonPressed)
        if not event.data.startswith(START_BUTTON) or ctx.sender is None:
            return []
        texts = ctx.texts
        chat_id = stored_id(event.data.removeprefix(START_BUTTON))
        if chat_id is None:
            return []
        actions = await self.participated(ctx, chat_id, ctx.sender.id, "start_button")
        actions.append(SendMessage(chat=event.chat, text=texts.t("onboarding.started")))
        if event.press_id:
            actions.append(
                AnswerButton(press_id=event.press_id, text=texts.plain("onboarding.started_toast"))
            )
        return actions
