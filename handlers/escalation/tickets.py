"""The ticket loop: a member complains, staff claim, reply and resolve, the
member rates. Staff act from the staff chat; replies reach the member
privately when possible, in the group otherwise, signed by the staff role.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from markupsafe import Markup

from handlers.actions import (
    Action,
    AnswerButton,
    Button,
    Keyboard,
    NotifyStaff,
    Receipt,
    SendMessage,
    SendPrivate,
    Tag,
    mention,
    reply,
)
from handlers.context import Context
from handlers.escalation import cards
from handlers.escalation.cards import PREFIX
from handlers.escalation.config import EscalationConfig
from handlers.escalation.detector import Detector, Severity, Verdict
from handlers.escalation.report import by_severity, by_week, percent
from handlers.events import (
    ButtonPressed,
    CommandIssued,
    Event,
    MessagePosted,
    MessageRef,
    UserRef,
)
from handlers.refs import chat_ref, user_ref
from handlers.roles import Role
from storage.records import TicketRecord
from storage.repositories import Repositories

SLA_DAYS = 30
#: Staff hear of additions to a ticket at most this often (a member's flood).
APPEND_NOTICE_EVERY = timedelta(minutes=5)
SUBJECT = "general"


class Tickets:
    def __init__(self, config: EscalationConfig) -> None:
        self.config = config
        self.detector = Detector(config.detector)

    # -- members ------------------------------------------------------------------

    async def complain(self, event: CommandIssued, ctx: Context) -> list[Action]:
        """``/complain TEXT``: open (or add to) the member's ticket."""
        text = event.args.strip()
        if not text:
            return [reply(event.message, ctx.texts.t("tickets.complain_usage"))]
        return await self._raise(event, ctx, text)

    async def human(self, event: CommandIssued, ctx: Context) -> list[Action]:
        """``/human [TEXT]``: ask for a person."""
        text = event.args.strip() or ctx.texts.plain("tickets.human_default")
        return await self._raise(event, ctx, text)

    async def _raise(self, event: CommandIssued, ctx: Context, text: str) -> list[Action]:
        ticket, new, staff = await self.open_ticket(ctx, event.sender, text, event.message.id)
        if not new:
            return [reply(event.message, ctx.texts.t("tickets.appended", id=ticket.id)), *staff]
        return [reply(event.message, self._acknowledgement(ctx, ticket)), *staff]

    async def open_ticket(
        self, ctx: Context, member: UserRef, text: str, message_id: str | None = None
    ) -> tuple[TicketRecord, bool, list[Action]]:
        """Open (or add to) the member's ticket; returns it, whether it is new, and
        what staff are told. Other features hand members over through this."""
        texts = ctx.texts
        assert ctx.chat is not None and ctx.sender is not None
        graded = (await self._grade(ctx, text)).severity
        severity = max(graded, Severity.LOW).label
        ticket, new, raised = await ctx.repos.tickets.open_or_append(
            ctx.chat.id, ctx.sender.id, SUBJECT, text, severity, ctx.now, message_id=message_id
        )
        if not new:
            leads = self._crisis_leads(ctx, ticket) if raised else []
            recent = await ctx.repos.tickets.count_events(
                ticket.id, "appended", ctx.now - APPEND_NOTICE_EVERY
            )
            if recent > 1:  # a flood: staff were told minutes ago; /ticket shows it all
                return ticket, False, leads
            note = texts.t(
                "tickets.staff_appended",
                id=ticket.id,
                name=mention(member),
                text=text,
                minutes=int(APPEND_NOTICE_EVERY.total_seconds() // 60),
            )
            return ticket, False, [NotifyStaff(text=note, tag=cards.note(ticket.id)), *leads]
        card = cards.card(texts, ticket, member, chat_ref(ctx.chat), text=text)
        return ticket, True, [card, *self._crisis_leads(ctx, ticket)]

    def _crisis_leads(self, ctx: Context, ticket: TicketRecord) -> list[Action]:
        """A crisis goes to the leads at once (also when an addition makes it one)."""
        if ticket.severity != "crisis":
            return []
        texts = ctx.texts
        leads = ", ".join(self.config.leads) or texts.plain("tickets.no_leads")
        return [
            NotifyStaff(
                text=texts.t("tickets.crisis_leads", id=ticket.id, leads=leads),
                tag=cards.note(ticket.id),
                leads=True,
            )
        ]

    async def _grade(self, ctx: Context, text: str) -> Verdict:
        """The grade, raised when this member complained twice lately, or two other
        members complained about the same subject in this chat (a surge)."""
        verdict = self.detector.grade(text)
        if not verdict.is_complaint or ctx.chat is None or ctx.sender is None:
            return verdict
        since = ctx.now - self.config.surge_window
        recent = await ctx.repos.tickets.recent_complaints(ctx.chat.id, since)
        me = ctx.sender.id
        repeats = sum(1 for member, _ in recent if member == me)
        others = {
            member
            for member, said in recent
            if member != me and self.detector.same_subject(verdict, said)
        }
        return self.detector.grade(text, repeats=repeats, others=len(others))

    async def on_message(self, event: Event, ctx: Context) -> list[Action]:
        """A complaint spotted in a group message becomes a ticket; more complaints
        from the same member join it (a flood is one ticket, one acknowledgement)."""
        assert isinstance(event, MessagePosted)
        if (
            not self.config.auto_detect
            or event.chat.is_private
            or event.sender.is_bot
            or event.sender_is_anonymous_admin
            or Role.STAFF in ctx.roles  # staff talking about refunds are not complaining
            or not event.text.strip()
        ):
            return []
        if not self.detector.grade(event.text).is_complaint:  # most messages stop here
            return []
        ticket, new, staff = await self.open_ticket(ctx, event.sender, event.text, event.message.id)
        if not new:
            return staff
        return [reply(event.message, self._acknowledgement(ctx, ticket)), *staff]

    async def hand_over(self, ctx: Context, member: UserRef, text: str) -> list[Action]:
        """The FAQ's "talk to staff": a ticket, staff told; the FAQ tells the member."""
        _, _, staff = await self.open_ticket(ctx, member, text)
        return staff

    def _acknowledgement(self, ctx: Context, ticket: TicketRecord) -> Markup:
        texts = ctx.texts
        target = self.config.targets.get(ticket.severity, self.config.targets["low"])
        minutes = int(target.total_seconds() // 60)
        hours = self.config.staff_hours
        local = ctx.local_now.time()
        if hours is not None and not (hours[0] <= local < hours[1]):
            return texts.t(
                "tickets.ack_out_of_hours", id=ticket.id, opens=hours[0].strftime("%H:%M")
            )
        when = (
            texts.t("tickets.within_hours", hours=minutes // 60)
            if minutes >= 60
            else (texts.t("tickets.within_minutes", minutes=minutes))
        )
        return texts.t("tickets.ack", id=ticket.id, when=when)

    async def _escalate(self, ctx: Context, ticket_id: int, by: UserRef) -> list[Action]:
        """Staff raise a ticket a level and the leads are named in the staff chat."""
        ticket = await ctx.repos.tickets.get(ticket_id)
        if ticket is None or ticket.status == "resolved":
            return []
        raised = Severity(min(Severity.CRISIS, Severity[ticket.severity.upper()] + 1)).label
        await ctx.repos.tickets.set_severity(
            ticket.id, raised, ctx.now, by_id=ctx.sender.id if ctx.sender else None
        )
        texts = ctx.texts
        leads = ", ".join(self.config.leads) or texts.plain("tickets.no_leads")
        severity = texts.plain(f"tickets.severity_{raised}")
        note = texts.t(
            "tickets.escalated", id=ticket.id, severity=severity, leads=leads, name=by.display_name
        )
        return [
            NotifyStaff(text=note, tag=cards.note(ticket.id), leads=True),
            *await self._refreshed_card(ctx, ticket.id),
        ]

    async def mine(self, event: CommandIssued, ctx: Context) -> list[Action]:
        texts = ctx.texts
        assert ctx.sender is not None
        tickets = await ctx.repos.tickets.of_member(ctx.sender.id)
        if not tickets:
            return [reply(event.message, texts.t("tickets.mine_none"))]
        lines = [texts.t("tickets.mine_heading")]
        lines.extend(self._line(ctx, ticket) for ticket in tickets)
        return [reply(event.message, Markup("\n").join(lines))]

    # -- staff --------------------------------------------------------------------------

    async def list_open(self, event: CommandIssued, ctx: Context) -> list[Action]:
        texts = ctx.texts
        tickets = await ctx.repos.tickets.ongoing()
        if not tickets:
            return [reply(event.message, texts.t("tickets.none_open"))]
        lines = [texts.t("tickets.open_heading", count=len(tickets))]
        lines.extend(self._line(ctx, ticket) for ticket in tickets)
        return [reply(event.message, Markup("\n").join(lines))]

    async def show(self, event: CommandIssued, ctx: Context) -> list[Action]:
        texts = ctx.texts
        raw = event.args.strip().lstrip("#")
        ticket = await ctx.repos.tickets.get(int(raw)) if raw.isdigit() else None
        if ticket is None:
            return [reply(event.message, texts.t("tickets.unknown", id=raw or "?"))]
        member = await ctx.repos.users.get_by_id(ticket.user_id)
        chat = await ctx.repos.chats.get_by_id(ticket.chat_id)
        lines = [
            self._line(ctx, ticket),
            texts.t("tickets.show_member", name=member.display_name if member else "?"),
        ]
        if chat is not None:
            where = cards.origin(texts, ticket, chat_ref(chat))
            lines.append(texts.t("tickets.show_origin", where=where))
        for item in await ctx.repos.tickets.history(ticket.id):
            actor = await ctx.repos.users.get_by_id(item.actor_id) if item.actor_id else None
            when = item.at.astimezone(ctx.community.timezone).strftime("%m-%d %H:%M")
            lines.append(
                texts.t(
                    "tickets.history_line",
                    when=when,
                    kind=texts.plain(f"tickets.event_{item.kind}"),
                    actor=actor.display_name if actor else "—",
                    text=item.text or "",
                )
            )
        return [reply(event.message, Markup("\n").join(lines))]

    async def answer(self, event: CommandIssued, ctx: Context) -> list[Action]:
        """``/reply N TEXT``: the answer reaches the member, signed by the staff role."""
        texts = ctx.texts
        assert ctx.sender is not None
        number, _, text = event.args.strip().partition(" ")
        number, text = number.lstrip("#"), text.strip()
        if not number.isdigit() or not text:
            return [reply(event.message, texts.t("tickets.reply_usage"))]
        return await self._answer(ctx, int(number), text, event.message)

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
        await ctx.repos.tickets.replied(ticket.id, ctx.sender.id, text, ctx.now)
        return [
            await self._to_member(
                ctx, ticket, texts.t("tickets.staff_reply", id=ticket.id, text=text)
            ),
            reply(message, texts.t("tickets.reply_sent", id=ticket.id)),
            *await self._refreshed_card(ctx, ticket.id),
        ]

    async def _refreshed_card(self, ctx: Context, ticket_id: int) -> list[Action]:
        """The ticket's card, edited where it was posted to show its state now (who has
        it, waiting or resolved), so staff never act on a stale card."""
        repos = ctx.repos
        posted = await repos.sent.messages_of(ctx.platform.name, cards.CARD, ticket_id)
        ticket = await repos.tickets.get(ticket_id)
        if not posted or ticket is None:
            return []
        member = await repos.users.get_by_id(ticket.user_id)
        chat = await repos.chats.get_by_id(ticket.chat_id)
        if member is None or chat is None:
            return []
        owner = await repos.users.get_by_id(ticket.assignee_id) if ticket.assignee_id else None
        now = cards.card(
            ctx.texts,
            ticket,
            user_ref(member),
            chat_ref(chat),
            assignee=owner.display_name if owner else None,
        )
        return [*cards.updated_cards(now, ctx.platform.name, posted)]

    async def _reply_prompt(self, ctx: Context, ticket_id: int, by: UserRef) -> list[Action]:
        """Reply on a card: the ticket is claimed for whoever pressed it (if free), and a
        notice asks them to write the answer as a reply to it."""
        texts = ctx.texts
        assert ctx.sender is not None
        ticket = await ctx.repos.tickets.get(ticket_id)
        if ticket is None or ticket.status == "resolved":
            return [NotifyStaff(text=texts.t("tickets.unknown_or_done", id=ticket_id))]
        actions: list[Action] = []
        if await ctx.repos.tickets.claim(ticket.id, ctx.sender.id, ctx.now):
            note = texts.t("tickets.claimed", id=ticket.id, name=by.display_name)
            actions.append(NotifyStaff(text=note, tag=cards.note(ticket.id)))
            actions.extend(await self._refreshed_card(ctx, ticket.id))
        prompt = texts.t("tickets.reply_prompt", id=ticket.id, name=mention(by))
        actions.append(NotifyStaff(text=prompt, tag=cards.note(ticket.id), expects_reply=True))
        return actions

    async def on_reply(self, event: Event, ctx: Context) -> list[Action]:
        """A reply to one of the bot's ticket messages: staff answering a card (as
        ``/reply``), or the member answering staff (added to the ticket)."""
        assert isinstance(event, MessagePosted)
        target = event.reply_to
        if target is None or not event.reply_to_bot or not event.text.strip():
            return []
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
        return await self._member_answered(ctx, ticket, event)

    async def _member_answered(
        self, ctx: Context, ticket: TicketRecord, event: MessagePosted
    ) -> list[Action]:
        texts = ctx.texts
        assert ctx.chat is not None and ctx.sender is not None
        text = event.text.strip()
        updated, new, staff = await self.open_ticket(ctx, event.sender, text, event.message.id)
        if new:  # the answered ticket was closed meanwhile: this is a new one
            return [reply(event.message, self._acknowledgement(ctx, updated)), *staff]
        note = texts.t(
            "tickets.staff_member_answered", id=updated.id, name=mention(event.sender), text=text
        )
        return [
            reply(event.message, texts.t("tickets.member_added", id=updated.id)),
            NotifyStaff(text=note, tag=cards.note(updated.id)),
            *await self._refreshed_card(ctx, updated.id),
        ]

    async def on_delivery(self, repos: Repositories, receipt: Receipt, now: datetime) -> None:
        """The ticket's history says how a message to the member went."""
        if receipt.tag is None:
            return
        if not receipt.ok:
            await repos.tickets.log(receipt.tag.key, "undelivered", now, text=receipt.error)
        elif receipt.fell_back:
            await repos.tickets.log(receipt.tag.key, "delivered_in_group", now)

    async def resolve(self, event: CommandIssued, ctx: Context) -> list[Action]:
        texts = ctx.texts
        raw = event.args.strip().lstrip("#")
        if not raw.isdigit():
            return [reply(event.message, texts.t("tickets.resolve_usage"))]
        done = await self._resolve(ctx, int(raw))
        if not done:
            return [reply(event.message, texts.t("tickets.unknown_or_done", id=raw))]
        return [reply(event.message, texts.t("tickets.resolved", id=raw)), *done]

    async def _resolve(self, ctx: Context, ticket_id: int) -> list[Action]:
        assert ctx.sender is not None
        if not await ctx.repos.tickets.resolve(ticket_id, ctx.sender.id, ctx.now):
            return []
        ticket = await ctx.repos.tickets.get(ticket_id)
        assert ticket is not None
        texts = ctx.texts
        stars = tuple(
            Button("⭐" * score, data=f"{PREFIX}rate:{ticket.id}:{score}") for score in range(1, 6)
        )
        return [
            await self._to_member(
                ctx, ticket, texts.t("tickets.rate_please", id=ticket.id), (stars[:3], stars[3:])
            ),
            *await self._refreshed_card(ctx, ticket.id),
        ]

    async def _to_member(
        self, ctx: Context, ticket: TicketRecord, text: Markup, buttons: Keyboard = ()
    ) -> Action:
        """Privately when the member opened a private chat with the bot; otherwise in
        the group, mentioning them (a private message could not reach them)."""
        member = await ctx.repos.users.get_by_id(ticket.user_id)
        chat = await ctx.repos.chats.get_by_id(ticket.chat_id)
        assert member is not None and chat is not None
        person = user_ref(member)
        group = chat_ref(chat) if chat.kind == "group" else None
        tag = Tag(cards.TO_MEMBER, ticket.id)
        if member.started_bot_at is None and group is not None:
            text = Markup("{} {}").format(mention(person), text)
            return SendMessage(chat=group, text=text, buttons=buttons, tag=tag)
        return SendPrivate(
            user=person,
            text=text,
            buttons=buttons,
            fallback_chat=group,
            public_fallback=True,
            tag=tag,
        )

    async def on_button(self, event: Event, ctx: Context) -> list[Action]:
        assert isinstance(event, ButtonPressed)
        if not event.data.startswith(PREFIX) or ctx.sender is None:
            return []
        texts = ctx.texts
        parts = event.data[len(PREFIX) :].split(":")
        press = event.press_id or ""
        if len(parts) < 2 or not parts[1].isdigit():
            return [AnswerButton(press_id=press, text=texts.plain("button.expired"))]
        kind, ticket_id = parts[0], int(parts[1])
        if kind == "rate" and len(parts) == 3 and parts[2] in "12345":
            rated = await ctx.repos.tickets.rate(ticket_id, ctx.sender.id, int(parts[2]), ctx.now)
            key = "tickets.thanks_rating" if rated else "tickets.rating_once"
            return [AnswerButton(press_id=press, text=texts.plain(key))]
        if Role.STAFF not in ctx.roles:
            return [AnswerButton(press_id=press, text=texts.plain("tickets.staff_only"))]
        if kind == "claim":
            if await ctx.repos.tickets.claim(ticket_id, ctx.sender.id, ctx.now):
                note = texts.t("tickets.claimed", id=ticket_id, name=event.sender.display_name)
                return [
                    AnswerButton(press_id=press, text=texts.plain("tickets.claimed_toast")),
                    NotifyStaff(text=note, tag=cards.note(ticket_id)),
                    *await self._refreshed_card(ctx, ticket_id),
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
            return [
                AnswerButton(press_id=press, text=texts.plain("tickets.escalated_toast")),
                *await self._escalate(ctx, ticket_id, event.sender),
            ]
        if kind == "resolve":
            done = await self._resolve(ctx, ticket_id)
            key = "tickets.resolved_toast" if done else "tickets.unknown_or_done_toast"
            return [AnswerButton(press_id=press, text=texts.plain(key)), *done]
        return [AnswerButton(press_id=press, text=texts.plain("button.expired"))]

    async def sla(self, event: CommandIssued, ctx: Context) -> list[Action]:
        """``/sla``: the last 30 days' response figures, by severity."""
        texts = ctx.texts
        tickets = await ctx.repos.tickets.since(ctx.now - timedelta(days=SLA_DAYS))
        if not tickets:
            return [reply(event.message, texts.t("tickets.sla_none", days=SLA_DAYS))]
        lines = [texts.t("tickets.sla_heading", days=SLA_DAYS)]
        for severity, row in by_severity(tickets).items():
            lines.append(
                texts.t(
                    "tickets.sla_line",
                    severity=texts.plain(f"tickets.severity_{severity}"),
                    count=row.tickets,
                    first=_shown(row.first_response_median),
                    first_p90=_shown(row.first_response_p90),
                    resolved=_shown(row.resolution_median),
                    breaches=row.breaches,
                    rating=row.satisfaction if row.satisfaction is not None else "—",
                    in_2h=percent(row.answered_2h),
                    in_24h=percent(row.answered_24h),
                )
            )
        lines.append(texts.t("tickets.sla_weeks"))
        for week, row in by_week(tickets, ctx.community.timezone).items():
            lines.append(
                texts.t(
                    "tickets.sla_week_line",
                    week=week,
                    count=row.tickets,
                    first=_shown(row.first_response_median),
                    first_p90=_shown(row.first_response_p90),
                    breaches=row.breaches,
                    rating=row.satisfaction if row.satisfaction is not None else "—",
                    in_2h=percent(row.answered_2h),
                    in_24h=percent(row.answered_24h),
                )
            )
        return [reply(event.message, Markup("\n").join(lines))]

    def _line(self, ctx: Context, ticket: TicketRecord) -> Markup:
        texts = ctx.texts
        age = _age(ctx.now, ticket.created_at)
        return texts.t(
            "tickets.line",
            id=ticket.id,
            severity=texts.plain(f"tickets.severity_{ticket.severity}"),
            status=texts.plain(f"tickets.status_{ticket.status}"),
            age=age,
            text=ticket.text[:60],
        )


def _shown(minutes: float | None) -> str:
    return "—" if minutes is None else f"{minutes:g}"


def _age(now: datetime, then: datetime) -> str:
    minutes = int((now - then).total_seconds() // 60)
    return f"{minutes // 60}h{minutes % 60:02d}m" if minutes >= 60 else f"{minutes}m"
