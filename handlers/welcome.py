"""Day-0 welcome: a short greeting in the group when someone new joins.

Only a real join greets: a second signal of the same join (Telegram sends a
``chat_member`` update and a service message), a bot account, or a member
who is already present gets nothing.
"""

from __future__ import annotations

from handlers.actions import Action, SendMessage, mention
from handlers.context import Context
from handlers.events import Event, MemberJoined
from handlers.router import Router
from storage.records import JoinOutcome


async def greet_new_member(event: Event, ctx: Context) -> list[Action]:
    assert isinstance(event, MemberJoined)
    if event.member.is_bot or event.chat.is_private or ctx.join is JoinOutcome.DUPLICATE:
        return []
    key = "welcome.rejoined" if ctx.join is JoinOutcome.REJOINED else "welcome.group"
    title = (ctx.chat.title if ctx.chat else None) or ctx.community.name
    return [
        SendMessage(
            chat=event.chat, text=ctx.texts.t(key, member=mention(event.member), group=title)
        )
    ]


def register(router: Router) -> None:
    router.on(MemberJoined, greet_new_member, priority=100)
