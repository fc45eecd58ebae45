"""分享得积分: personal invite links, and points for the inviter once the friend
has stayed ``invite_stay`` (3 days by default).

A join through a link named ``sq:USER_ID`` records the invitation; the sweep
settles it after the stay — points if the friend is still there, nothing if
they left — exactly once, whatever restarts or redeliveries happen between.
"""

from __future__ import annotations

from datetime import datetime

from handlers.actions import (
    INVITE_LINK,
    Action,
    Receipt,
    SendInviteLink,
    SendPrivate,
    Tag,
    reply,
)
from handlers.context import Community, Context, Offline
from handlers.events import CommandIssued, Event, MemberJoined
from handlers.i18n import Catalog, Texts
from handlers.points.economy import Economy
from handlers.refs import chat_ref, user_ref
from storage.records import JoinOutcome
from storage.repositories import Repositories

LINK_PREFIX = "sq:"
#: The tag of an /invite answer: its receipt carries the link the channel made.
INVITE_TAG = "invite_link"


class Invitations:
    def __init__(self, economy: Economy) -> None:
        self.economy = economy
        self.config = economy.config

    async def invite(self, event: CommandIssued, ctx: Context) -> list[Action]:
        """``/invite``: the member's own link (made once by the channel, then reused)."""
        texts = ctx.texts
        assert ctx.chat is not None and ctx.sender is not None
        days = max(1, round(self.config.invite_stay.total_seconds() / 86400))
        link = await ctx.repos.points.invite_link(ctx.chat.id, ctx.sender.id)
        points = self.config.invite_points
        stay = texts.t("points.stay_days", count=days)
        if link is not None:
            text = texts.t("points.invite_link", link=link, count=points, days=stay)
            return [reply(event.message, text)]
        return [
            SendInviteLink(
                chat=event.chat,
                name=f"{LINK_PREFIX}{ctx.sender.id}",
                reply_to=event.message,
                text=texts.t("points.invite_link", link=INVITE_LINK, count=points, days=stay),
                unavailable=texts.t("points.invite_unavailable"),
                tag=Tag(INVITE_TAG, ctx.sender.id),
            )
        ]

    @staticmethod
    async def on_link(
        repos: Repositories, receipt: Receipt, now: datetime, _texts: Texts
    ) -> list[Action]:
        """Keep the link the channel made, so the member's next /invite reuses it."""
        if receipt.value is None or receipt.tag is None or not receipt.sent:
            return []
        where = receipt.sent[0]
        chat = await repos.chats.get(where.platform, where.chat_id)
        if chat is not None:
            await repos.points.save_invite_link(chat.id, receipt.tag.key, receipt.value, now)
        return []

    async def on_join(self, event: Event, ctx: Context) -> list[Action]:
        assert isinstance(event, MemberJoined)
        name = event.invite_link_name or ""
        if (
            not self.config.enabled
            or not name.startswith(LINK_PREFIX)
            or ctx.join is not JoinOutcome.NEW
            or event.member.is_bot
            or ctx.chat is None
            or ctx.sender is None
        ):
            return []
        raw = name.removeprefix(LINK_PREFIX)
        if not raw.isdigit() or int(raw) == ctx.sender.id:
            return []
        inviter = await ctx.repos.users.get_by_id(int(raw))
        if inviter is None:
            return []
        await ctx.repos.points.record_invite(ctx.chat.id, ctx.sender.id, inviter.id, ctx.now)
        return []


class InviteSettlement:
    """The sweep task that pays inviters whose friends stayed."""

    __name__ = "invites"

    def __init__(self, economy: Economy, catalog: Catalog, community: Community) -> None:
        self.economy = economy
        self.catalog = catalog
        self.community = community

    async def next_due(self, repos: Repositories, now: datetime) -> datetime | None:
        first = await repos.points.first_unsettled_join()
        return first + self.economy.config.invite_stay if first is not None else None

    async def __call__(self, repos: Repositories, now: datetime) -> list[Action]:
        config = self.economy.config
        if not config.enabled:
            return []
        actions: list[Action] = []
        for invite in await repos.points.invites_due(now - config.invite_stay):
            member = await repos.members.get(invite.chat_id, invite.invitee_id)
            stayed = member is not None and member.present
            if not await repos.points.settle_invite(
                invite.chat_id, invite.invitee_id, "stayed" if stayed else "left", now
            ):
                continue
            if not stayed or not config.invite_points:
                continue
            chat = await repos.chats.get_by_id(invite.chat_id)
            inviter = await repos.users.get_by_id(invite.inviter_id)
            friend = await repos.users.get_by_id(invite.invitee_id)
            if chat is None or inviter is None or friend is None:
                continue
            ctx = Context(
                repos=repos,
                now=now,
                texts=self.catalog.for_language(chat.language or self.community.language),
                community=self.community,
                catalog=self.catalog,
                platform=Offline(),
                roles=frozenset(),
                chat=chat,
            )
            account, more = await self.economy.award(
                ctx,
                chat,
                inviter,
                config.invite_points,
                "invite",
                f"invite:{chat.id}:{friend.id}",
                stat="invites",
                note=friend.display_name,
            )
            if account is None:
                continue
            actions.extend(more)
            actions.append(
                SendPrivate(
                    user=user_ref(inviter),
                    text=ctx.texts.t(
                        "points.invite_paid",
                        friend=friend.display_name,
                        count=config.invite_points,
                        group=chat.title or ctx.community.name,
                    ),
                    fallback_chat=chat_ref(chat),
                    tell_staff_if_refused=False,
                )
            )
        return actions
