"""Who a moderator's command is about: the author of the replied-to message, or
``@username`` / a numeric id as the command's parser read it — and they must
be a member of this chat."""

from __future__ import annotations

from dataclasses import dataclass

from markupsafe import Markup

from handlers.actions import mention
from handlers.commands import MemberToken
from handlers.context import Context
from handlers.events import CommandIssued
from handlers.refs import user_ref
from storage.records import UserRecord


@dataclass(frozen=True, slots=True)
class Target:
    user: UserRecord | None
    #: Catalog key of the problem when ``user`` is None.
    error: str | None = None

    @property
    def mention(self) -> Markup:
        assert self.user is not None
        return mention(user_ref(self.user))


async def resolve_target(event: CommandIssued, ctx: Context, arg: str | None = "member") -> Target:
    """The member named by the ``arg`` argument, or by the message the command replies to
    (``arg`` None: only the reply names them)."""
    assert ctx.chat is not None
    token: MemberToken | None = ctx.args[arg] if arg else None
    platform = event.chat.platform
    user: UserRecord | None
    if token is None:
        if event.reply_to_sender is None:
            return Target(None, "points.target_missing")
        user = await ctx.repos.users.get(platform, event.reply_to_sender.id)
    elif token.username is not None:
        user = await ctx.repos.users.find_by_username(platform, token.username)
    else:
        user = await ctx.repos.users.get(platform, token.user_id or "")
    if user is None:
        return Target(None, "points.unknown_user")
    member = await ctx.repos.members.get(ctx.chat.id, user.id)
    if member is None or not member.present:
        return Target(None, "points.not_member")
    return Target(user)
