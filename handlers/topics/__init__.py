"""Scheduled discussion topics: 工作日答疑 - 周末话题 - 节日活动, posted on time,
with participation counted and rewarded."""

from __future__ import annotations

from handlers.commands import number, text, word
from handlers.events import MessagePosted
from handlers.points.economy import Economy, Participation
from handlers.roles import Role
from handlers.router import GROUP_ONLY, Router, declare
from handlers.topics import commands
from handlers.topics.holidays import HolidayCalendar
from handlers.topics.participation import TopicParticipation
from handlers.topics.settings import TopicsSettings
from handlers.topics.slots import CRON_FIELDS
from handlers.topics.sweep import TopicSweep


def register(
    router: Router,
    economy: Economy,
    participation: Participation | None,
    calendar: HolidayCalendar | None = None,
) -> None:
    taking_part = TopicParticipation(economy, participation)
    router.on(MessagePosted, taking_part.on_message, priority=30, name="topics.participation")
    listing: tuple = ()
    adding = (
        word("action", choices=("add",)),
        *(word(field) for field in CRON_FIELDS),
        word("pool"),
        text("name", optional=True),
    )
    changing = (word("action", choices=("pause", "resume", "remove")), number("id"))
    for declared in (
        declare("schedule", commands.schedule, Role.MODERATOR, where=GROUP_ONLY,
                forms=(listing, adding, changing), needs="group_messages"),
        declare("addtopic", commands.add_topic, Role.MODERATOR,
                args=(word("pool"), text("topic"))),
        declare("nexttopic", commands.next_topic, Role.MODERATOR, where=GROUP_ONLY,
                args=(word("pool"), text("topic")), needs="group_messages"),
        declare("topicstats", commands.TopicStats(calendar or HolidayCalendar()),
                Role.MODERATOR, where=GROUP_ONLY, needs="group_messages"),
    ):  # fmt: skip
        router.command(declared)


__all__ = ["TopicSweep", "TopicsSettings", "register"]
