"""``[onboarding]``: the newcomer flow, read by its handlers as it is.

Default: 3 days of personal welcome, 7 days of essential content, 14 days of
topic guidance (3天专人欢迎 - 7天精华内容 - 14天话题引导).
"""

from __future__ import annotations

from datetime import time, timedelta
from enum import StrEnum
from typing import Literal

from pydantic import Field, field_validator

from handlers.config import Duration, PlatformIdList, Section, Window
from handlers.daily_window import DailyWindow


class Audience(StrEnum):
    #: The member, privately; members who cannot be written to privately (Telegram:
    #: never started the bot) are greeted in the group when the step allows it.
    PRIVATE = "private"
    #: The group, mentioning the member.
    GROUP = "group"
    #: The staff chat.
    STAFF = "staff"


Signal = Literal["message", "topic_answer", "checkin", "start_button"]
ACTIVATION_SIGNALS: tuple[Signal, ...] = ("message", "topic_answer", "checkin", "start_button")


class Step(Section):
    """One message of the flow, ``offset`` after the member joined."""

    id: str = Field(pattern=r"^[a-z0-9_]{1,32}$")
    offset: Duration = timedelta(0)
    audience: Audience = Audience.PRIVATE
    #: Catalog key ("" = ``onboarding.<id>``); ``.active`` / ``.silent`` variants adapt
    #: the text to whether the member already took part.
    template: str = ""
    #: The operator's own text instead of the catalog's (placeholders allowed).
    text: str | None = None
    #: Not worth sending later than this after it fell due.
    stale_after: Duration = timedelta(days=1)
    #: A private step for a member the bot cannot write to privately: greet them in
    #: the group instead, in one message per group for everyone that day.
    fallback_to_group: bool = False
    #: Skip this step for a member who already took part.
    skip_if_active: bool = False
    #: Adds the "start here" button.
    start_button: bool = False
    #: Also for members who reach the community one to one (WeChat 微信客服): sent
    #: privately inside their reply window, else skipped with the reason.
    one_to_one: bool = False

    @property
    def template_key(self) -> str:
        return self.template or f"onboarding.{self.id}"


DEFAULT_STEPS = (
    Step(id="welcome_private", audience=Audience.PRIVATE, start_button=True),
    Step(id="buddy", audience=Audience.STAFF, stale_after=timedelta(days=3)),
    Step(id="intro", offset=timedelta(days=1), skip_if_active=True),
    Step(
        id="checkin",
        offset=timedelta(days=3),
        stale_after=timedelta(days=2),
        fallback_to_group=True,
        one_to_one=True,
    ),
    Step(
        id="digest",
        offset=timedelta(days=7),
        stale_after=timedelta(days=3),
        fallback_to_group=True,
        one_to_one=True,
    ),
    Step(
        id="topic",
        offset=timedelta(days=14),
        stale_after=timedelta(days=3),
        fallback_to_group=True,
        one_to_one=True,
    ),
)


class ContentLink(Section):
    title: str
    url: str

    @field_validator("url")
    @classmethod
    def _link(cls, value: str) -> str:
        if not value.startswith(("https://", "http://", "tg://")):
            raise ValueError(f"{value!r} must start with https:// (or http://, tg://)")
        return value


class OnboardingSettings(Section):
    enabled: bool = True
    #: The flow; the built-in one is 3 days of welcome, 7 of content, 14 of topics.
    steps: tuple[Step, ...] = DEFAULT_STEPS
    activation_days: int = Field(14, ge=1, le=90)
    activation_signals: frozenset[Signal] = frozenset(ACTIVATION_SIGNALS)
    #: A member who leaves and rejoins starts over (at most once a day) instead of resuming.
    restart_on_rejoin: bool = False
    #: A lone newcomer is welcomed at once; joins within this many seconds of a
    #: welcome share the next one, so a burst of joins is one message.
    welcome_batch_seconds: int = Field(60, ge=0, le=3600)
    #: Remove the previous group welcome when posting a new one (keeps the group tidy).
    delete_previous_welcome: bool = False
    #: Staff or volunteer buddies, as ``platform:user_id``, assigned round-robin.
    welcomers: PlatformIdList = ()
    #: Private messages falling due in these local hours wait for the morning.
    quiet_hours: Window = DailyWindow(time(22, 0), time(8, 0))
    #: The day-7 digest: the community's essential posts.
    essential_content: tuple[ContentLink, ...] = ()
    #: How many of the most-asked FAQ entries the day-7 digest lists (0: none).
    digest_faq_entries: int = Field(3, ge=0, le=10)

    @field_validator("steps")
    @classmethod
    def _unique_steps(cls, steps: tuple[Step, ...]) -> tuple[Step, ...]:
        seen = set()
        for step in steps:
            if step.id in seen:
                raise ValueError(f"step id {step.id!r} is used twice")
            seen.add(step.id)
        return steps

    @property
    def activation_window(self) -> timedelta:
        return timedelta(days=self.activation_days)

    @property
    def welcome_batch(self) -> timedelta:
        return timedelta(seconds=self.welcome_batch_seconds)

    def step(self, step_id: str) -> Step | None:
        return next((step for step in self.steps if step.id == step_id), None)
