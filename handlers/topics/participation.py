"""Taking part in a posted topic: a group message within its window counts,
once per member and topic, earns topic points and activates newcomers."""

from __future__ import annotations

from handlers.actions import Action
from handlers.context import Context
from handlers.events import Event, MessagePosted
from handlers.points.economy import Economy, Participation


class TopicParticipation:
    def __init__(self, economy: Economy, participation: Participation | None) -> None:
        self.economy = economy
        self._participation = participation

    async def on_message(self, event: Event, ctx: Context) -> list[Action]:
        assert isinstance(event, MessagePosted)
        if (
            event.chat.is_private
            or event.sender.is_bot
            or event.sender_is_anonymous_admin
            or ctx.chat is None
            or ctx.sender is None
            or not event.text.strip()
        ):
            return []
        post = await ctx.repos.topics.open_post(ctx.chat.id, ctx.now)
        if post is None or not await ctx.repos.topics.join(post.id, ctx.sender.id, ctx.now):
            return []
        actions = await self.economy.topic_answered(ctx, ctx.chat, ctx.sender, str(post.id))
        if self._participation is not None:
            actions.extend(
                await self._participation(ctx, ctx.chat.id, ctx.sender.id, "topic_answer")
            )
        return actions
