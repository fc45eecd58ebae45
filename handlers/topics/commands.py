"""/schedule and /addtopic: moderators shape the programme of their group."""

from __future__ import annotations

from datetime import datetime

from markupsafe import Markup

from handlers.actions import Action, reply
from handlers.commands import stored_id
from handlers.context import Context
from handlers.events import CommandIssued
from handlers.i18n import shortened
from handlers.topics.holidays import HolidayCalendar
from handlers.topics.slots import (
    CRON_FIELDS,
    CronError,
    cron_problem,
    next_slots,
    same_slots,
    trigger,
)
from handlers.topics.titles import folded, pool_and_rest, title
from storage.records import TopicScheduleRecord
from storage.repositories import Repositories

MAX_TOPIC = 3500
UPCOMING = 3


async def schedule(event: CommandIssued, ctx: Context) -> list[Action]:
    """``/schedule`` lists; ``add``, ``pause``, ``resume`` and ``remove`` change one."""
    texts, args = ctx.texts, ctx.args
    assert ctx.chat is not None
    action = args["action"]
    if action is None:
        return [reply(event.message, await _listing(ctx))]
    if action == "add":
        return [reply(event.message, await _add(ctx))]
    schedule_id = args["id"]
    done = await change_schedule(ctx.repos, schedule_id, ctx.chat.id, action, ctx.now)
    key = f"topics.{action}d" if done else "topics.no_schedule"
    return [reply(event.message, texts.t(key, id=schedule_id))]


async def _add(ctx: Context) -> Markup:
    """``/schedule add``: a valid rule that fires, not the same as one the group has."""
    texts, args = ctx.texts, ctx.args
    assert ctx.chat is not None
    cron = " ".join(args[name] for name in CRON_FIELDS)
    sizes = await ctx.repos.topics.pool_sizes()
    pool, name = pool_and_rest(texts, args["pool"], args.get("name") or "", sizes, leave_text=False)
    name = name or pool
    try:
        trigger(cron, ctx.community.timezone)
    except CronError:
        key, values = cron_problem(cron)
        if "field" in values:
            values["field"] = texts.plain(f"topics.cron_{values['field']}")
        return texts.t("topics.bad_cron", cron=cron, error=texts.t(key, **values))
    upcoming = next_slots(cron, ctx.community.timezone, ctx.now, 1)
    if not upcoming:  # 31 February: valid fields, no day it could ever fire
        return texts.t("topics.never_fires", cron=cron)
    twin = await _same_schedule(ctx, cron, pool)
    if twin is not None:
        key = "topics.exists_paused" if twin.paused else "topics.exists"
        shown = title(texts, twin.name)
        return texts.t(key, id=twin.id, name=shown, cron=twin.cron, pool=title(texts, pool))
    added = await ctx.repos.topics.add_schedule(ctx.chat.id, name[:64], cron, pool, ctx.now)
    when = _when(upcoming[0], ctx)
    answer = texts.t("topics.added", id=added.id, when=when, pool=title(texts, pool))
    if not sizes.get(pool):
        empty = texts.t("topics.added_empty_pool", pool=title(texts, pool), pool_id=pool)
        answer = Markup("{}\n{}").format(answer, empty)
    return answer


async def _pool(ctx: Context, typed: str, rest: str) -> tuple[str, str]:
    """The pool a moderator's command names (by its code, or a built-in one by its name,
    spaces and all) and the text after it."""
    return pool_and_rest(ctx.texts, typed, rest, await ctx.repos.topics.pool_sizes())


async def _same_schedule(ctx: Context, cron: str, pool: str) -> TopicScheduleRecord | None:
    """The group's schedule (paused ones too) that already posts from ``pool`` at the
    moments ``cron`` names: a second one would post every topic twice."""
    assert ctx.chat is not None
    zone = ctx.community.timezone
    for item in await ctx.repos.topics.schedules(ctx.chat.id):
        if item.pool == pool and same_slots(item.cron, cron, zone, ctx.now):
            return item
    return None


async def change_schedule(
    repos: Repositories, schedule_id: int, chat_id: int, action: str, now: datetime
) -> bool:
    """Pause, resume or remove one of the chat's schedules (the command's and the
    console's one rule); False when the chat has no such schedule."""
    changes = {
        "pause": {"paused": True},
        "resume": {"paused": False, "checked_until": now},  # no backlog after a pause
        "remove": {"removed": True},
    }[action]
    return await repos.topics.set_schedule_state(schedule_id, chat_id, **changes)


def _when(slot: datetime, ctx: Context) -> str:
    return slot.astimezone(ctx.community.timezone).strftime("%m-%d %H:%M")


