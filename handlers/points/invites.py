"""分享得积分: personal invite links, and points for the inviter once the friend
has stayed ``invite_stay`` (3 days by default).

A join through a link named ``sq:USER_ID`` records the invitation; the sweep
settles it after the stay — points if the friend is still there, nothing if
they left — exactly once, whatever restarts or redeliveries happen between.
"""

from __future__ import annotations

from datetime import datetime

from handlers.actions import Action, SendPrivate, reply
from handlers.context import Community, Context, Offline
from handlers.events import CommandIssued, Event, MemberJoined
from handlers.i18n import Catalog
from handlers.points.economy import Economy
from handlers.refs import chat_ref, user_ref
from storage.records import JoinOutcome
from storage.repositories import Repositories

LINK_PREFIX = "sq:"


class Invitations:
    def __init__(self, economy: Economy) -> None:
        self.economy = economy
        self.config = economy.config

    async def invite(self, event: CommandIssued, ctx: Context) -> list[Action]:
        """``/invite``: the member's own link (made once, then reused)."""
        texts = ctx.texts
        assert ctx.chat is not None and ctx.sender is not None
        link = await ctx.repos.points.invite_link(ctx.chat.id, ctx.sender.id)
        if link is None:
            link = await ctx.platform.create_invite_link(
                event.chat, f"{LINK_PREFIX}{ctx.sender.id}"
            )
            if link is None:
                return [reply(event.message, texts.t("points.invite_unavailable"))]
            await ctx.repos.points.save_invite_link(ctx.chat.id, ctx.sender.id, link, ctx.now)
        days = max(1, round(self.config.invite_stay.total_seconds() / 86400))
        text = texts.t("points.invite_link", link=link, points=self.config.invite_points, days=days)
        return [reply(event.message, text)]

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
                        points=config.invite_points,
                        group=chat.title or ctx.community.name,
                    ),
                    fallback_chat=chat_ref(chat),
                    tell_staff_if_refused=False,
                )
            )
        return actions
