"""Scheduled discussion topics: 工作日答疑 - 周末话题 - 节日活动, posted on time,
with participation counted and rewarded."""

from __future__ import annotations

from handlers.events import MessagePosted
from handlers.points.economy import Economy, Participation
from handlers.roles import Role
from handlers.router import GROUP_ONLY, Command, Router
from handlers.topics import commands
from handlers.topics.config import TopicsConfig
from handlers.topics.participation import TopicParticipation
from handlers.topics.sweep import TopicSweep


def register(router: Router, economy: Economy, participation: Participation | None) -> None:
    taking_part = TopicParticipation(economy, participation)
    router.on(MessagePosted, taking_part.on_message, priority=30, name="topics.participation")
    router.command(
        Command("schedule", commands.schedule, Role.MODERATOR, "help.schedule", GROUP_ONLY)
    )
    router.command(Command("addtopic", commands.add_topic, Role.MODERATOR, "help.addtopic"))
    router.command(
        Command("nexttopic", commands.next_topic, Role.MODERATOR, "help.nexttopic", GROUP_ONLY)
    )
    router.command(
        Command("topicstats", commands.topic_stats, Role.MODERATOR, "help.topicstats", GROUP_ONLY)
    )


__all__ = ["TopicSweep", "TopicsConfig", "register"]