async def _listing(ctx: Context) -> Markup:
    texts = ctx.texts
    assert ctx.chat is not None
    schedules = await ctx.repos.topics.schedules(ctx.chat.id)
    if not schedules:
        return texts.t("topics.none")
    sizes = await ctx.repos.topics.pool_sizes()
    lines = [texts.t("topics.heading", zone=str(ctx.community.timezone))]
    for item in schedules:
        size, pool = sizes.get(item.pool, 0), title(texts, item.pool)
        if item.paused:
            when = texts.plain("topics.when_paused")
        elif not size:
            when = texts.plain("topics.when_empty", pool=pool, pool_id=item.pool)
        else:
            try:
                upcoming = next_slots(item.cron, ctx.community.timezone, ctx.now, UPCOMING)
            except CronError:
                upcoming = []
            when = ", ".join(_when(slot, ctx) for slot in upcoming) or "—"
        state = texts.plain("topics.paused_mark") if item.paused else ""
        lines.append(
            texts.t("topics.line", id=item.id, name=title(texts, item.name), cron=item.cron,
                    pool=pool, count=size, when=when, state=state)
        )  # fmt: skip
    return Markup("\n").join(lines)


async def add_topic(event: CommandIssued, ctx: Context) -> list[Action]:
    texts = ctx.texts
    sizes = await ctx.repos.topics.pool_sizes()
    code, text = pool_and_rest(texts, ctx.args["pool"], ctx.args["topic"], sizes)
    if len(text) > MAX_TOPIC:
        return [reply(event.message, texts.t("topics.too_long", limit=MAX_TOPIC, length=len(text)))]
    same = next(
        (t for t in await ctx.repos.topics.pool(code) if folded(t.text) == folded(text)), None
    )
    if same is not None:
        exists = texts.t("topics.topic_exists", id=same.id, pool=title(texts, code))
        return [reply(event.message, exists)]
    known = set(sizes) | {schedule.pool for schedule in await ctx.repos.topics.schedules()}
    topic = await ctx.repos.topics.add_topic(code, text, ctx.now)
    added = texts.t("topics.topic_added", id=topic.id, pool=title(texts, topic.pool))
    if code not in known:  # a slip of the pool's name makes a pool nothing posts from
        pools = texts.join(sorted(title(texts, name) for name in known)) or "—"
        new = texts.t("topics.new_pool", pool=title(texts, code), pool_id=code, pools=pools)
        added = Markup("{}\n{}").format(added, new)
    return [reply(event.message, added)]


async def next_topic(event: CommandIssued, ctx: Context) -> list[Action]:
    """``/nexttopic POOL TEXT`` or ``/nexttopic POOL #ID``: the pool's next slot posts it."""
    texts = ctx.texts
    assert ctx.chat is not None
    pool, rest = await _pool(ctx, ctx.args["pool"], ctx.args["topic"])
    if rest.startswith("#") and rest[1:].isdigit():
        number = stored_id(rest[1:])
        topic = await ctx.repos.topics.get_topic(number) if number is not None else None
        if topic is None or topic.pool != pool:
            missing = texts.t("topics.no_topic", id=rest[1:], pool=title(texts, pool))
            return [reply(event.message, missing)]
    else:
        if len(rest) > MAX_TOPIC:
            too_long = texts.t("topics.too_long", limit=MAX_TOPIC, length=len(rest))
            return [reply(event.message, too_long)]
        topic = await ctx.repos.topics.add_topic(pool, rest, ctx.now)
    await ctx.repos.topics.queue(ctx.chat.id, pool, topic.id, ctx.now)
    return [reply(event.message, texts.t("topics.queued", id=topic.id, pool=title(texts, pool)))]


class TopicStats:
    """``/topicstats``: participation per topic, most recent first; a festival post by
    the festival's name in the group's language."""

    def __init__(self, calendar: HolidayCalendar) -> None:
        self.calendar = calendar

    async def __call__(self, event: CommandIssued, ctx: Context) -> list[Action]:
        texts = ctx.texts
        assert ctx.chat is not None
        posts = [p for p in await ctx.repos.topics.posts(ctx.chat.id, 20) if p.status == "posted"]
        if not posts:
            return [reply(event.message, texts.t("topics.stats_none"))]
        lines = [texts.t("topics.stats_heading")]
        for post in posts[:10]:
            title = self.calendar.name_for(post.holiday, texts.language) if post.holiday else "—"
            if post.topic_id is not None:
                topic = await ctx.repos.topics.get_topic(post.topic_id)
                title = topic.text if topic else title
            when = post.slot_at.astimezone(ctx.community.timezone).strftime("%m-%d %H:%M")
            line = texts.t(
                "topics.stats_line", when=when, topic=shortened(title, 30), count=post.participants
            )
            lines.append(line)
        return [reply(event.message, Markup("\n").join(lines))]
