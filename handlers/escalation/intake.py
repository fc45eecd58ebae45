"""Complaints coming in: ``/complain``, ``/human``, complaints spotted in group
messages, the FAQ's hand-over, and members answering staff. Each opens (or adds
to) the member's one ongoing ticket and tells staff, graded by the detector.
"""

from __future__ import annotations

from datetime import timedelta

from markupsafe import Markup

from handlers.actions import Action, NotifyStaff, mention, reply
from handlers.context import Context
from handlers.escalation import cards
from handlers.escalation.detector import Detector, Severity, Verdict
from handlers.escalation.settings import EscalationSettings
from handlers.events import CommandIssued, Event, MessagePosted, UserRef
from handlers.refs import chat_ref
from handlers.roles import Role
from storage.records import TicketRecord

#: Staff hear of additions to a ticket at most this often (a member's flood).
APPEND_NOTICE_EVERY = timedelta(minutes=5)
#: A member answering a resolved ticket's message within this long reopens it; later,
#: the answer opens a new ticket that names the old one.
REOPEN_WITHIN = timedelta(days=7)
SUBJECT = "general"


class Intake:
    """Opens and adds to tickets; acknowledges members; tells staff."""

    def __init__(self, config: EscalationSettings) -> None:
        self.config = config
        self.detector = Detector(config.detector)

    async def complain(self, event: CommandIssued, ctx: Context) -> list[Action]:
        """``/complain TEXT``: open (or add to) the member's ticket."""
        return await self._raise(event, ctx, ctx.args["complaint"])

    async def human(self, event: CommandIssued, ctx: Context) -> list[Action]:
        """``/human [TEXT]``: ask for a person."""
        if ctx.args["complaint"]:
            return await self._raise(event, ctx, ctx.args["complaint"])
        text = ctx.staff_texts.plain("tickets.human_default")
        ticket, new, staff = await self.open_ticket(ctx, event.sender, text, event.message.id)
        if not new:  # nothing to add: the member hears their ticket is still open
            return [reply(event.message, ctx.texts.t("tickets.nudged", id=ticket.id)), *staff]
        return [reply(event.message, self.acknowledgement(ctx, ticket)), *staff]

    async def _raise(
        self,
        event: CommandIssued | MessagePosted,
        ctx: Context,
        text: str,
        verdict: Verdict | None = None,
    ) -> list[Action]:
        ticket, new, staff = await self.open_ticket(
            ctx, event.sender, text, event.message.id, verdict=verdict
        )
        if not new:
            return [reply(event.message, ctx.texts.t("tickets.appended", id=ticket.id)), *staff]
        return [reply(event.message, self.acknowledgement(ctx, ticket)), *staff]

    async def open_ticket(
        self,
        ctx: Context,
        member: UserRef,
        text: str,
        message_id: str | None = None,
        *,
        verdict: Verdict | None = None,
    ) -> tuple[TicketRecord, bool, list[Action]]:
        """Open (or add to) the member's ticket; returns it, whether it is new, and
        what staff are told. Other features hand members over through this."""
        texts = ctx.staff_texts
        assert ctx.chat is not None and ctx.sender is not None
        graded = (await self._grade(ctx, text, verdict)).severity
        severity = max(graded, Severity.LOW).label
        ticket, new, raised = await ctx.repos.tickets.open_or_append(
            ctx.chat.id, ctx.sender.id, SUBJECT, text, severity, ctx.now, message_id=message_id
        )
        if not new:
            # A worse grade: its owners (the leads, for a crisis) are told, and the card
            # shows the new grade at once rather than the one it opened with.
            leads = (
                [*self._owners(ctx, ticket), *await cards.refreshed_card(ctx, ticket.id)]
                if raised
                else []
            )
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
        return ticket, True, [card, *self._owners(ctx, ticket)]

    def _owners(self, ctx: Context, ticket: TicketRecord) -> list[Action]:
        """The tier's owners are named at once (also when an addition raises the tier):
        a crisis goes to the leads, a serious ticket to its owners when configured."""
        texts = ctx.staff_texts
        if ticket.severity == "crisis":
            return [
                cards.leads_notice(texts, self.config.leads, ticket.id, "tickets.crisis_notice")
            ]
        owners = self.config.owners_of(ticket.severity)
        if not owners:
            return []
        severity = texts.plain(f"tickets.severity_{ticket.severity}")
        text = texts.t("tickets.owners", id=ticket.id, severity=severity, owners=texts.join(owners))
        return [NotifyStaff(text=text, tag=cards.note(ticket.id))]

    async def _grade(self, ctx: Context, text: str, verdict: Verdict | None = None) -> Verdict:
        """The grade, raised when this member complained twice lately, or two other
        members complained about the same subject in this chat (a surge); ``verdict``:
        ``text`` already graded on its own."""
        verdict = verdict or self.detector.grade(text)
        if not verdict.is_complaint or ctx.chat is None or ctx.sender is None:
            return verdict
        since = ctx.now - self.config.detector.surge_window
        recent = await ctx.repos.tickets.recent_complaints(ctx.chat.id, since)
        me = ctx.sender.id
        repeats = sum(1 for member, _ in recent if member == me)
        others = {
            member
            for member, said in recent
            if member != me and self.detector.same_subject(verdict, said)
        }
        return self.detector.grade(text, repeats=repeats, others=len(others))

    def _spotted(self, event: MessagePosted, ctx: Context) -> Verdict | None:
        """The grade of a member's message that is a complaint (None for anything else:
        staff talking about refunds are not complaining)."""
        if (
            not self.config.auto_detect
            or event.sender.is_bot
            or event.sender_is_anonymous_admin
            or Role.STAFF in ctx.roles
            or not event.text.strip()
        ):
            return None
        verdict = self.detector.grade(event.text)  # most messages stop here
        return verdict if verdict.is_complaint else None

    async def on_message(self, event: Event, ctx: Context) -> list[Action]:
        """A complaint spotted in a group message becomes a ticket; more complaints
        from the same member join it (a flood is one ticket, one acknowledgement)."""
        assert isinstance(event, MessagePosted)
        verdict = None if event.chat.is_private else self._spotted(event, ctx)
        if verdict is None:
            return []
        ticket, new, staff = await self.open_ticket(
            ctx, event.sender, event.text, event.message.id, verdict=verdict
        )
        if new:
            return [reply(event.message, self.acknowledgement(ctx, ticket)), *staff]
        if await self._first_addition_lately(ctx, ticket):
            # Not a flood: a complaint days after the first one is told where it went.
            return [reply(event.message, ctx.texts.t("tickets.appended", id=ticket.id)), *staff]
        return staff

    @staticmethod
    async def _first_addition_lately(ctx: Context, ticket: TicketRecord) -> bool:
        """Whether the addition just made is the first for a while to a ticket opened
        a while ago (a flood gets one acknowledgement: the first)."""
        since = ctx.now - APPEND_NOTICE_EVERY
        if ticket.created_at > since:
            return False
        return await ctx.repos.tickets.count_events(ticket.id, "appended", since) <= 1

    async def on_private_message(self, event: Event, ctx: Context) -> list[Action]:
        """A complaint written to the bot one to one (on WeChat, the only way a member
        talks to it) is a ticket too, acknowledged instead of an FAQ reply."""
        assert isinstance(event, MessagePosted)
        verdict = self._spotted(event, ctx) if event.chat.is_private else None
        if verdict is None:
            return []
        return await self._raise(event, ctx, event.text, verdict)

    async def hand_over(self, ctx: Context, member: UserRef, text: str) -> list[Action]:
        """The FAQ's "talk to staff": a ticket, staff told; the FAQ tells the member."""
        _, _, staff = await self.open_ticket(ctx, member, text)
        return staff

    async def member_answered(
        self, ctx: Context, ticket: TicketRecord, event: MessagePosted
    ) -> list[Action]:
        """The member replied to a message about ``ticket``: added to it, or, when it was
        resolved lately, it is reopened, so the answer keeps its context."""
        assert ctx.chat is not None and ctx.sender is not None
        text = event.text.strip()
        if ticket.status == "resolved":
            if await ctx.repos.tickets.reopen(
                ticket.id, ctx.sender.id, text, ctx.now, resolved_after=ctx.now - REOPEN_WITHIN
            ):
                return await self._reopened(ctx, ticket, event, text)
            return await self._follow_up(ctx, ticket, event, text)
        updated, new, staff = await self.open_ticket(ctx, event.sender, text, event.message.id)
        if new:  # the answered ticket was closed meanwhile: this is a new one
            return [reply(event.message, self.acknowledgement(ctx, updated)), *staff]
        told = await self._staff_told(
            ctx, event, updated.id, "tickets.member_added", "tickets.staff_member_answered", text
        )
        # An answer that raises the grade (我就去报警) reaches its owners, the leads for a
        # crisis, as any addition does; staff hear of the answer itself once, above.
        raised = updated.severity != ticket.severity
        return [*told, *self._owners(ctx, updated)] if raised else told

    async def _reopened(
        self, ctx: Context, ticket: TicketRecord, event: MessagePosted, text: str
    ) -> list[Action]:
        """Staff see the ticket is back and why; its card shows it open again."""
        return await self._staff_told(
            ctx, event, ticket.id, "tickets.reopened", "tickets.staff_reopened", text
        )

    async def _staff_told(
        self, ctx: Context, event: MessagePosted, ticket_id: int, said: str, note: str, text: str
    ) -> list[Action]:
        """The member's answer on their ticket: acknowledged (``said``), staff told what
        they wrote (``note``), and the ticket's card brought up to date."""
        told = ctx.staff_texts.t(note, id=ticket_id, name=mention(event.sender), text=text)
        return [
            reply(event.message, ctx.texts.t(said, id=ticket_id)),
            NotifyStaff(text=told, tag=cards.note(ticket_id)),
            *await cards.refreshed_card(ctx, ticket_id),
        ]

    async def _follow_up(
        self, ctx: Context, old: TicketRecord, event: MessagePosted, text: str
    ) -> list[Action]:
        """Too long after it was resolved to reopen: a new ticket that names the old one,
        for the member and for staff, so nobody starts from nothing."""
        texts = ctx.texts
        ticket, new, staff = await self.open_ticket(ctx, event.sender, text, event.message.id)
        if not new:  # another ticket of theirs is ongoing: this joins it
            return [reply(event.message, texts.t("tickets.appended", id=ticket.id)), *staff]
        await ctx.repos.tickets.log(ticket.id, "follows", ctx.now, text=f"#{old.id}")
        note = ctx.staff_texts.t("tickets.staff_follows", id=ticket.id, old=old.id)
        ack = texts.t("tickets.follows", old=old.id, ack=self.acknowledgement(ctx, ticket))
        return [
            reply(event.message, ack),
            *staff,
            NotifyStaff(text=note, tag=cards.note(ticket.id)),
        ]

    def acknowledgement(self, ctx: Context, ticket: TicketRecord) -> Markup:
        texts = ctx.texts
        minutes = int(self.config.target(ticket.severity).total_seconds() // 60)
        hours = self.config.staff_hours
        zone = ctx.community.timezone
        if hours is not None and not hours.contains(ctx.now, zone):
            opens = texts.moment(hours.next_start(ctx.now, zone), ctx.now, zone)
            return texts.t("tickets.ack_out_of_hours", id=ticket.id, opens=opens)
        target = timedelta(minutes=minutes)
        if hours is not None and (due := hours.after(ctx.now, target, zone)) > ctx.now + target:
            # Staff leave before the target is up (a complaint at 20:30, staff until
            # 21:00): the promise names the moment the target really falls due.
            return texts.t("tickets.ack_by", id=ticket.id, due=texts.moment(due, ctx.now, zone))
        when = (
            texts.t("tickets.within_hours", count=minutes // 60)
            if minutes >= 60 and minutes % 60 == 0
            else texts.t("tickets.within_minutes", count=minutes)
        )
        return texts.t("tickets.ack", id=ticket.id, when=when)
