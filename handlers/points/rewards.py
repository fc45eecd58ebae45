"""Spending points: the reward catalogue, redemptions, and staff fulfilling them.

A redemption takes one item of stock and debits the member in one
transaction (exactly one of two members racing for the last item wins);
staff get a card with Done / Refuse buttons, and a refusal refunds the
points and returns the item.
"""

from __future__ import annotations

from markupsafe import Markup

from handlers.actions import Action, AnswerButton, Button, NotifyStaff, mention, reply
from handlers.commands import stored_id
from handlers.context import Context
from handlers.events import ButtonPressed, CommandIssued, Event
from handlers.points.economy import Economy
from handlers.reach import to_member
from handlers.roles import Role

PREFIX = "pts:"


class Rewards:
    def __init__(self, economy: Economy) -> None:
        self.economy = economy
        self.config = economy.config

    async def catalogue(self, event: CommandIssued, ctx: Context) -> list[Action]:
        return [reply(event.message, await self._listing(ctx))]

    async def _listing(self, ctx: Context) -> Markup:
        """What /rewards shows: also told to a member who named no reward."""
        texts = ctx.texts
        if not self.config.rewards:
            return texts.t("points.rewards_none")
        lines = [texts.t("points.rewards_heading")]
        for reward in self.config.rewards:
            left = await ctx.repos.points.stock(reward.id, reward.stock)
            lines.append(
                texts.t(
                    "points.rewards_line",
                    id=reward.id,
                    name=reward.label(texts),
                    count=reward.cost,
                    left=left,
                )
            )
        lines.append(texts.t("points.rewards_hint"))
        return Markup("\n").join(lines)

    async def redeem(self, event: CommandIssued, ctx: Context) -> list[Action]:
        texts = ctx.texts
        assert ctx.chat is not None and ctx.sender is not None
        item = ctx.args["reward"]
        reward = self.config.reward(item, texts)
        if reward is None:
            return [reply(event.message, await self._unknown(ctx, item))]
        name = reward.label(texts)
        if await ctx.repos.points.stock(reward.id, reward.stock) <= 0:
            return [reply(event.message, texts.t("points.redeem_out", name=name))]
        wallet = await self.economy.wallet(ctx, ctx.chat.id, ctx.sender)
        account = await ctx.repos.points.account(wallet.chat_id, wallet.user_id)
        balance = account.balance if account else 0
        if balance < reward.cost:
            return [
                reply(
                    event.message,
                    texts.t("points.redeem_short", name=name, cost=reward.cost, balance=balance),
                )
            ]
        if not await ctx.repos.points.take_stock(reward.id):
            return [reply(event.message, texts.t("points.redeem_out", name=name))]
        updated, _ = await self.economy.award(
            ctx,
            ctx.chat,
            ctx.sender,
            -reward.cost,
            "redeem",
            f"redeem:{event.chat.platform}:{event.chat.id}:{event.message.id}",
            note=name,
            earning=False,
            require_balance=True,
        )
        if updated is None:  # spent elsewhere in the meantime: put the item back
            await ctx.repos.points.return_stock(reward.id)
            return [
                reply(
                    event.message,
                    texts.t("points.redeem_short", name=name, cost=reward.cost, balance=balance),
                )
            ]
        redemption = await ctx.repos.points.create_redemption(
            ctx.chat.id, ctx.sender.id, reward.id, reward.cost, ctx.now
        )
        staff = ctx.staff_texts
        card = staff.t(
            "points.redeem_staff",
            id=redemption.id,
            name=mention(event.sender),
            group=ctx.chat.title or ctx.community.name,
            reward=reward.label(staff),
            count=reward.cost,
        )
        done, refuse = f"{PREFIX}done:{redemption.id}", f"{PREFIX}refuse:{redemption.id}"
        buttons = (
            (
                Button(staff.plain("points.redeem_done_button"), data=done),
                Button(staff.plain("points.redeem_refuse_button"), data=refuse),
            ),
        )
        return [
            reply(
                event.message,
                texts.t(
                    "points.redeemed",
                    name=name,
                    count=reward.cost,
                    balance=updated.balance,
                    id=redemption.id,
                ),
            ),
            NotifyStaff(text=card, buttons=buttons),
        ]

    async def _unknown(self, ctx: Context, item: str) -> Markup:
        """Nothing is called ``item``: the reward it probably meant as a question (nothing
        is spent on a guess), else the catalogue to pick from."""
        texts = ctx.texts
        meant = self.config.reward_like(item, texts)
        if meant is not None:
            return texts.t("points.redeem_maybe", item=item, name=meant.label(texts))
        unknown = texts.t("points.redeem_unknown", item=item)
        return Markup("{}\n{}").format(unknown, await self._listing(ctx))

    async def on_button(self, event: Event, ctx: Context) -> list[Action]:
        """Staff press Done or Refuse on a redemption card."""
        assert isinstance(event, ButtonPressed)
        if not event.data.startswith(PREFIX):
            return []
        texts = ctx.texts
        kind, _, raw = event.data[len(PREFIX) :].partition(":")
        toast = event.press_id or ""
        if Role.STAFF not in ctx.roles and Role.MODERATOR not in ctx.roles:
            return [AnswerButton(press_id=toast, text=texts.plain("points.staff_only"))]
        number = stored_id(raw)
        if kind not in ("done", "refuse") or number is None:
            return [AnswerButton(press_id=toast, text=texts.plain("button.expired"))]
        status = "done" if kind == "done" else "refused"
        assert ctx.sender is not None
        decided = await ctx.repos.points.decide_redemption(number, status, ctx.now, ctx.sender.id)
        if decided is None:
            return [AnswerButton(press_id=toast, text=texts.plain("points.redeem_decided"))]
        chat = await ctx.repos.chats.get_by_id(decided.chat_id)
        member = await ctx.repos.users.get_by_id(decided.user_id)
        assert chat is not None and member is not None
        reward = self.config.reward(decided.item)
        name = reward.label(texts) if reward else decided.item
        actions: list[Action] = [
            AnswerButton(press_id=toast, text=texts.plain(f"points.redeem_{status}_toast"))
        ]
        if status == "refused":
            await ctx.repos.points.return_stock(decided.item)
            await self.economy.award(
                ctx,
                chat,
                member,
                decided.cost,
                "refund",
                f"refund:{decided.id}",
                note=name,
                earning=False,
            )
        # The member learns the outcome privately, or in their group if the bot cannot
        # write to them privately (most members never started it), in their language.
        theirs = ctx.texts_of(member, chat)
        outcome = theirs.t(
            f"points.redeem_{status}_member",
            name=reward.label(theirs) if reward else decided.item,
            count=decided.cost,
            id=decided.id,
        )
        actions.append(to_member(theirs, member, chat, outcome))
        actions.append(
            NotifyStaff(
                text=ctx.staff_texts.t(
                    f"points.redeem_{status}_staff",
                    id=decided.id,
                    reward=name,
                    by=event.sender.display_name,
                )
            )
        )
        return actions
