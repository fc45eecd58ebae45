"""FAQ auto-replies: answer when confident, stay quiet otherwise, learn from feedback."""

from __future__ import annotations

from datetime import datetime

from handlers.actions import Action
from handlers.events import ButtonPressed, MessagePosted
from handlers.faq.config import FaqConfig
from handlers.faq.library import FaqLibrary
from handlers.faq.manage import FaqManagement
from handlers.faq.replies import FaqReplies, HandOver
from handlers.roles import Role
from handlers.router import Command, Router
from handlers.sweeper import SweepTask
from storage.repositories import Repositories


def register(router: Router, library: FaqLibrary, hand_over: HandOver | None = None) -> None:
    replies, manage = FaqReplies(library, hand_over), FaqManagement(library)
    router.on(
        MessagePosted,
        manage.continue_conversation,
        priority=5,
        name="faq.conversation",
        exclusive=True,
    )
    router.on(MessagePosted, replies.on_message, priority=800, name="faq.reply", exclusive=True)
    router.on(ButtonPressed, replies.on_button, priority=110, name="faq.button", exclusive=True)
    router.command(Command("ask", replies.ask, Role.MEMBER, "help.ask"))
    router.command(Command("faq", manage.list_or_search, Role.MODERATOR, "help.faq"))
    router.command(Command("addfaq", manage.add, Role.MODERATOR, "help.addfaq"))
    router.command(Command("editfaq", manage.edit, Role.MODERATOR, "help.editfaq"))
    router.command(Command("delfaq", manage.delete, Role.MODERATOR, "help.delfaq"))
    router.command(Command("faqmisses", manage.misses, Role.MODERATOR, "help.faqmisses"))
    router.command(Command("cancel", manage.cancel, Role.MEMBER, "help.cancel"))


def sync_task(library: FaqLibrary) -> SweepTask:
    """A sweep task that keeps the index in step with edits made by other processes."""

    async def sync_faq_index(repos: Repositories, now: datetime) -> list[Action]:
        if library.loaded or len(library):
            await library.refresh(repos)
        await repos.conversations.forget_expired(now)
        return []

    return sync_faq_index


__all__ = ["FaqConfig", "FaqLibrary", "register", "sync_task"]
