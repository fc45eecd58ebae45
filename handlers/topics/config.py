"""The discussion programme (built from ``[topics]`` in the config)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from handlers.topics.holidays import HolidayCalendar


@dataclass(frozen=True, slots=True)
class ScheduleRule:
    name: str
    #: Five-field cron in the community's timezone, e.g. ``0 20 * * sat``.
    cron: str
    pool: str


DEFAULT_SCHEDULES = (
    ScheduleRule("weekend", "0 20 * * sat", "weekend"),  # 周末话题
    ScheduleRule("qa", "0 12 * * mon-fri", "qa"),  # 工作日答疑
    ScheduleRule("expert", "0 19 1-7 * mon", "expert"),  # the first Monday: 月度专家分享
)


@dataclass(frozen=True, slots=True)
class TopicsConfig:
    enabled: bool = True
    #: Applied to every group the bot is in; moderators add, pause and remove per group.
    schedules: tuple[ScheduleRule, ...] = field(default_factory=lambda: DEFAULT_SCHEDULES)
    #: Messages in the group this long after a topic is posted count as taking part.
    window: timedelta = timedelta(hours=3)
    #: A slot that fell due while the bot was down is posted late only within this.
    grace: timedelta = timedelta(hours=1)
    #: Festivals by local date; the day's first slot posts the festival's prompt.
    holidays: HolidayCalendar = field(default_factory=HolidayCalendar)
    #: Post a short thank-you naming the participants when a topic's window closes.
    summary: bool = True
