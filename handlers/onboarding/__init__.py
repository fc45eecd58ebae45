"""Onboarding: 3 days of personal welcome, 7 days of essential content, 14 days
of topic guidance — for every new member, on every channel."""

from __future__ import annotations

from handlers.commands import SWITCH_ALIASES, text, word
from handlers.events import ButtonPressed, MemberJoined, MemberLeft, MessagePosted
from handlers.onboarding import commands
from handlers.onboarding.flow import OnboardingFlow
from handlers.roles import Role
from handlers.router import GROUP_ONLY, Router, declare


def register(router: Router, flow: OnboardingFlow) -> None:
    router.on(MemberJoined, flow.on_join, priority=100, name="onboarding.join")
    router.on(MemberLeft, flow.on_leave, priority=100, name="onboarding.leave")
    router.on(MessagePosted, flow.on_message, priority=10, name="onboarding.activation")
    router.on(
        ButtonPressed, flow.on_start_button, priority=100, name="onboarding.start", exclusive=True
    )
    on_off = word("switch", optional=True, choices=("on", "off"), aliases=SWITCH_ALIASES)
    for declared in (
        declare("setwelcome", commands.set_welcome, Role.MODERATOR, where=GROUP_ONLY,
                args=(text("welcome"),), needs="group_messages"),
        declare("welcome", commands.preview_welcome, Role.MODERATOR, where=GROUP_ONLY,
                needs="group_messages"),
        declare("onboarding", commands.onboarding, Role.MODERATOR, where=GROUP_ONLY,
                args=(on_off,)),
    ):  # fmt: skip
        router.command(declared)
