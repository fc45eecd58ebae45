"""Moderator commands of the onboarding flow: /setwelcome, /welcome, /onboarding."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from string import Formatter

from markupsafe import Markup

from handlers.actions import Action, mention, reply
from handlers.context import Context
from handlers.events import CommandIssued
from handlers.onboarding.delivery import WELCOME_PLACEHOLDERS, render_welcome
from handlers.onboarding.flow import STEP_KIND
from handlers.onboarding.funnel import MILESTONES, Funnel, StepReach, compute_funnel, compute_reach
from handlers.reach import why_undelivered

MAX_WELCOME_LENGTH = 1000
FUNNEL_DAYS = 30


def unknown_placeholders(template: str) -> list[str] | None:
    """Placeholders in ``template`` a welcome cannot fill; None when its braces do not
    pair up (``{name`` without its ``}``)."""
    try:
        names = [name for _, name, _, _ in Formatter().parse(template) if name is not None]
    except ValueError:
        return None
    return [name for name in names if name not in WELCOME_PLACEHOLDERS]


async def set_welcome(event: CommandIssued, ctx: Context) -> list[Action]:
    texts, chat = ctx.texts, ctx.chat
    assert chat is not None
    template = ctx.args["welcome"]
    if template == "-":
        await ctx.repos.chats.set_welcome_template(chat.id, None, ctx.now)
        return [reply(event.message, texts.t("onboarding.setwelcome_reset"))]
    if len(template) > MAX_WELCOME_LENGTH:
        return [
            reply(
                event.message, texts.t("onboarding.setwelcome_too_long", limit=MAX_WELCOME_LENGTH)
            )
        ]
    allowed = texts.join("{" + name + "}" for name in WELCOME_PLACEHOLDERS)
    unknown = unknown_placeholders(template)
    if unknown is None:
        return [reply(event.message, texts.t("onboarding.setwelcome_braces", allowed=allowed))]
    if unknown:
        return [
            reply(
                event.message,
                texts.t(
                    "onboarding.setwelcome_unknown",
                    unknown=", ".join("{" + name + "}" for name in unknown),
                    allowed=allowed,
                ),
            )
        ]
    await ctx.repos.chats.set_welcome_template(chat.id, template, ctx.now)
    preview = render_welcome(template, _preview_values(ctx, event))
    return [
        reply(
            event.message,
            Markup("{}\n\n{}").format(texts.t("onboarding.setwelcome_saved"), preview),
        )
    ]


async def preview_welcome(event: CommandIssued, ctx: Context) -> list[Action]:
    texts, chat = ctx.texts, ctx.chat
    assert chat is not None
    values = _preview_values(ctx, event)
    if chat.welcome_template:
        text = render_welcome(chat.welcome_template, values)
    else:
        text = texts.t("onboarding.group_welcome", **values)
    state = texts.t("onboarding.state_on" if chat.onboarding_enabled else "onboarding.state_off")
    return [
        reply(
            event.message,
            Markup("{}\n\n{}\n\n{}").format(texts.t("onboarding.preview"), text, state),
        )
    ]


def _preview_values(ctx: Context, event: CommandIssued) -> dict[str, object]:
    assert ctx.chat is not None
    return {
        "name": mention(event.sender),
        "group": ctx.chat.title or ctx.community.name,
        "rules": ctx.chat.rules or ctx.texts.plain("onboarding.no_rules"),
    }


async def onboarding(event: CommandIssued, ctx: Context) -> list[Action]:
    """``/onboarding`` shows the funnel; ``on`` / ``off`` switch the flow for this chat."""
    texts, chat = ctx.texts, ctx.chat
    assert chat is not None
    switch = ctx.args["switch"]
    if switch is not None:
        enabled = switch == "on"
        await ctx.repos.chats.set_onboarding_enabled(chat.id, enabled, ctx.now)
        return [
            reply(
                event.message, texts.t("onboarding.state_on" if enabled else "onboarding.state_off")
            )
        ]
    since = ctx.now - timedelta(days=FUNNEL_DAYS)
    members = await ctx.repos.members.onboarding_since(since, chat.id)
    funnel = compute_funnel(members, since, ctx.community.timezone)
    text = render_funnel(ctx, funnel, chat.title or ctx.community.name)
    outcomes = await ctx.repos.deliveries.outcomes(chat.id, since, STEP_KIND, audience="private")
    reach = compute_reach(outcomes, STEP_KIND)
    if reach:
        text = Markup("{}\n{}").format(text, render_reach(ctx, reach))
    return [reply(event.message, text)]


def render_reach(ctx: Context, reach: dict[str, StepReach]) -> Markup:
    """How each step reached members: privately, in the group, or not at all (and why);
    and how many needed no message (they already took part…)."""
    texts = ctx.texts
    lines = [texts.t("onboarding.reach_heading")]
    for step_id, row in reach.items():
        line = texts.t(
            "onboarding.reach_line",
            step=texts.label(f"onboarding.step_{step_id}", step_id),
            private=row.private,
            group=row.group,
            missed=row.missed,
            reasons=_reasons(ctx, row.reasons),
        )
        if row.unneeded:
            unneeded = texts.t(
                "onboarding.reach_unneeded",
                count=row.unneeded,
                reasons=_reasons(ctx, row.unneeded_reasons),
            )
            line = Markup("{} · {}").format(line, unneeded)
        lines.append(line)
    return Markup("\n").join(lines)


def _reasons(ctx: Context, reasons: Counter[str]) -> Markup | str:
    """``（没私聊过机器人3人，已退群1人）``, or nothing when there are none."""
    texts = ctx.texts
    shown = texts.plain("onboarding.reason_separator").join(
        texts.plain(
            "onboarding.reason_count",
            reason=why_undelivered(texts, code),
            count=count,
        )
        for code, count in reasons.most_common(3)
    )
    return texts.t("onboarding.reach_reasons", reasons=shown) if shown else ""


def render_funnel(ctx: Context, funnel: Funnel, title: str) -> Markup:
    texts, total = ctx.texts, funnel.total
    lines = [texts.t("onboarding.funnel_heading", group=title, days=FUNNEL_DAYS)]
    if not total.joined:
        lines.append(texts.t("onboarding.funnel_empty"))
        return Markup("\n").join(lines)
    lines.append(texts.t("onboarding.funnel_joined", count=total.joined))
    lines.append(
        texts.t(
            "onboarding.funnel_welcomed",
            count=total.welcomed,
            percent=total.percent(total.welcomed),
        )
    )
    for days in MILESTONES:
        count = total.activated[days]
        lines.append(
            texts.t(
                "onboarding.funnel_activated", days=days, count=count, percent=total.percent(count)
            )
        )
    lines.append(
        texts.t("onboarding.funnel_left", count=total.left, percent=total.percent(total.left))
    )
    lines.append(texts.t("onboarding.funnel_cohorts"))
    for week, row in sorted(funnel.cohorts.items()):
        count = row.activated[MILESTONES[-1]]
        lines.append(
            texts.t(
                "onboarding.funnel_cohort",
                week=week.isoformat(),
                joined=row.joined,
                count=count,
                percent=row.percent(count),
            )
        )
    return Markup("\n").join(lines)
