"""What staff see of a ticket: the card with its buttons, and the tags that let a
reply to any ticket message find its ticket."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from markupsafe import Markup

from handlers.actions import (
    Action,
    Button,
    EditMessage,
    Keyboard,
    NotifyStaff,
    Tag,
    mention,
    message_link,
)
from handlers.context import Context
from handlers.events import ChatKind, ChatRef, MessageRef, UserRef
from handlers.i18n import Texts, shortened
from handlers.refs import chat_ref, user_ref
from storage.records import TicketRecord
from storage.repositories import Repositories

PREFIX = "esc:"
#: How much of the complaint a card shows.
CARD_TEXT_LIMIT = 500
#: The card itself: while none was posted, the sweep tries again.
CARD = "ticket_card"
#: Other notices to staff about a ticket (appended, claimed, reminders).
NOTE = "ticket"
#: Messages to the member (staff answers, the rating request).
TO_MEMBER = "ticket_member"
KINDS = frozenset({CARD, NOTE, TO_MEMBER})


def note(ticket_id: int) -> Tag:
    return Tag(NOTE, ticket_id)


def leads_notice(
    texts: Texts, leads: Sequence[str], ticket_id: int, key: str, **values: Any
) -> NotifyStaff:
    """A notice to the leads' chat: ``key`` names the configured leads; without any,
    ``key_no_leads`` asks whoever reads it to act (and says where leads are set)."""
    if leads:
        text = texts.t(key, id=ticket_id, leads=texts.join(leads), **values)
    else:
        text = texts.t(f"{key}_no_leads", id=ticket_id, **values)
    return NotifyStaff(text=text, tag=note(ticket_id), leads=True)


def card(
    texts: Texts,
    ticket: TicketRecord,
    member: UserRef,
    chat: ChatRef,
    *,
    text: str | None = None,
    resent: bool = False,
    assignee: str | None = None,
) -> NotifyStaff:
    """The staff card: severity, member, the group (linked to the member's message
    where the platform has links), the complaint, its state once someone acts,
    and the buttons that still do something (none once resolved)."""
    body = texts.t(
        f"tickets.card_{ticket.severity}",
        id=ticket.id,
        name=mention(member),
        group=origin(texts, ticket, chat),
        # Cut where it shows (…): the whole text is the ticket's, in /ticket and the console.
        text=shortened(text if text is not None else ticket.text, CARD_TEXT_LIMIT),
    )
    if ticket.severity == "crisis" and ticket.status != "resolved":
        body = Markup("{}\n{}").format(body, texts.t("tickets.card_crisis_call"))
    if ticket.status != "open":
        state = texts.t(
            "tickets.card_state",
            status=texts.plain(f"tickets.status_{ticket.status}"),
            who=assignee or "—",
        )
        body = Markup("{}\n{}").format(body, state)
    if resent:
        body = Markup("{}\n{}").format(body, texts.t("tickets.card_resent"))
    return NotifyStaff(text=body, buttons=staff_buttons(texts, ticket), tag=Tag(CARD, ticket.id))


def updated_cards(card_now: NotifyStaff, posted: list[tuple[str, str, str]]) -> list[EditMessage]:
    """Edits that bring the ticket's posted cards (platform, chat, message) up to date,
    each carried out by the channel of its platform."""
    return [
        EditMessage(
            message=MessageRef(ChatRef(platform, chat_id, ChatKind.GROUP), message_id),
            text=card_now.text,
            buttons=card_now.buttons,
        )
        for platform, chat_id, message_id in posted
    ]


def origin(texts: Texts, ticket: TicketRecord, chat: ChatRef) -> str | Markup:
    """Where the complaint was made: the group, linked to the member's message."""
    if chat.is_private:  # which platform, so staff know where the member is (微信客服)
        if texts.has(f"platforms.{chat.platform}"):
            platform = texts.plain(f"platforms.{chat.platform}")
            return texts.plain("tickets.private_chat_on", platform=platform)
        return texts.plain("tickets.private_chat")
    title = chat.title or chat.id
    return message_link(MessageRef(chat, ticket.message_id), title) if ticket.message_id else title


def staff_buttons(texts: Texts, ticket: TicketRecord) -> Keyboard:
    """Claim / Reply on the first row, Resolve / Escalate on the second, as far as they
    still do something: no Claim once someone has the ticket (a claim, or an answer,
    takes it), none at all once resolved. (⬆️ stays on a crisis: pressed, it says
    there is nothing above.)"""
    if ticket.status == "resolved":
        return ()

    def button(kind: str) -> Button:
        return Button(texts.plain(f"tickets.{kind}_button"), data=f"{PREFIX}{kind}:{ticket.id}")

    first = ("reply",) if ticket.assignee_id is not None else ("claim", "reply")
    return (tuple(map(button, first)), (button("resolve"), button("escalate")))


async def card_now(
    repos: Repositories, texts: Texts, ticket: TicketRecord, *, resent: bool = False
) -> NotifyStaff | None:
    """The ticket's card as it stands, read from storage (None if its people are gone)."""
    member = await repos.users.get_by_id(ticket.user_id)
    chat = await repos.chats.get_by_id(ticket.chat_id)
    if member is None or chat is None:
        return None
    owner = await repos.users.get_by_id(ticket.assignee_id) if ticket.assignee_id else None
    return card(
        texts,
        ticket,
        user_ref(member),
        chat_ref(chat),
        resent=resent,
        assignee=owner.display_name if owner else None,
    )


async def refreshed_card(ctx: Context, ticket_id: int) -> list[Action]:
    """The ticket's card, edited where it was posted to show its state now (who has
    it, waiting or resolved), so staff never act on a stale card — whatever platform
    the change came from (the staff console, a WeChat member's answer)."""
    posted = await ctx.repos.sent.places_of(CARD, ticket_id)
    ticket = await ctx.repos.tickets.get(ticket_id) if posted else None
    now = await card_now(ctx.repos, ctx.staff_texts, ticket) if ticket else None
    return list(updated_cards(now, posted)) if now else []


async def ticket_number(
    ctx: Context, given: int | None, replying_to: MessageRef | None
) -> int | None:
    """The ticket a staff command is about: the number given, or, without one, the
    ticket of the bot's message the command replies to (a card)."""
    if given is not None or replying_to is None:
        return given
    chat = replying_to.chat
    tag = await ctx.repos.sent.tag_of(chat.platform, chat.id, replying_to.id)
    return tag[1] if tag is not None and tag[0] in KINDS else None
