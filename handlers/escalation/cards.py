"""What staff see of a ticket: the card with its buttons, and the tags that let a
reply to any ticket message find its ticket."""

from __future__ import annotations

from markupsafe import Markup

from handlers.actions import Button, Keyboard, NotifyStaff, Tag, mention, message_link
from handlers.events import ChatRef, MessageRef, UserRef
from handlers.i18n import Texts
from storage.records import TicketRecord

PREFIX = "esc:"
#: The card itself: while none was posted, the sweep tries again.
CARD = "ticket_card"
#: Other notices to staff about a ticket (appended, claimed, reminders).
NOTE = "ticket"
#: Messages to the member (staff answers, the rating request).
TO_MEMBER = "ticket_member"
KINDS = frozenset({CARD, NOTE, TO_MEMBER})


def note(ticket_id: int) -> Tag:
    return Tag(NOTE, ticket_id)


def card(
    texts: Texts,
    ticket: TicketRecord,
    member: UserRef,
    chat: ChatRef,
    *,
    text: str | None = None,
    resent: bool = False,
) -> NotifyStaff:
    """The staff card: severity, member, the group (linked to the member's message
    where the platform has links), the complaint, and the buttons."""
    body = texts.t(
        f"tickets.card_{ticket.severity}",
        id=ticket.id,
        name=mention(member),
        group=origin(texts, ticket, chat),
        text=(text if text is not None else ticket.text)[:500],
    )
    if resent:
        body = Markup("{}\n{}").format(body, texts.t("tickets.card_resent"))
    return NotifyStaff(text=body, buttons=staff_buttons(texts, ticket.id), tag=Tag(CARD, ticket.id))


def origin(texts: Texts, ticket: TicketRecord, chat: ChatRef) -> str | Markup:
    """Where the complaint was made: the group, linked to the member's message."""
    if chat.is_private:
        return texts.plain("tickets.private_chat")
    title = chat.title or chat.id
    return message_link(MessageRef(chat, ticket.message_id), title) if ticket.message_id else title


def staff_buttons(texts: Texts, ticket_id: int) -> Keyboard:
    """Claim / Reply on the first row, Resolve / Escalate on the second."""
    return (
        (
            Button(texts.plain("tickets.claim_button"), data=f"{PREFIX}claim:{ticket_id}"),
            Button(texts.plain("tickets.reply_button"), data=f"{PREFIX}reply:{ticket_id}"),
        ),
        (
            Button(texts.plain("tickets.resolve_button"), data=f"{PREFIX}resolve:{ticket_id}"),
            Button(texts.plain("tickets.escalate_button"), data=f"{PREFIX}escalate:{ticket_id}"),
        ),
    )
