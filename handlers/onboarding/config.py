"""The onboarding flow as plain values (built from ``[onboarding]`` in the config).

Default: 3 days of personal welcome, 7 days of essential content, 14 days of
topic guidance (3天专人欢迎 - 7天精华内容 - 14天话题引导).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import time, timedelta
from enum import StrEnum


class Audience(StrEnum):
    #: The member, privately (Telegram refuses members who never started the bot).
    PRIVATE = "private"
    #: The group, mentioning the member.
    GROUP = "group"
    #: The staff chat.
    STAFF = "staff"


ACTIVATION_SIGNALS = ("message", "topic_answer", "checkin", "start_button")


@dataclass(frozen=True, slots=True)
class Step:
    """One message of the flow, ``offset`` after the member joined."""

    id: str
    offset: timedelta
    audience: Audience
    #: Catalog key; ``<key>.active`` / ``<key>.silent`` variants adapt to the member.
    template: str
    #: Not worth sending later than this after it fell due.
    stale_after: timedelta
    #: An operator's own text instead of the catalog's (placeholders allowed).
    text: str | None = None
    #: Refused privately (never started the bot): mention the member in the group instead.
    fallback_to_group: bool = False
    #: Skip this step for a member who already took part.
    skip_if_active: bool = False
    #: Adds the "start here" button.
    start_button: bool = False


DEFAULT_STEPS = (
    Step(
        "welcome_private",
        timedelta(0),
        Audience.PRIVATE,
        "onboarding.welcome_private",
        timedelta(days=1),
        start_button=True,
    ),
    Step("buddy", timedelta(0), Audience.STAFF, "onboarding.buddy", timedelta(days=3)),
    Step(
        "intro",
        timedelta(days=1),
        Audience.PRIVATE,
        "onboarding.intro",
        timedelta(days=1),
        skip_if_active=True,
    ),
    Step(
        "checkin",
        timedelta(days=3),
        Audience.PRIVATE,
        "onboarding.checkin",
        timedelta(days=2),
        fallback_to_group=True,
    ),
    Step("digest", timedelta(days=7), Audience.PRIVATE, "onboarding.digest", timedelta(days=3)),
    Step("topic", timedelta(days=14), Audience.PRIVATE, "onboarding.topic", timedelta(days=3)),
)


@dataclass(frozen=True, slots=True)
class OnboardingConfig:
    enabled: bool = True
    steps: tuple[Step, ...] = DEFAULT_STEPS
    activation_window: timedelta = timedelta(days=14)
    activation_signals: frozenset[str] = frozenset(ACTIVATION_SIGNALS)
    #: A member who leaves and rejoins starts over (at most once a day) instead of resuming.
    restart_on_rejoin: bool = False
    #: Joins within this window share one group welcome.
    welcome_batch: timedelta = timedelta(seconds=60)
    #: Staff or volunteer buddies, as ``platform:user_id``, assigned round-robin.
    welcomers: tuple[str, ...] = ()
    #: Private messages falling due between these local times wait for the morning.
    quiet_start: time | None = time(22, 0)
    quiet_end: time | None = time(8, 0)
    #: The day-7 digest: (title, url) of the community's essential posts.
    essential_content: tuple[tuple[str, str], ...] = field(default_factory=tuple)
    #: How many most-asked FAQ entries the day-7 digest lists (0: none).
    digest_faq_entries: int = 3
