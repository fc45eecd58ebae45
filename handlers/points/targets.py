"""Who a moderator's command is about: the author of the replied-to message,
``@username`` or a numeric id — and they must be a member of this chat."""

from __future__ import annotations

from dataclasses import dataclass

from markupsafe import Markup

from handlers.actions import mention
from handlers.context import Context
from handlers.events import CommandIssued
from handlers.refs import user_ref
from storage.records import UserRecord


@dataclass(frozen=True, slots=True)
class Target:
    user: UserRecord | None
    #: The arguments after the target.
    rest: str
    #: Catalog key of the problem when ``user`` is None.
    error: str | None = None

    @property
    def mention(self) -> Markup:
        assert self.user is not None
        return mention(user_ref(self.user))


async def resolve_target(event: CommandIssued, ctx: Context) -> Target:
    assert ctx.chat is not None
    args = event.args.strip()
    platform = event.chat.platform
    user: UserRecord | None
    if event.reply_to_sender is not None and not args.startswith("@"):
        user = await ctx.repos.users.get(platform, event.reply_to_sender.id)
        rest = args
    else:
        token, _, rest = args.partition(" ")
        if not token:
            return Target(None, "", "points.target_missing")
        if token.startswith("@"):
            user = await ctx.repos.users.find_by_username(platform, token[1:])
        elif token.isdigit():
            user = await ctx.repos.users.get(platform, token)
        else:
            return Target(None, args, "points.target_missing")
    if user is None:
        return Target(None, rest, "points.unknown_user")
    member = await ctx.repos.members.get(ctx.chat.id, user.id)
    if member is None or not member.present:
        return Target(None, rest, "points.not_member")
    return Target(user, rest.strip())
