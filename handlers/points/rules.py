"""Earning by taking part: messages (with cooldown, daily cap, no repeats),
the daily check-in with streak bonuses, and replies marked helpful."""

from __future__ import annotations

from datetime import date, timedelta

from markupsafe import Markup

from handlers.actions import Action, reply
from handlers.context import Context
from handlers.events import CommandIssued, Event, MessagePosted, ReactionAdded
from handlers.points.economy import (
    Economy,
    Participation,
    local_day,
    message_digest,
    periods,
)
from handlers.points.targets import resolve_target
from storage.records import MessageGate


class EarningRules:
    def __init__(self, economy: Economy, participation: Participation | None = None) -> None:
        self.economy = economy
        self.config = economy.config
        self._participation = participation

    async def on_message(self, event: Event, ctx: Context) -> list[Action]:
        """A group message earns points unless too short, repeated, too soon or over the cap."""
        assert isinstance(event, MessagePosted)
        config = self.config
        if (
            not config.enabled
            or not config.message_points
            or event.chat.is_private
            or event.sender.is_bot
            or event.sender_is_anonymous_admin
            or ctx.chat is None
            or ctx.sender is None
        ):
            return []
        text = event.text.strip()
        if len(text) < config.message_min_length:
            return []
        gate = MessageGate(
            now=ctx.now,
            cooldown=config.message_cooldown,
            digest=message_digest(text),
            day=local_day(ctx.now, ctx),
            daily_cap=config.message_daily_cap,
        )
        # One statement decides and awards: no read of the account first.
        wallet = await self.economy.wallet(ctx, ctx.chat.id, ctx.sender)
        account = await ctx.repos.points.award_message(
            wallet.chat_id,
            wallet.user_id,
            config.message_points,
            f"msg:{ctx.chat.id}:{event.message.id}",
            gate,
            periods(ctx.now, ctx),
        )
        if account is None:
            return []
        return await self.economy.milestones(ctx, ctx.chat, ctx.sender, account, "messages")

    async def checkin(self, event: CommandIssued, ctx: Context) -> list[Action]:
        """签到: once per local day; consecutive days build a streak with bonuses."""
        texts, config = ctx.texts, self.config
        assert ctx.chat is not None and ctx.sender is not None
        if not config.enabled:
            return [reply(event.message, texts.t("points.disabled"))]
        day = local_day(ctx.now, ctx)
        wallet = await self.economy.wallet(ctx, ctx.chat.id, ctx.sender)
        account = await ctx.repos.points.account(wallet.chat_id, wallet.user_id)
        if account is not None and account.last_checkin == day:
            return [reply(event.message, texts.t("points.checkin_again", count=account.streak))]
        yesterday = (date.fromisoformat(day) - timedelta(days=1)).isoformat()
        streak = account.streak + 1 if account and account.last_checkin == yesterday else 1
        best = max(streak, account.best_streak if account else 0)
        # Keyed by the wallet: a person with linked accounts checks in once a day.
        source = f"checkin:{wallet.chat_id}:{wallet.user_id}:{day}"
        updated, actions = await self.economy.award(
            ctx,
            ctx.chat,
            ctx.sender,
            config.checkin_points,
            "checkin",
            source,
            stat="checkins",
            bookkeeping={"streak": streak, "best_streak": best, "last_checkin": day},
        )
        if updated is None:
            return []
        bonus = config.streak_bonuses.get(streak, 0)
        total = config.checkin_points
        lines = [texts.t("points.checkin_done", count=streak, points=config.checkin_points)]
        if bonus:
            bonused, more = await self.economy.award(
                ctx,
                ctx.chat,
                ctx.sender,
                bonus,
                "streak",
                f"streak:{wallet.chat_id}:{wallet.user_id}:{day}",
                note=f"{streak}",
            )
            if bonused is not None:
                updated, total = bonused, total + bonus
                actions.extend(more)
                lines.append(texts.t("points.streak_bonus", days=streak, points=bonus))
        balance = updated.balance
        if self._participation is not None:
            # A first check-in may complete onboarding, whose bonus lands in the same
            # wallet: the reply shows the balance /points will show, and says why.
            actions = [
                *await self._participation(ctx, ctx.chat.id, ctx.sender.id, "checkin"),
                *actions,
            ]
            # Participation only passes the check-in to onboarding's activation, so
            # what it added is the onboarding bonus.
            after = await ctx.repos.points.account(wallet.chat_id, wallet.user_id)
            if after is not None and after.balance > balance:
                lines.append(texts.t("points.onboarding_bonus", points=after.balance - balance))
                balance = after.balance
        lines.append(texts.t("points.balance_now", balance=balance))
        return [reply(event.message, Markup("\n").join(lines)), *actions]

    async def helpful(self, event: CommandIssued, ctx: Context) -> list[Action]:
        """A moderator replies ``/helpful`` to a member's message: the author earns points once."""
        texts = ctx.texts
        assert ctx.chat is not None and ctx.sender is not None
        if event.reply_to is None or event.reply_to_sender is None:
            return [reply(event.message, texts.t("points.helpful_usage"))]
        target = await resolve_target(event, ctx, arg=None)
        if target.user is None:
            return [reply(event.message, texts.t(target.error or "points.unknown_user"))]
        if target.user.person == ctx.sender.person or target.user.is_bot:
            return [reply(event.message, texts.t("points.helpful_self"))]
        source = f"helpful:{ctx.chat.id}:{event.reply_to.id}"
        updated, actions = await self.economy.award(
            ctx,
            ctx.chat,
            target.user,
            self.config.helpful_points,
            "helpful",
            source,
            stat="helpful",
            actor_user_id=ctx.sender.id,
        )
        if updated is None:
            return [reply(event.message, texts.t("points.helpful_already"))]
        text = texts.t(
            "points.helpful_done",
            name=target.mention,
            count=self.config.helpful_points,
        )
        return [reply(event.message, text), *actions]

    async def on_reaction(self, event: Event, ctx: Context) -> list[Action]:
        """Others reacting to a rewarded message: at ``reactions_needed`` people, its
        author earns helpful points (once per message)."""
        assert isinstance(event, ReactionAdded)
        config = self.config
        if not config.enabled or not config.reactions_needed or ctx.chat is None:
            return []
        if ctx.sender is None or ctx.sender.is_bot:
            return []
        rewarded = await ctx.repos.points.ledger_for_source(f"msg:{ctx.chat.id}:{event.message.id}")
        if rewarded is None or rewarded.user_id == ctx.sender.person:
            return []  # only rewarded messages count, and not one's own reactions
        people = await ctx.repos.points.add_reaction(
            ctx.chat.id, event.message.id, ctx.sender.person, ctx.now
        )
        if people != config.reactions_needed:
            return []
        author = await ctx.repos.users.get_by_id(rewarded.user_id)
        if author is None:
            return []
        _, actions = await self.economy.award(
            ctx,
            ctx.chat,
            author,
            config.helpful_points,
            "helpful",
            f"reacted:{ctx.chat.id}:{event.message.id}",
            stat="helpful",
            note=f"{people}",
        )
        return actions
