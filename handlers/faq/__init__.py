"""FAQ auto-replies: answer when confident, stay quiet otherwise, learn from feedback."""

from __future__ import annotations

from datetime import datetime

from handlers.actions import Action
from handlers.commands import text, word
from handlers.events import ButtonPressed, MessagePosted
from handlers.faq.library import FaqLibrary
from handlers.faq.manage import FIELD_ALIASES, FIELD_NAMES, FaqManagement
from handlers.faq.replies import FaqReplies, HandOver
from handlers.faq.settings import FaqSettings
from handlers.roles import Role
from handlers.router import EVERYWHERE, Router, declare
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
        work_rooms=True,
    )
    router.on(MessagePosted, replies.on_message, priority=800, name="faq.reply", exclusive=True)
    router.on(ButtonPressed, replies.on_button, priority=110, name="faq.button", exclusive=True)
    field_choice = word("field", choices=(*FIELD_NAMES, "on", "off"), aliases=FIELD_ALIASES)
    # /editfaq 12 shows the entry; /editfaq 12 answer TEXT changes a field. An entry is
    # named by its number (12, #12) or by the id its file gave it (p01).
    editing = ((word("id"),), (word("id"), field_choice, text("value", optional=True)))
    for declared in (
        declare("ask", replies.ask, args=(text("question"),)),
        declare("faq", manage.list_or_search, Role.MODERATOR, where=EVERYWHERE,
                args=(text("words", optional=True),)),
        declare("addfaq", manage.add, Role.MODERATOR, where=EVERYWHERE,
                args=(text("entry", optional=True),)),
        declare("editfaq", manage.edit, Role.MODERATOR, where=EVERYWHERE, forms=editing),
        declare("delfaq", manage.delete, Role.MODERATOR, where=EVERYWHERE, args=(word("id"),)),
        declare("faqmisses", manage.misses, Role.MODERATOR, where=EVERYWHERE),
        declare("cancel", manage.cancel, where=EVERYWHERE),
    ):  # fmt: skip
        router.command(declared)


def sync_task(library: FaqLibrary) -> SweepTask:
    """A sweep task that keeps the index in step with edits made by other processes."""

    async def sync_faq_index(repos: Repositories, now: datetime) -> list[Action]:
        if library.loaded or len(library):
            await library.refresh(repos)
        await repos.conversations.forget_expired(now)
        return []

    sync_faq_index.every_replica = True  # type: ignore[attr-defined]  # its index is its own
    return sync_faq_index


__all__ = ["FaqLibrary", "FaqSettings", "register", "sync_task"]
