"""The staff side of a ticket: claim, reply (by command, by replying to the card,
or with the card's Reply button), resolve, escalate. Answers reach the member
privately when possible, in the group otherwise, signed by the staff role.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from markupsafe import Markup

from handlers.actions import (
    Action,
    AnswerButton,
    Button,
    Keyboard,
    NotifyStaff,
    Receipt,
    Tag,
    mention,
    reply,
)
from handlers.commands import stored_id
from handlers.context import Context, Place
from handlers.escalation import cards
from handlers.escalation.cards import PREFIX
from handlers.escalation.detector import Severity
from handlers.escalation.intake import REOPEN_WITHIN, Intake
from handlers.escalation.rating import typed_rating
from handlers.escalation.settings import EscalationSettings
from handlers.events import ButtonPressed, CommandIssued, Event, MessagePosted, MessageRef, UserRef
from handlers.i18n import Texts
from handlers.reach import to_member, why_undelivered
from handlers.roles import Role
from storage.records import TicketRecord
from storage.repositories import Repositories
from storage.repositories.faq import ANSWERED_BY_STAFF

#: ``#12`` (or ＃12) alone: the answer of FAQ entry 12.
_ENTRY = re.compile(r"[#＃]\s*(\d{1,9})")
#: ``#12 text`` in a staff room: the answer to ticket 12, where a card cannot be quoted.
_TICKET_ANSWER = re.compile(r"[#＃](\d{1,9})[\s\u3000]+(\S.*)", re.DOTALL)
#: The longest answer staff send at once: one Telegram message of it, with the heading.
ANSWER_LIMIT = 4000
#: A ticket opened this soon after the member's failed FAQ answer is about that question.
TAUGHT_WITHIN = timedelta(hours=1)


def _entry_number(text: str) -> int | None:
    found = _ENTRY.fullmatch(text.strip())
    return int(found.group(1)) if found else None


class Desk:
    """What staff do with tickets, and what members' replies to staff become."""

    def __init__(self, config: EscalationSettings, intake: Intake) -> None:
        self.config = config
        self.intake = intake

    async def answer(self, event: CommandIssued, ctx: Context) -> list[Action]:
        """``/reply N TEXT``: the answer reaches the member, signed by the staff role."""
        return await self._answer(ctx, ctx.args["ticket"], ctx.args["answer"], event.message)

    async def _answer(
        self, ctx: Context, ticket_id: int, text: str, message: MessageRef
    ) -> list[Action]:
        """Staff's answer reaches the member, signed by the role; staff are told it went."""
        texts = ctx.texts
        assert ctx.sender is not None
        ticket = await ctx.repos.tickets.get(ticket_id)
        if ticket is None:
            return [reply(message, texts.t("tickets.unknown", id=ticket_id))]
        if ticket.status == "resolved":
            return [reply(message, texts.t("tickets.already_resolved", id=ticket.id))]
        if len(text) > ANSWER_LIMIT:  # the console takes any length; the member reads one message
            too_long = texts.t(
                "tickets.answer_too_long", id=ticket.id, length=len(text), limit=ANSWER_LIMIT
            )
            return [reply(message, too_long)]
        answer: str | Markup = text
        if text.startswith((":", "：")):  # standard wording, by name
            name = text[1:].strip().lower()
            if name not in self.config.replies:
                known = " ".join(f":{n}" for n in sorted(self.config.replies)) or "—"
                return [reply(message, texts.t("tickets.unknown_wording", name=name, known=known))]
            answer = text = self.config.replies[name]
        elif entry_id := _entry_number(text):  # an FAQ entry's answer: #12
            entry = await ctx.repos.faq.get(entry_id)
            if entry is None or not entry.live:
                return [reply(message, texts.t("tickets.unknown_entry", id=entry_id))]
            answer, text = Markup(entry.answer), f"#{entry.id} {entry.question}"
            await self._teach_faq(ctx, ticket, entry.id)
        await ctx.repos.tickets.replied(ticket.id, ctx.sender.id, text, ctx.now)
        return [
            await self._to_member(ctx, ticket, "tickets.staff_reply", id=ticket.id, text=answer),
            reply(message, texts.t("tickets.reply_sent", id=ticket.id)),
            *await cards.refreshed_card(ctx, ticket.id),
        ]

    @staticmethod
    async def _teach_faq(ctx: Context, ticket: TicketRecord, entry_id: int) -> None:
        """A ticket opened after an FAQ answer failed, answered with an entry: the member's
        question and that entry are a case the FAQ calibration learns from."""
        miss = await ctx.repos.faq.last_miss_of(ticket.user_id, ticket.created_at)
        if miss is not None and ticket.created_at - miss.occurred_at <= TAUGHT_WITHIN:
            await ctx.repos.faq.record_miss(
                miss.text, ANSWERED_BY_STAFF, ctx.now, user_id=ticket.user_id, entry_id=entry_id
            )

    async def _reply_prompt(self, ctx: Context, ticket_id: int, by: UserRef) -> list[Action]:
        """Reply on a card: the ticket is claimed for whoever pressed it (if free), and a
        notice asks them to write the answer as a reply to it."""
        texts = ctx.staff_texts
        assert ctx.sender is not None
        ticket = await ctx.repos.tickets.get(ticket_id)
        if ticket is None or ticket.status == "resolved":
            return [NotifyStaff(text=texts.t("tickets.unknown_or_done", id=ticket_id))]
        actions: list[Action] = []
        if await ctx.repos.tickets.claim(ticket.id, ctx.sender.id, ctx.now):
            note = texts.t("tickets.claimed", id=ticket.id, name=by.display_name)
            actions.append(NotifyStaff(text=note, tag=cards.note(ticket.id)))
            actions.extend(await cards.refreshed_card(ctx, ticket.id))
        prompt = texts.t("tickets.reply_prompt", id=ticket.id, name=mention(by))
        actions.append(NotifyStaff(text=prompt, tag=cards.note(ticket.id), expects_reply=True))
        return actions

    async def on_reply(self, event: Event, ctx: Context) -> list[Action]:
        """A reply to one of the bot's ticket messages: staff answering a card (as
        ``/reply``), or the member answering staff (added to the ticket)."""
        assert isinstance(event, MessagePosted)
        target = event.reply_to
        if not event.text.strip():
            return []
        if target is None or not event.reply_to_bot:
            answered = _TICKET_ANSWER.fullmatch(event.text.strip())
            if answered and Role.STAFF in ctx.roles and ctx.place is not Place.GROUP:
                ticket_id, text = int(answered.group(1)), answered.group(2).strip()
                return await self._answer(ctx, ticket_id, text, event.message)
            return await self._waited_for(event, ctx)
        tag = await ctx.repos.sent.tag_of(target.chat.platform, target.chat.id, target.id)
        if tag is None or tag[0] not in cards.KINDS or ctx.sender is None:
            return []
        ticket = await ctx.repos.tickets.get(tag[1])
        if ticket is None:
            return []
        if Role.STAFF in ctx.roles:
            return await self._answer(ctx, ticket.id, event.text.strip(), event.message)
        if ticket.user_id != ctx.sender.id:
            return []  # someone else replying to it: an ordinary message
        if (rated := await self._rated_by_text(ctx, ticket, event)) is not None:
            return rated  # "5" in answer to the rating request rates, never reopens
        return await self.intake.member_answered(ctx, ticket, event)

    async def _waited_for(self, event: MessagePosted, ctx: Context) -> list[Action]:
        """Writing privately while staff wait for the member's answer is that answer:
        where messages cannot be replied to (WeChat), this is how a member answers."""
        if not event.chat.is_private or ctx.sender is None or Role.STAFF in ctx.roles:
            return []
        mine = await ctx.repos.tickets.of_member(ctx.sender.id, limit=3)
        waiting = next((ticket for ticket in mine if ticket.status == "waiting"), None)
        if waiting is not None:
            return await self.intake.member_answered(ctx, waiting, event)
        if mine and mine[0].status == "resolved":  # a score is for the latest ticket only
            return await self._rated_by_text(ctx, mine[0], event) or []
        return []

    @staticmethod
    async def _rated_by_text(
        ctx: Context, ticket: TicketRecord, event: MessagePosted
    ) -> list[Action] | None:
        """A score typed for the member's own ticket resolved lately and not yet rated
        (WeChat's stars are a menu, which members often answer by typing); None when
        the message is no such rating."""
        score = typed_rating(event.text)
        if (
            score is None
            or ctx.sender is None
            or ticket.rating is not None
            or ticket.resolved_at is None
            or ctx.now - ticket.resolved_at > REOPEN_WITHIN
        ):
            return None
        if not await ctx.repos.tickets.rate(ticket.id, ctx.sender.id, score, ctx.now):
            return None
        return [reply(event.message, ctx.texts.t("tickets.thanks_rating"))]

    async def on_delivery(
        self, repos: Repositories, receipt: Receipt, now: datetime, texts: Texts
    ) -> list[Action]:
        """The ticket's history says how a message to the member went; staff, told it
        was sent before it went out, hear when it did not (held for the member's next
        message where the platform allows, as WeChat's window does, or lost)."""
        if receipt.tag is None:
            return []
        ticket_id = int(receipt.tag.key)
        if receipt.fell_back:
            await repos.tickets.log(ticket_id, "delivered_in_group", now)
        if receipt.ok:
            return []
        await repos.tickets.log(ticket_id, "undelivered", now, text=receipt.error)
        reason = why_undelivered(texts, receipt.error or "")
        key = "tickets.member_message_held" if receipt.skipped else "tickets.member_message_lost"
        return [
            NotifyStaff(text=texts.t(key, id=ticket_id, reason=reason), tag=cards.note(ticket_id))
        ]

    async def resolve(self, event: CommandIssued, ctx: Context) -> list[Action]:
        texts = ctx.texts
        ticket_id = await cards.ticket_number(ctx, ctx.args["ticket"], event.reply_to)
        if ticket_id is None:
            return [reply(event.message, texts.t("tickets.which_ticket", command="resolve"))]
        done = await self._resolve(ctx, ticket_id)
        if not done:
            return [reply(event.message, texts.t("tickets.unknown_or_done", id=ticket_id))]
        return [reply(event.message, texts.t("tickets.resolved", id=ticket_id)), *done]

    async def _resolve(self, ctx: Context, ticket_id: int) -> list[Action]:
        assert ctx.sender is not None
        if not await ctx.repos.tickets.resolve(ticket_id, ctx.sender.id, ctx.now):
            return []
        ticket = await ctx.repos.tickets.get(ticket_id)
        assert ticket is not None
        stars = tuple(
            Button("⭐" * score, data=f"{PREFIX}rate:{ticket.id}:{score}") for score in range(1, 6)
        )
        return [
            await self._to_member(
                ctx, ticket, "tickets.rate_please", (stars[:3], stars[3:]), id=ticket.id
            ),
            *await cards.refreshed_card(ctx, ticket.id),
        ]

    async def _to_member(
        self, ctx: Context, ticket: TicketRecord, key: str, buttons: Keyboard = (), **values: Any
    ) -> Action:
        """The text ``key``, in the member's language, privately when the member opened
        a private chat with the bot; otherwise in the group, mentioning them (a private
        message could not reach them)."""
        member = await ctx.repos.users.get_by_id(ticket.user_id)
        chat = await ctx.repos.chats.get_by_id(ticket.chat_id)
        assert member is not None and chat is not None
        texts = ctx.texts_of(member, chat)
        text = texts.t(key, **values)
        return to_member(texts, member, chat, text, buttons, Tag(cards.TO_MEMBER, ticket.id))

    async def on_button(self, event: Event, ctx: Context) -> list[Action]:
        assert isinstance(event, ButtonPressed)
        if not event.data.startswith(PREFIX) or ctx.sender is None:
            return []
        texts = ctx.texts
        parts = event.data[len(PREFIX) :].split(":")
        press = event.press_id or ""
        ticket_id = stored_id(parts[1]) if len(parts) >= 2 else None
        if ticket_id is None:  # forged or mangled data
            return [AnswerButton(press_id=press, text=texts.plain("button.expired"))]
        kind = parts[0]
        if kind == "rate" and len(parts) == 3 and parts[2] in ("1", "2", "3", "4", "5"):
            rated = await ctx.repos.tickets.rate(ticket_id, ctx.sender.id, int(parts[2]), ctx.now)
            key = "tickets.thanks_rating"
            if not rated:  # rated before, or someone else's ticket (the buttons may be public)
                ticket = await ctx.repos.tickets.get(ticket_id)
                mine = ticket is not None and ticket.user_id == ctx.sender.id
                key = "tickets.rating_once" if mine else "tickets.rating_not_yours"
            return [AnswerButton(press_id=press, text=texts.plain(key))]
        if Role.STAFF not in ctx.roles:
            return [AnswerButton(press_id=press, text=texts.plain("tickets.staff_only"))]
        if kind == "claim":
            if await ctx.repos.tickets.claim(ticket_id, ctx.sender.id, ctx.now):
                note = ctx.staff_texts.t(
                    "tickets.claimed", id=ticket_id, name=event.sender.display_name
                )
                return [
                    AnswerButton(press_id=press, text=texts.plain("tickets.claimed_toast")),
                    NotifyStaff(text=note, tag=cards.note(ticket_id)),
                    *await cards.refreshed_card(ctx, ticket_id),
                ]
            ticket = await ctx.repos.tickets.get(ticket_id)
            owner = (
                await ctx.repos.users.get_by_id(ticket.assignee_id)
                if ticket and ticket.assignee_id
                else None
            )
            text = texts.plain("tickets.claimed_by", name=owner.display_name if owner else "—")
            return [AnswerButton(press_id=press, text=text)]
        if kind == "reply":
            return [
                AnswerButton(press_id=press, text=texts.plain("tickets.reply_toast")),
                *await self._reply_prompt(ctx, ticket_id, event.sender),
            ]
        if kind == "escalate":
            raised = await self._escalate(ctx, ticket_id, event.sender)
            toast = "tickets.escalated_toast" if raised else "tickets.escalate_none_toast"
            return [AnswerButton(press_id=press, text=texts.plain(toast)), *raised]
        if kind == "resolve":
            done = await self._resolve(ctx, ticket_id)
            key = "tickets.resolved_toast" if done else "tickets.unknown_or_done_toast"
            return [AnswerButton(press_id=press, text=texts.plain(key)), *done]
        return [AnswerButton(press_id=press, text=texts.plain("button.expired"))]

    async def _escalate(self, ctx: Context, ticket_id: int, by: UserRef) -> list[Action]:
        """Staff raise a ticket a level and the leads are named in the staff chat."""
        ticket = await ctx.repos.tickets.get(ticket_id)
        if ticket is None or ticket.status == "resolved" or ticket.severity == "crisis":
            return []  # nothing above a crisis: the leads have it already
        raised = Severity(Severity[ticket.severity.upper()] + 1).label
        await ctx.repos.tickets.set_severity(
            ticket.id, raised, ctx.now, by_id=ctx.sender.id if ctx.sender else None
        )
        texts = ctx.staff_texts
        severity = texts.plain(f"tickets.severity_{raised}")
        return [
            cards.leads_notice(
                texts,
                self.config.leads,
                ticket.id,
                "tickets.escalated",
                severity=severity,
                name=by.display_name,
            ),
            *await cards.refreshed_card(ctx, ticket.id),
        ]
