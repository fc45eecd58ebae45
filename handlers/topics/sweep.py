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
from datetime import datetime, timedelta

from handlers.actions import Action, NotifyStaff, SendMessage
from handlers.context import Community
from handlers.desk import DeskSettings, community_groups
from handlers.i18n import Catalog
from handlers.refs import chat_ref
from handlers.topics.holidays import Holiday
from handlers.topics.settings import TopicsSettings
from handlers.topics.slots import CronError, next_slots, slots_between
from handlers.topics.titles import title
from storage.records import ChatRecord, TopicScheduleRecord
from storage.repositories import Repositories

log = logging.getLogger(__name__)


class TopicSweep:
    __name__ = "topics"

    def __init__(
        self,
        config: TopicsSettings,
        catalog: Catalog,
        community: Community,
        desk: DeskSettings | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.config = config
        self.desk = desk or DeskSettings()
        self.holidays = config.calendar()
        self.catalog = catalog
        self.community = community
        self._rng = rng or random.Random()
        self._seeded: set[int] = set()

    async def __call__(self, repos: Repositories, now: datetime) -> list[Action]:
        if not self.config.enabled:
            return []
        actions: list[Action] = []
        chats = {chat.id: chat for chat in await community_groups(repos, self.desk)}
        for chat in chats.values():
            if chat.bot_status == "removed":
                if await repos.topics.pause_chat(chat.id):
                    staff = self.catalog.for_language(self.community.language)
                    title = chat.title or chat.external_id
                    actions.append(NotifyStaff(text=staff.t("topics.paused_removed", group=title)))
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
        actions.extend(await self._summaries(repos, chats, now))
        return actions

    async def next_due(self, repos: Repositories, now: datetime) -> datetime | None:
        """The next slot of any active schedule, or the next topic window to close,
        after ``now`` (a slot at ``now`` itself is the sweep's now, not next)."""
        if not self.config.enabled:
            return None
        moments = []
        groups = {chat.id for chat in await community_groups(repos, self.desk)}
        after = now + timedelta(microseconds=1)
        for schedule in await repos.topics.schedules(active_only=True):
            if schedule.chat_id not in groups:
                continue
            try:
                upcoming = next_slots(schedule.cron, self.community.timezone, after, 1)
            except CronError:
                continue
            moments.extend(slot.astimezone(now.tzinfo) for slot in upcoming)
        closing = await repos.topics.next_window_end(now)
        if closing is not None:
            moments.append(closing)
        return min(moments, default=None)

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
        *older, latest = due
        for slot in older:  # superseded by a later slot: never post a backlog
            await repos.topics.claim_slot(schedule.id, chat.id, slot, "missed")
        if now - latest > self.config.grace:
            if await repos.topics.claim_slot(schedule.id, chat.id, latest, "missed"):
                log.info("slot %s of schedule %s is past the grace window", latest, schedule.id)
            return []
        texts = self.catalog.for_language(chat.language or self.community.language)
        window_ends = now + self.config.window
        holiday = await self._holiday(repos, chat, latest)
        if holiday is not None:
            claimed = await repos.topics.claim_slot(
                schedule.id, chat.id, latest, "posted", posted_at=now,
                window_ends_at=window_ends, holiday=holiday.name,
            )  # fmt: skip
            if claimed is None:
                return []
            prompt, name = holiday.prompt_for(texts.language), holiday.name_for(texts.language)
            text = texts.t("topics.holiday_post", holiday=name, text=prompt)
            return [SendMessage(chat=chat_ref(chat), text=text)]
        pool = await repos.topics.pool(schedule.pool)
        if not pool:
            claimed = await repos.topics.claim_slot(schedule.id, chat.id, latest, "skipped")
            # A built-in schedule whose pool was never filled is simply not in use yet;
            # a schedule a moderator added deserves a warning.
            if claimed and not schedule.key.startswith("config:"):
                group = chat.title or chat.external_id
                staff = self.catalog.for_language(self.community.language)
                pool_name = title(staff, schedule.pool)
                warning = staff.t(
                    "topics.empty_pool", pool=pool_name, pool_id=schedule.pool, group=group
                )
                return [NotifyStaff(text=warning)]
            return []
        cycle, used = await repos.topics.current_cycle(chat.id, schedule.pool)
        fresh = [topic for topic in pool if topic.id not in used]
        if not fresh:  # the pool is used up: a new round, reshuffled
            cycle, fresh = cycle + 1, pool
        queued = await repos.topics.take_queued(chat.id, schedule.pool)
        topic = next((t for t in pool if t.id == queued), None) or self._rng.choice(fresh)
        claimed = await repos.topics.claim_slot(
            schedule.id, chat.id, latest, "posted", topic_id=topic.id, cycle=cycle,
            posted_at=now, window_ends_at=window_ends,
        )  # fmt: skip
        if claimed is None:
            return []
        text = texts.t("topics.post", name=title(texts, schedule.name), text=topic.text)
        return [SendMessage(chat=chat_ref(chat), text=text)]

    async def _holiday(
        self, repos: Repositories, chat: ChatRecord, slot: datetime
    ) -> Holiday | None:
        """The festival of the slot's local day, if no slot of that day used it yet."""
        local = slot.astimezone(self.community.timezone)
        holiday = self.holidays.get(local.date())
        if holiday is None:
            return None
        day_start = local.replace(hour=0, minute=0, second=0, microsecond=0)
        if await repos.topics.holiday_posted(chat.id, holiday.name, day_start):
            return None
        return holiday

    async def _summaries(
        self, repos: Repositories, chats: dict[int, ChatRecord], now: datetime
    ) -> list[Action]:
        """When a topic's window closes: thank the participants by name (once)."""
        actions: list[Action] = []
        for post in await repos.topics.windows_closed(now):
            if not await repos.topics.mark_summarized(post.id, now):
                continue
            chat = chats.get(post.chat_id)
            if not self.config.summary or not post.participants or chat is None:
                continue
            if post.window_ends_at and now - post.window_ends_at > self.config.grace:
                continue  # closed while the bot was down: thanks hours late are noise
            if chat.bot_status == "removed":
                continue
            texts = self.catalog.for_language(chat.language or self.community.language)
            names = await repos.topics.participant_names(post.id)
            text = texts.t("topics.summary", count=post.participants, names=texts.join(names))
            actions.append(SendMessage(chat=chat_ref(chat), text=text))
        return actions
