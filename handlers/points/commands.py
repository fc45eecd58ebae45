"""Members' and moderators' points commands."""

from __future__ import annotations

from markupsafe import Markup

from handlers.actions import Action, mention, reply
from handlers.context import Context
from handlers.events import CommandIssued
from handlers.i18n import Texts
from handlers.points.economy import Economy, periods, signed
from handlers.points.targets import Target, resolve_target
from handlers.refs import user_ref
from storage.records import LedgerRecord, UserRecord

HISTORY = 5
TOP = 10


class PointsCommands:
    def __init__(self, economy: Economy) -> None:
        self.economy = economy
        self.config = economy.config

    # -- members -------------------------------------------------------------------

    async def points(self, event: CommandIssued, ctx: Context) -> list[Action]:
        """Balance, level, progress to the next level and the last ledger rows."""
        texts, config = ctx.texts, self.config
        assert ctx.chat is not None and ctx.sender is not None
        wallet = await self.economy.wallet(ctx, ctx.chat.id, ctx.sender)
        account = await ctx.repos.points.account(wallet.chat_id, wallet.user_id)
        balance, earned = (account.balance, account.earned) if account else (0, 0)
        level = config.level_for(earned)
        lines = [
            texts.t("points.mine_heading", name=mention(event.sender)),
            texts.t("points.mine_balance", balance=balance, earned=earned),
            texts.t("points.mine_level", level=config.levels[level].label(texts)),
        ]
        if level + 1 < len(config.levels):
            following = config.levels[level + 1]
            lines.append(
                texts.t(
                    "points.mine_next",
                    level=following.label(texts),
                    count=following.at - earned,
                    at=following.at,
                )
            )
        if account and account.streak:
            lines.append(texts.t("points.mine_streak", count=account.streak))
        rows = await ctx.repos.points.history(wallet.chat_id, wallet.user_id, HISTORY)
        if rows:
            lines.append(texts.t("points.mine_history"))
            lines.extend(self._row(ctx, row) for row in rows)
        return [reply(event.message, Markup("\n").join(lines))]

    def _row(self, ctx: Context, row: LedgerRecord) -> Markup:
        texts = ctx.texts
        reason = texts.plain(f"points.reason_{row.reason}")
        when = row.created_at.astimezone(ctx.community.timezone).strftime("%m-%d %H:%M")
        note = Markup(" · {}").format(row.note) if row.note else ""
        return texts.t(
            "points.ledger_line", when=when, amount=signed(row.amount), reason=reason, note=note
        )

    async def top(self, event: CommandIssued, ctx: Context) -> list[Action]:
        """Leaderboard: all time (default), ``week`` or ``month``."""
        texts = ctx.texts
        assert ctx.chat is not None
        week, month = periods(ctx.now, ctx)
        scopes: dict[str, tuple[str, tuple[str, str] | None]] = {
            "all": ("points.top_all", None),
            "week": ("points.top_week", ("week", week)),
            "month": ("points.top_month", ("month", month)),
        }
        scope_key, period = scopes[ctx.args.get("period", "all")]
        scope = texts.plain(scope_key)
        assert ctx.sender is not None
        wallet = await self.economy.wallet(ctx, ctx.chat.id, ctx.sender)
        ranked = await ctx.repos.points.top(wallet.chat_id, period, TOP)
        if not ranked:
            return [reply(event.message, texts.t("points.top_empty", scope=scope))]
        lines = [texts.t("points.top_heading", scope=scope)]
        medals = ("🥇", "🥈", "🥉")
        for place, member in enumerate(ranked, start=1):
            badge = medals[place - 1] if place <= 3 else f"{place}."
            lines.append(
                texts.t(
                    "points.top_line", place=badge, name=member.display_name, points=member.points
                )
            )
        return [reply(event.message, Markup("\n").join(lines))]

    async def badges(self, event: CommandIssued, ctx: Context) -> list[Action]:
        """A member's badges and what the next ones need (``/badges @user`` for another)."""
        texts = ctx.texts
        assert ctx.chat is not None and ctx.sender is not None
        who: UserRecord = ctx.sender
        if ctx.args["member"] is not None or event.reply_to_sender is not None:
            target = await resolve_target(event, ctx)
            if target.user is None:
                return [reply(event.message, texts.t(target.error or "points.unknown_user"))]
            who = target.user
        wallet = await self.economy.wallet(ctx, ctx.chat.id, who)
        owned = await ctx.repos.points.badges(wallet.chat_id, wallet.user_id)
        account = await ctx.repos.points.account(wallet.chat_id, wallet.user_id)
        lines = [texts.t("points.badges_heading", name=mention(user_ref(who)))]
        if not owned:
            lines.append(texts.t("points.badges_none"))
        for record in owned:
            rule = self.config.badge(record.badge)
            label = rule.label(texts) if rule else record.badge
            day = record.granted_at.astimezone(ctx.community.timezone).strftime("%Y-%m-%d")
            lines.append(texts.t("points.badges_line", badge=label, day=day))
        have = {record.badge for record in owned}
        upcoming = [
            b for b in self.config.badges if b.stat and b.stat != "early" and b.id not in have
        ]
        if upcoming:
            lines.append(texts.t("points.badges_next_heading"))
        for rule in upcoming:
            value = getattr(account, rule.stat, 0) if account and rule.stat else 0
            lines.append(
                texts.t(
                    "points.badges_next_line",
                    badge=rule.label(texts),
                    what=texts.plain(f"points.stat_{rule.stat}"),
                    value=value,
                    goal=rule.at_least,
                )
            )
        return [reply(event.message, Markup("\n").join(lines))]

    # -- moderators -------------------------------------------------------------------

    async def give(self, event: CommandIssued, ctx: Context) -> list[Action]:
        return await self._adjust(event, ctx, +1)

    async def take(self, event: CommandIssued, ctx: Context) -> list[Action]:
        return await self._adjust(event, ctx, -1)

    async def _adjust(self, event: CommandIssued, ctx: Context, sign: int) -> list[Action]:
        """``/givepoints @user N reason`` and ``/takepoints``: reason mandatory, limits apply."""
        texts, config = ctx.texts, self.config
        assert ctx.chat is not None and ctx.sender is not None
        target = await resolve_target(event, ctx)
        if target.user is None:
            return [reply(event.message, texts.t(target.error or "points.unknown_user"))]
        amount, reason = ctx.args["amount"], ctx.args["reason"]
        if amount <= 0 or amount > config.max_manual_amount:
            return [
                reply(event.message, texts.t("points.amount_range", limit=config.max_manual_amount))
            ]
        if target.user.person == ctx.sender.person and not config.allow_self_grant:
            return [reply(event.message, texts.t("points.no_self"))]
        if target.user.is_bot:
            return [reply(event.message, texts.t("points.no_bots"))]
        if sign < 0 and (short := await self._short_of(ctx, target, amount)) is not None:
            return [reply(event.message, short)]
        day_start = ctx.now.astimezone(ctx.community.timezone).replace(
            hour=0, minute=0, second=0, microsecond=0
        )
        used = await ctx.repos.points.actor_total_since(ctx.sender.id, day_start)
        if used + amount > config.moderator_daily_limit:
            return [
                reply(
                    event.message,
                    texts.t(
                        "points.daily_limit",
                        count=config.moderator_daily_limit,
                        left=max(0, config.moderator_daily_limit - used),
                    ),
                )
            ]
        updated, actions = await self.economy.award(
            ctx,
            ctx.chat,
            target.user,
            sign * amount,
            "given" if sign > 0 else "taken",
            f"manual:{event.chat.platform}:{event.chat.id}:{event.message.id}",
            note=reason,
            actor_user_id=ctx.sender.id,
            earning=sign > 0,
            require_balance=sign < 0,
        )
        if updated is None:  # a replay, or the balance was spent in the meantime
            short = await self._short_of(ctx, target, amount) if sign < 0 else None
            return [reply(event.message, short)] if short is not None else []
        key = "points.given" if sign > 0 else "points.taken"
        text = texts.t(
            key, name=target.mention, count=amount, reason=reason, balance=updated.balance
        )
        return [reply(event.message, text), *actions]

    async def _short_of(self, ctx: Context, target: Target, amount: int) -> Markup | None:
        """Why ``amount`` cannot be taken from ``target`` (balances never go below zero,
        as a redemption's never do), saying what they have; None when it can."""
        assert ctx.chat is not None and target.user is not None
        wallet = await self.economy.wallet(ctx, ctx.chat.id, target.user)
        account = await ctx.repos.points.account(wallet.chat_id, wallet.user_id)
        balance = account.balance if account else 0
        if amount <= balance:
            return None
        key = "points.take_over_balance" if balance > 0 else "points.take_nothing"
        return ctx.texts.t(key, name=target.mention, count=amount, balance=balance)

    async def log(self, event: CommandIssued, ctx: Context) -> list[Action]:
        """``/pointslog @user``: a member's recent ledger rows, with who and why."""
        texts = ctx.texts
        assert ctx.chat is not None
        target = await resolve_target(event, ctx)
        if target.user is None:
            return [reply(event.message, texts.t(target.error or "points.unknown_user"))]
        wallet = await self.economy.wallet(ctx, ctx.chat.id, target.user)
        rows = await ctx.repos.points.history(wallet.chat_id, wallet.user_id, 15)
        account = await ctx.repos.points.account(wallet.chat_id, wallet.user_id)
        lines = [
            texts.t(
                "points.log_heading", name=target.mention, balance=account.balance if account else 0
            )
        ]
        if not rows:
            lines.append(texts.t("points.log_empty"))
        for row in rows:
            line = self._row(ctx, row)
            if row.actor_user_id is not None:
                actor = await ctx.repos.users.get_by_id(row.actor_user_id)
                if actor is not None:
                    line = Markup("{} · {}").format(
                        line, texts.t("points.log_by", name=actor.display_name)
                    )
            lines.append(line)
        return [reply(event.message, Markup("\n").join(lines))]

    async def grant_badge(self, event: CommandIssued, ctx: Context) -> list[Action]:
        return await self._badge(event, ctx, grant=True)

    async def revoke_badge(self, event: CommandIssued, ctx: Context) -> list[Action]:
        return await self._badge(event, ctx, grant=False)

    async def _badge(self, event: CommandIssued, ctx: Context, *, grant: bool) -> list[Action]:
        texts = ctx.texts
        assert ctx.chat is not None and ctx.sender is not None
        target = await resolve_target(event, ctx)
        if target.user is None:
            return [reply(event.message, texts.t(target.error or "points.unknown_user"))]
        rule = self.config.badge(ctx.args["badge"], texts)
        if rule is None:
            return [reply(event.message, self._unknown_badge(texts, quoting=grant))]
        wallet = await self.economy.wallet(ctx, ctx.chat.id, target.user)
        if grant:
            new = await ctx.repos.points.grant_badge(
                wallet.chat_id,
                wallet.user_id,
                rule.id,
                ctx.now,
                reason=ctx.args["reason"],
                granted_by=ctx.sender.id,
            )
            key = "points.badge_granted" if new else "points.badge_had"
        else:
            gone = await ctx.repos.points.revoke_badge(wallet.chat_id, wallet.user_id, rule.id)
            key = "points.badge_revoked" if gone else "points.badge_missing"
        return [reply(event.message, texts.t(key, name=target.mention, badge=rule.label(texts)))]

    def _unknown_badge(self, texts: Texts, *, quoting: bool) -> Markup:
        """The badges there are; with ``quoting`` (a reason follows the name), how to
        write a name that has a space: in quotes, else its second word reads as the reason."""
        labels = [badge.label(texts) for badge in self.config.badges]
        known = texts.join(labels)
        spaced = next((label for label in labels if len(label.split()) > 1), None)
        if not quoting or spaced is None:
            return texts.t("points.badge_unknown", known=known)
        return texts.t("points.badge_unknown_spaced", known=known, badge=spaced)
