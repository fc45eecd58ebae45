"""``[points]``: the rules of the points economy, read by its handlers as it is.

Names of levels, badges and rewards come from the message catalog
(``points_names.ID``) when it has them, else from the config's ``name`` /
``name_en`` — operators name their own without touching the catalogs.
"""

from __future__ import annotations

from datetime import timedelta
from difflib import SequenceMatcher
from itertools import pairwise
from typing import Literal, TypeVar

from pydantic import Field, field_validator

from handlers.commands import QUOTES
from handlers.config import Section
from handlers.i18n import Texts

Stat = Literal["messages", "checkins", "best_streak", "helpful", "topics", "invites", "early"]


class Named(Section):
    id: str = Field(pattern=r"^[a-z0-9_]{1,32}$")
    name: str = ""
    name_en: str = ""

    def label(self, texts: Texts) -> str:
        key = f"points_names.{self.id}"
        if texts.has(key):
            return texts.plain(key)
        if texts.language == "en" and self.name_en:
            return self.name_en
        return self.name or self.name_en or self.id


class Level(Named):
    #: Points earned (lifetime) needed for this level.
    at: int = Field(0, ge=0)


class BadgeRule(Named):
    #: The account statistic it counts and the value that earns it; omit for a manual badge.
    stat: Stat | None = None
    at_least: int = Field(1, ge=1)


class Reward(Named):
    cost: int = Field(ge=1)
    stock: int = Field(ge=0)


DEFAULT_LEVELS = (
    Level(id="newcomer", at=0),
    Level(id="active", at=100),
    Level(id="core", at=500),
    Level(id="star", at=2000),
)
DEFAULT_BADGES = (
    BadgeRule(id="first_message", stat="messages", at_least=1),
    BadgeRule(id="streak_7", stat="best_streak", at_least=7),
    BadgeRule(id="helper", stat="helpful", at_least=5),
    BadgeRule(id="topic_regular", stat="topics", at_least=10),
    BadgeRule(id="early_member", stat="early", at_least=1),
    BadgeRule(id="inviter", stat="invites", at_least=3),
    BadgeRule(id="mvp"),  # manual
)


class PointsSettings(Section):
    enabled: bool = True
    #: ``chat``: each group (and each 微信客服 or Official Account) has its own economy;
    #: ``community``: one balance, leaderboard and badges for the whole community, so a
    #: member with linked accounts (``/link``) has one balance on every platform.
    scope: Literal["chat", "community"] = "chat"
    message_points: int = Field(1, ge=0)
    message_cooldown_seconds: int = Field(60, ge=0)
    message_daily_cap: int = Field(20, ge=0)
    message_min_length: int = Field(5, ge=0)
    checkin_points: int = Field(5, ge=0)
    #: Streak day → bonus points, e.g. {"3" = 5, "7" = 20, "30" = 100}.
    streak_bonuses: dict[int, int] = Field(default_factory=lambda: {3: 5, 7: 20, 30: 100})
    helpful_points: int = Field(10, ge=0)
    #: This many people (not the author) reacting to a rewarded message earn its author
    #: helpful_points too; 0 switches reactions off.
    reactions_needed: int = Field(3, ge=0)
    topic_points: int = Field(5, ge=0)
    onboarding_points: int = Field(10, ge=0)
    #: An inviter earns invite_points once a friend who joined by their /invite link stayed.
    invite_points: int = Field(20, ge=0)
    invite_stay_days: int = Field(3, ge=0)
    #: A member first seen within this many days of the chat earns "early member".
    early_days: int = Field(30, ge=0)
    max_manual_amount: int = Field(500, ge=1)
    moderator_daily_limit: int = Field(1000, ge=0)
    allow_self_grant: bool = False
    levels: tuple[Level, ...] = DEFAULT_LEVELS
    badges: tuple[BadgeRule, ...] = DEFAULT_BADGES
    rewards: tuple[Reward, ...] = ()

    @field_validator("levels")
    @classmethod
    def _levels_ascend(cls, value: tuple[Level, ...]) -> tuple[Level, ...]:
        if not value or value[0].at != 0 or any(a.at >= b.at for a, b in pairwise(value)):
            raise ValueError("levels must start at 0 and rise strictly")
        return value

    @field_validator("levels", "badges", "rewards")
    @classmethod
    def _unique_ids(cls, value: tuple[Named, ...]) -> tuple[Named, ...]:
        ids = [item.id for item in value]
        twice = sorted({i for i in ids if ids.count(i) > 1})
        if twice:
            raise ValueError(f"id {twice[0]!r} is used twice")
        return value

    @property
    def message_cooldown(self) -> timedelta:
        return timedelta(seconds=self.message_cooldown_seconds)

    @property
    def invite_stay(self) -> timedelta:
        return timedelta(days=self.invite_stay_days)

    def level_for(self, earned: int) -> int:
        """Index of the highest level ``earned`` reaches."""
        reached = 0
        for index, level in enumerate(self.levels):
            if earned >= level.at:
                reached = index
        return reached

    def badge(self, name: str, texts: Texts | None = None) -> BadgeRule | None:
        """A badge by its id or by its name as members see it (社区MVP, not mvp)."""
        return _named(self.badges, name, texts)

    def reward(self, name: str, texts: Texts | None = None) -> Reward | None:
        """A reward by its id or by its name as members see it."""
        return _named(self.rewards, name, texts)

    def reward_like(self, name: str, texts: Texts | None = None) -> Reward | None:
        """The one reward ``name`` probably meant when it names none (马克杯 for 社群马克杯,
        a typo), so a member is asked rather than just refused; None when unclear."""
        wanted = _folded(name)
        if not wanted:
            return None
        near = []
        for item in self.rewards:
            names = [_folded(known) for known in _names(item, texts) if known]
            if any(wanted in known or _close(wanted, known) for known in names):
                near.append(item)
        return near[0] if len(near) == 1 else None


N = TypeVar("N", bound=Named)
QUOTE_MARKS = frozenset(QUOTES) | frozenset(QUOTES.values())


#: How alike a typed name and a known one must be to be suggested (优惠卷 for 优惠券).
CLOSE_ENOUGH = 0.6


def _folded(text: str) -> str:
    """Spaces and quotes left out: 社区MVP and “社区 MVP” name 社区 MVP."""
    return "".join(ch for ch in text if not ch.isspace() and ch not in QUOTE_MARKS).lower()


def _names(item: Named, texts: Texts | None) -> list[str]:
    """Every way a member may have seen it named: id, both names, the catalog's label."""
    return [item.id, item.name, item.name_en, item.label(texts) if texts else ""]


def _close(wanted: str, known: str) -> bool:
    """Alike enough to ask about: a mistyped character in a short Chinese name counts."""
    return SequenceMatcher(None, wanted, known).ratio() >= CLOSE_ENOUGH


def _named(items: tuple[N, ...], name: str, texts: Texts | None) -> N | None:
    wanted = _folded(name)
    for item in items:
        if any(wanted == _folded(known) for known in _names(item, texts) if known):
            return item
    return None
