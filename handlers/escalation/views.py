"""Looking at tickets: ``/mytickets`` for members, ``/tickets``, ``/ticket N`` and
``/sla`` for staff. Read-only.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from markupsafe import Markup

from handlers.actions import Action, SendPrivate, reply
from handlers.context import Context
from handlers.escalation import cards
from handlers.escalation.report import SlaFigures, by_severity, by_week, percent, shown
from handlers.events import CommandIssued
from handlers.i18n import Texts, shortened
from handlers.reach import why_undelivered
from handlers.refs import chat_ref
from storage.records import TicketRecord

SLA_DAYS = 30


class TicketViews:
    """Lists and figures; members only ever see their own tickets."""

    async def mine(self, event: CommandIssued, ctx: Context) -> list[Action]:
        texts = ctx.texts
        assert ctx.sender is not None
        tickets = await ctx.repos.tickets.of_person(ctx.sender.person)
        if not tickets:
            text = texts.t("tickets.mine_none")
        else:
            lines = [texts.t("tickets.mine_heading")]
            lines.extend(self._line(ctx, ticket) for ticket in tickets)
            text = Markup("\n").join(lines)
        if event.chat.is_private:
            return [reply(event.message, text)]
        # A member's complaints are theirs: never listed before the group.
        return [SendPrivate(user=event.sender, text=text, fallback_chat=event.chat)]

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
        ticket_id = await cards.ticket_number(ctx, ctx.args["ticket"], event.reply_to)
        if ticket_id is None:
            return [reply(event.message, texts.t("tickets.which_ticket", command="ticket"))]
        ticket = await ctx.repos.tickets.get(ticket_id)
        if ticket is None:
            return [reply(event.message, texts.t("tickets.unknown", id=ticket_id))]
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
            text = item.text or ""
            if item.kind in GRADE_CHANGES:  # the new grade, in the reader's language
                text = texts.plain("tickets.raised_to", severity=_severity(texts, text))
            elif item.kind == "undelivered":  # a reason code, named as the reports name it
                text = why_undelivered(texts, text)
            lines.append(
                texts.t(
                    "tickets.history_line",
                    when=when,
                    kind=texts.plain(f"tickets.event_{item.kind}"),
                    actor=actor.display_name if actor else texts.plain("tickets.actor_bot"),
                    text=text,
                )
            )
        return [reply(event.message, Markup("\n").join(lines))]

    async def sla(self, event: CommandIssued, ctx: Context) -> list[Action]:
        """``/sla``: the last 30 days' response figures, by severity."""
        texts = ctx.texts
        tickets = await ctx.repos.tickets.since(ctx.now - timedelta(days=SLA_DAYS))
        if not tickets:
            return [reply(event.message, texts.t("tickets.sla_none", days=SLA_DAYS))]
        lines = [texts.t("tickets.sla_heading", days=SLA_DAYS)]
        for severity, row in by_severity(tickets, ctx.now).items():
            label = texts.plain(f"tickets.severity_{severity}")
            lines.append(texts.t("tickets.sla_line", severity=label, **_figures(texts, row)))
        lines.append(texts.t("tickets.sla_weeks"))
        for week, row in by_week(tickets, ctx.community.timezone, ctx.now).items():
            year, number = week.split("-W")
            label = texts.plain("tickets.week", year=year, week=int(number))
            lines.append(texts.t("tickets.sla_week_line", week=label, **_figures(texts, row)))
        return [reply(event.message, Markup("\n").join(lines))]

    def _line(self, ctx: Context, ticket: TicketRecord) -> Markup:
        texts = ctx.texts
        age = _age(texts, ctx.now, ticket.created_at)
        return texts.t(
            "tickets.line",
            id=ticket.id,
            severity=texts.plain(f"tickets.severity_{ticket.severity}"),
            status=texts.plain(f"tickets.status_{ticket.status}"),
            age=age,
            text=shortened(ticket.text, 60),
        )


#: History events whose text is the ticket's new grade.
GRADE_CHANGES = frozenset({"raised", "escalated"})


def _severity(texts: Texts, code: str) -> str:
    key = f"tickets.severity_{code}"
    return texts.plain(key) if texts.has(key) else code


def _figures(texts: Texts, row: SlaFigures) -> dict[str, object]:
    """One row of ``/sla`` as the catalog's placeholders."""
    return {
        "count": row.tickets,
        "first": _span(texts, row.first_response_median),
        "first_p90": _span(texts, row.first_response_p90),
        "resolved": _span(texts, row.resolution_median),
        "breaches": row.breaches,
        "rating": row.satisfaction if row.satisfaction is not None else "—",
        "in_2h": percent(row.answered_2h),
        "in_24h": percent(row.answered_24h),
    }


def _span(texts: Texts, minutes: float | None) -> str:
    """A duration in minutes in the reader's words (30分钟, 2小时5分), "—" for none yet."""
    if minutes is None:
        return shown(minutes)
    whole = round(minutes)
    if whole < 60:
        return texts.plain("tickets.age_minutes", count=whole)
    if whole < 1440:
        return texts.plain("tickets.age_hours", hours=whole // 60, minutes=whole % 60)
    return texts.plain("tickets.age_days", days=whole // 1440, hours=whole % 1440 // 60)


def _age(texts: Texts, now: datetime, then: datetime) -> str:
    """How long a ticket has been open, in the reader's words (5分钟, 2小时5分, 1天3小时)."""
    minutes = max(0, int((now - then).total_seconds() // 60))
    return _span(texts, minutes) if minutes >= 1 else texts.plain("tickets.age_now")
