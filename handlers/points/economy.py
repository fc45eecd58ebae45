"""Awarding points: the earning rules, levels and badges that follow an award.

Every award names its source (the message, the day, the command's update),
so replaying an update awards nothing twice; the ledger row and the
account move in one transaction with everything else the update did.
"""

from __future__ import annotations

import hashlib
import unicodedata
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from markupsafe import Markup

from handlers.actions import Action, SendMessage, SendPrivate, mention
from handlers.context import Context
from handlers.points.settings import PointsSettings
from handlers.refs import chat_ref, user_ref
from storage.records import ChatRecord, PointsAccountRecord, UserRecord

#: Passes a sign of participation on (to onboarding's activation).
Participation = Callable[[Context, int, int, str], Awaitable[list[Action]]]

#: The chat row that holds a community-wide economy (``[points] scope = "community"``):
#: not a chat anyone talks in, so its kind is neither group nor service.
COMMUNITY_WALLET = ("shequn", "community")
WALLET_KIND = "wallet"


@dataclass(frozen=True, slots=True)
class Wallet:
    """The account a change moves: a person's (a linked account counts as its first
    account) in a chat, or in the whole community when it has one economy."""

    chat_id: int
    user_id: int


def periods(at: datetime, ctx: Context) -> tuple[str, str]:
    """The ISO week and the month of ``at`` in the community's timezone."""
    local = at.astimezone(ctx.community.timezone)
    year, week, _ = local.isocalendar()
    return f"w{year}-{week:02d}", f"m{local:%Y-%m}"


def local_day(at: datetime, ctx: Context) -> str:
    return at.astimezone(ctx.community.timezone).date().isoformat()


def message_digest(text: str) -> str:
    folded = "".join(ch for ch in unicodedata.normalize("NFKC", text).casefold() if ch.isalnum())
    return hashlib.blake2b(folded.encode(), digest_size=8).hexdigest()


class Economy:
    def __init__(self, config: PointsSettings) -> None:
        self.config = config
        self._community_chat_id: int | None = None

    async def wallet(self, ctx: Context, chat_id: int, user: UserRecord) -> Wallet:
        """Where ``user``'s points earned in chat ``chat_id`` are kept."""
        if self.config.scope == "community":
            chat_id = await self._community_chat(ctx)
        return Wallet(chat_id, user.person)

    async def _community_chat(self, ctx: Context) -> int:
        if self._community_chat_id is None:
            platform, external_id = COMMUNITY_WALLET
            chat = await ctx.repos.chats.get(platform, external_id)
            if chat is None:
                chat = await ctx.repos.chats.upsert(
                    platform, external_id, kind=WALLET_KIND, title=ctx.community.name, at=ctx.now
                )
            self._community_chat_id = chat.id
        return self._community_chat_id

    async def award(
        self,
        ctx: Context,
        chat: ChatRecord,
        user: UserRecord,
        amount: int,
        reason: str,
        source: str,
        *,
        stat: str | None = None,
        note: str | None = None,
        actor_user_id: int | None = None,
        earning: bool = True,
        require_balance: bool = False,
        bookkeeping: dict[str, Any] | None = None,
    ) -> tuple[PointsAccountRecord | None, list[Action]]:
        """Apply one change to ``user``'s wallet; returns the account (None if already
        applied) and announcements, made in ``chat``."""
        wallet = await self.wallet(ctx, chat.id, user)
        account = await ctx.repos.points.apply(
            wallet.chat_id,
            wallet.user_id,
            amount,
            reason,
            source,
            ctx.now,
            periods=periods(ctx.now, ctx),
            earning=earning,
            stat=stat,
            note=note,
            actor_user_id=actor_user_id,
            require_balance=require_balance,
            bookkeeping=bookkeeping,
        )
        if account is None:
            return None, []
        return account, await self.milestones(ctx, chat, user, account, stat)

    async def milestones(
        self,
        ctx: Context,
        chat: ChatRecord,
        user: UserRecord,
        account: PointsAccountRecord,
        stat: str | None,
    ) -> list[Action]:
        """Level-ups and badges that ``account`` (just changed by ``stat``) now earns."""
        texts, config = ctx.texts, self.config
        actions: list[Action] = []
        group = chat_ref(chat)
        member = user_ref(user)
        title = chat.title or ctx.community.name
        level = config.level_for(account.earned)
        if level > account.level:
            await ctx.repos.points.update_account(account.chat_id, account.user_id, level=level)
            name = config.levels[level].label(texts)
            actions.append(
                SendMessage(
                    chat=group,
                    text=texts.t("points.level_up_group", name=mention(member), level=name),
                )
            )
            actions.append(
                SendPrivate(
                    user=member,
                    text=texts.t("points.level_up_private", level=name, group=title),
                    tell_staff_if_refused=False,
                )
            )
        for badge in config.badges:
            if badge.stat is None or not self._earned(badge.stat, badge.at_least, account, stat):
                continue
            if badge.stat == "early" and not await self._early(ctx, chat, user):
                continue
            if await ctx.repos.points.grant_badge(
                account.chat_id, account.user_id, badge.id, ctx.now, reason=badge.stat
            ):
                # Privately: a group would drown in "first message" badges.
                actions.append(
                    SendPrivate(
                        user=member,
                        text=texts.t("points.badge_private", badge=badge.label(texts), group=title),
                        tell_staff_if_refused=False,
                    )
                )
        return actions

    @staticmethod
    def _earned(
        badge_stat: str, at_least: int, account: PointsAccountRecord, changed: str | None
    ) -> bool:
        """Stats grow one at a time, so a badge is due exactly when its stat reaches the mark."""
        if badge_stat == "early":
            return changed == "messages" and account.messages == 1
        if badge_stat == "best_streak":
            return changed == "checkins" and account.best_streak == at_least
        return changed == badge_stat and getattr(account, badge_stat) == at_least

    async def _early(self, ctx: Context, chat: ChatRecord, user: UserRecord) -> bool:
        started = await ctx.repos.chats.created_at(chat.id)
        member = await ctx.repos.members.get(chat.id, user.id)
        if started is None or member is None:
            return False
        return member.first_seen_at - started <= timedelta(days=self.config.early_days)

    # -- the hooks other features call ---------------------------------------------

    async def onboarding_completed(self, ctx: Context, chat_id: int, user_id: int) -> list[Action]:
        """Onboarding's activation hook: completing onboarding earns points once."""
        if not self.config.enabled or not self.config.onboarding_points:
            return []
        chat = await ctx.repos.chats.get_by_id(chat_id)
        user = await ctx.repos.users.get_by_id(user_id)
        if chat is None or user is None or user.is_bot:
            return []
        _, actions = await self.award(
            ctx,
            chat,
            user,
            self.config.onboarding_points,
            "onboarding",
            f"onboarding:{chat_id}:{user_id}",
        )
        return actions

    async def topic_answered(
        self, ctx: Context, chat: ChatRecord, user: UserRecord, topic_key: str
    ) -> list[Action]:
        """For scheduled topics: answering one earns points once per topic."""
        if not self.config.enabled or not self.config.topic_points or user.is_bot:
            return []
        _, actions = await self.award(
            ctx,
            chat,
            user,
            self.config.topic_points,
            "topic",
            f"topic:{chat.id}:{user.id}:{topic_key}",
            stat="topics",
        )
        return actions


def signed(amount: int) -> Markup:
    return Markup("{:+d}").format(amount)
