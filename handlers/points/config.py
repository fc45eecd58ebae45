"""The rules of the points economy (built from ``[points]`` in the config).

Names of levels, badges and rewards come from the message catalog
(``points_names.ID``) when it has them, else from the config's ``name`` /
``name_en`` — operators name their own without touching the catalogs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from handlers.i18n import Texts


@dataclass(frozen=True, slots=True)
class Named:
    id: str
    name: str = ""
    name_en: str = ""

    def label(self, texts: Texts) -> str:
        key = f"points_names.{self.id}"
        if texts.has(key):
            return texts.plain(key)
        if texts.language == "en" and self.name_en:
            return self.name_en
        return self.name or self.name_en or self.id


@dataclass(frozen=True, slots=True)
class Level(Named):
    #: Points earned (lifetime) needed.
    at: int = 0


@dataclass(frozen=True, slots=True)
class BadgeRule(Named):
    #: The account statistic it counts (messages, checkins, best_streak, helpful, topics,
    #: invites, early) and the value that earns it; manual badges have no statistic.
    stat: str | None = None
    at_least: int = 1


@dataclass(frozen=True, slots=True)
class Reward(Named):
    cost: int = 100
    stock: int = 0


DEFAULT_LEVELS = (
    Level("newcomer", at=0),
    Level("active", at=100),
    Level("core", at=500),
    Level("star", at=2000),
)
DEFAULT_BADGES = (
    BadgeRule("first_message", stat="messages", at_least=1),
    BadgeRule("streak_7", stat="best_streak", at_least=7),
    BadgeRule("helper", stat="helpful", at_least=5),
    BadgeRule("topic_regular", stat="topics", at_least=10),
    BadgeRule("early_member", stat="early", at_least=1),
    BadgeRule("inviter", stat="invites", at_least=3),
    BadgeRule("mvp"),  # manual
)
BADGE_STATS = frozenset(
    {"messages", "checkins", "best_streak", "helpful", "topics", "invites", "early"}
)


@dataclass(frozen=True, slots=True)
class PointsConfig:
    enabled: bool = True
    message_points: int = 1
    message_cooldown: timedelta = timedelta(seconds=60)
    message_daily_cap: int = 20
    message_min_length: int = 5
    checkin_points: int = 5
    #: Extra points on reaching these streak days.
    streak_bonuses: dict[int, int] = field(default_factory=lambda: {3: 5, 7: 20, 30: 100})
    helpful_points: int = 10
    #: This many other people reacting to a rewarded message make it helpful (0: off).
    reactions_needed: int = 3
    topic_points: int = 5
    invite_points: int = 20
    invite_stay: timedelta = timedelta(days=3)
    onboarding_points: int = 10
    #: A member who first appeared within this many days of the chat earns "early member".
    early_days: int = 30
    max_manual_amount: int = 500
    moderator_daily_limit: int = 1000
    allow_self_grant: bool = False
    levels: tuple[Level, ...] = DEFAULT_LEVELS
    badges: tuple[BadgeRule, ...] = DEFAULT_BADGES
    rewards: tuple[Reward, ...] = ()

    def level_for(self, earned: int) -> int:
        """Index of the highest level ``earned`` reaches."""
        reached = 0
        for index, level in enumerate(self.levels):
            if earned >= level.at:
                reached = index
        return reached

    def badge(self, badge_id: str) -> BadgeRule | None:
        return next((b for b in self.badges if b.id == badge_id), None)

    def reward(self, reward_id: str) -> Reward | None:
        return next((r for r in self.rewards if r.id == reward_id.lower()), None)
