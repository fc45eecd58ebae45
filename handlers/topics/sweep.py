"""Posting the programme: the sweep decides every slot exactly once.

A slot is claimed by a unique (schedule, slot) row before anything is sent,
so restarts and racing sweeps never post it twice. A slot that fell due
while the bot was down is posted on start-up only within the grace window;
older ones are recorded as missed. An empty pool skips the slot and tells
staff; a group that removed the bot pauses its schedules and tells staff.
"""

from __future__ import annotations

import logging
import random
from datetime import datetime

from handlers.actions import Action, NotifyStaff, SendMessage
from handlers.context import Community
from handlers.i18n import Catalog
from handlers.points.economy import chat_ref_of
from handlers.topics.config import TopicsConfig
from handlers.topics.slots import CronError, slots_between
from storage.records import ChatRecord, TopicScheduleRecord
from storage.repositories import Repositories

log = logging.getLogger(__name__)


class TopicSweep:
    __name__ = "topics"

    def __init__(
        self,
        config: TopicsConfig,
        catalog: Catalog,
        community: Community,
        rng: random.Random | None = None,
    ) -> None:
        self.config = config
        self.catalog = catalog
        self.community = community
        self._rng = rng or random.Random()
        self._seeded: set[int] = set()

    async def __call__(self, repos: Repositories, now: datetime) -> list[Action]:
        if not self.config.enabled:
            return []
        actions: list[Action] = []
        chats = {chat.id: chat for chat in await repos.chats.list_groups()}
        for chat in chats.values():
            if chat.bot_status == "removed":
                if await repos.topics.pause_chat(chat.id):
                    texts = self.catalog.for_language(chat.language or self.community.language)
                    title = chat.title or chat.external_id
                    actions.append(NotifyStaff(text=texts.t("topics.paused_removed", group=title)))
                continue
            if chat.id not in self._seeded:
                for rule in self.config.schedules:
                    await repos.topics.ensure_schedule(
                        chat.id, f"config:{rule.name}", rule.name, rule.cron, rule.pool, now
                    )
                self._seeded.add(chat.id)
        for schedule in await repos.topics.schedules(active_only=True):
            chat = chats.get(schedule.chat_id)
            if chat is None or chat.bot_status == "removed":
                continue
            actions.extend(await self._run(repos, schedule, chat, now))
        return actions

    async def _run(
        self, repos: Repositories, schedule: TopicScheduleRecord, chat: ChatRecord, now: datetime
    ) -> list[Action]:
        try:
            due = slots_between(schedule.cron, self.community.timezone, schedule.checked_until, now)
        except CronError:
            log.warning("schedule %s has a broken rule %r; skipped", schedule.id, schedule.cron)
            return []
        if not due:
            return []
        await repos.topics.set_schedule_state(schedule.id, chat.id, checked_until=now)
        actions: list[Action] = []
        *older, latest = due
        for slot in older:  # superseded by a later slot: never post a backlog
            await repos.topics.claim_slot(schedule.id, chat.id, slot, "missed")
        if now - latest > self.config.grace:
            if await repos.topics.claim_slot(schedule.id, chat.id, latest, "missed"):
                log.info("slot %s of schedule %s is past the grace window; missed", latest,
                         schedule.id)  # fmt: skip
            return actions
        texts = self.catalog.for_language(chat.language or self.community.language)
        pool = await repos.topics.pool(schedule.pool)
        if not pool:
            claimed = await repos.topics.claim_slot(schedule.id, chat.id, latest, "skipped")
            # A built-in schedule whose pool was never filled is simply not in use yet;
            # a schedule a moderator added deserves a warning.
            if claimed and not schedule.key.startswith("config:"):
                actions.append(
                    NotifyStaff(
                        text=texts.t("topics.empty_pool", pool=schedule.pool,
                                     group=chat.title or chat.external_id)
                    )
                )  # fmt: skip
            return actions
        cycle, used = await repos.topics.current_cycle(chat.id, schedule.pool)
        fresh = [topic for topic in pool if topic.id not in used]
        if not fresh:  # the pool is used up: a new round, reshuffled
            cycle, fresh = cycle + 1, pool
        topic = self._rng.choice(fresh)
        claimed = await repos.topics.claim_slot(
            schedule.id, chat.id, latest, "posted", topic_id=topic.id, cycle=cycle,
            posted_at=now, window_ends_at=now + self.config.window,
        )  # fmt: skip
        if claimed is None:
            return actions
        text = texts.t("topics.post", name=schedule.name, text=topic.text)
        actions.append(SendMessage(chat=chat_ref_of(chat), text=text))
        return actions
