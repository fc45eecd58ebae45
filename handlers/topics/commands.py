"""/schedule and /addtopic: moderators shape the programme of their group."""

from __future__ import annotations

from datetime import datetime

from markupsafe import Markup

from handlers.actions import Action, reply
from handlers.context import Context
from handlers.events import CommandIssued
from handlers.i18n import shortened
from handlers.topics.slots import CRON_FIELDS, CronError, cron_problem, next_slots, trigger
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
        cron = " ".join(args[name] for name in CRON_FIELDS)
        pool = args["pool"].lower()[:32]
        name = args.get("name", pool)
        try:
            trigger(cron, ctx.community.timezone)
        except CronError:
            key, values = cron_problem(cron)
            if "field" in values:
                values["field"] = texts.plain(f"topics.cron_{values['field']}")
            problem = texts.t(key, **values)
            return [reply(event.message, texts.t("topics.bad_cron", cron=cron, error=problem))]
        upcoming = next_slots(cron, ctx.community.timezone, ctx.now, 1)
        if not upcoming:  # 31 February: valid fields, no day it could ever fire
            return [reply(event.message, texts.t("topics.never_fires", cron=cron))]
        added = await ctx.repos.topics.add_schedule(ctx.chat.id, name[:64], cron, pool, ctx.now)
        answer = texts.t("topics.added", id=added.id, when=_when(upcoming[0], ctx), pool=pool)
        if not (await ctx.repos.topics.pool_sizes()).get(pool):
            answer = Markup("{}\n{}").format(answer, texts.t("topics.added_empty_pool", pool=pool))
        return [reply(event.message, answer)]
    schedule_id = args["id"]
    done = await change_schedule(ctx.repos, schedule_id, ctx.chat.id, action, ctx.now)
    key = f"topics.{action}d" if done else "topics.no_schedule"
    return [reply(event.message, texts.t(key, id=schedule_id))]


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
        size = sizes.get(item.pool, 0)
        if item.paused:
            when = texts.plain("topics.when_paused")
        elif not size:
            when = texts.plain("topics.when_empty", pool=item.pool)
        else:
            try:
                upcoming = next_slots(item.cron, ctx.community.timezone, ctx.now, UPCOMING)
            except CronError:
                upcoming = []
            when = ", ".join(_when(slot, ctx) for slot in upcoming) or "—"
        state = texts.plain("topics.paused_mark") if item.paused else ""
        lines.append(
            texts.t("topics.line", id=item.id, name=item.name, cron=item.cron, pool=item.pool,
                    count=size, when=when, state=state)
        )  # fmt: skip
    return Markup("\n").join(lines)


async def add_topic(event: CommandIssued, ctx: Context) -> list[Action]:
    texts = ctx.texts
    pool, text = ctx.args["pool"], ctx.args["topic"]
    if len(text) > MAX_TOPIC:
        return [reply(event.message, texts.t("topics.too_long", limit=MAX_TOPIC, length=len(text)))]
    topic = await ctx.repos.topics.add_topic(pool.lower()[:32], text, ctx.now)
    return [reply(event.message, texts.t("topics.topic_added", id=topic.id, pool=topic.pool))]


async def next_topic(event: CommandIssued, ctx: Context) -> list[Action]:
    """``/nexttopic POOL TEXT`` or ``/nexttopic POOL #ID``: the pool's next slot posts it."""
    texts = ctx.texts
    assert ctx.chat is not None
    pool, rest = ctx.args["pool"].lower()[:32], ctx.args["topic"]
    if rest.startswith("#") and rest[1:].isdigit():
        topic = await ctx.repos.topics.get_topic(int(rest[1:]))
        if topic is None or topic.pool != pool:
            return [reply(event.message, texts.t("topics.no_topic", id=rest[1:], pool=pool))]
    else:
        if len(rest) > MAX_TOPIC:
            too_long = texts.t("topics.too_long", limit=MAX_TOPIC, length=len(rest))
            return [reply(event.message, too_long)]
        topic = await ctx.repos.topics.add_topic(pool, rest, ctx.now)
    await ctx.repos.topics.queue(ctx.chat.id, pool, topic.id, ctx.now)
    return [reply(event.message, texts.t("topics.queued", id=topic.id, pool=pool))]


async def topic_stats(event: CommandIssued, ctx: Context) -> list[Action]:
    """Participation per topic, most recent first."""
    texts = ctx.texts
    assert ctx.chat is not None
    posts = [p for p in await ctx.repos.topics.posts(ctx.chat.id, 20) if p.status == "posted"]
    if not posts:
        return [reply(event.message, texts.t("topics.stats_none"))]
    lines = [texts.t("topics.stats_heading")]
    for post in posts[:10]:
        title = post.holiday or "—"
        if post.topic_id is not None:
            topic = await ctx.repos.topics.get_topic(post.topic_id)
            title = topic.text if topic else title
        when = post.slot_at.astimezone(ctx.community.timezone).strftime("%m-%d %H:%M")
        line = texts.t(
            "topics.stats_line", when=when, topic=shortened(title, 30), count=post.participants
        )
        lines.append(line)
    return [reply(event.message, Markup("\n").join(lines))]
