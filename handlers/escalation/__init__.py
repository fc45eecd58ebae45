"""Complaints to human staff: detection, tickets, the response-time target."""

from __future__ import annotations

from handlers.commands import number, text
from handlers.escalation import cards
from handlers.escalation.settings import EscalationSettings
from handlers.escalation.tickets import Tickets
from handlers.events import ButtonPressed, MessagePosted
from handlers.roles import Role
from handlers.router import DESK, Router, declare


def register(router: Router, tickets: Tickets) -> None:
    intake, desk, views = tickets.intake, tickets.desk, tickets.views
    router.on(
        ButtonPressed,
        desk.on_button,
        priority=130,
        name="tickets.button",
        exclusive=True,
        work_rooms=True,
    )
    # A reply to a ticket message is an answer, never an FAQ question or a new complaint.
    router.on(
        MessagePosted,
        desk.on_reply,
        priority=35,
        name="tickets.reply",
        exclusive=True,
        work_rooms=True,
    )
    router.on(MessagePosted, intake.on_message, priority=40, name="tickets.detect")
    # One to one, a complaint is answered as a ticket, not also by the FAQ.
    router.on(
        MessagePosted,
        intake.on_private_message,
        priority=45,
        name="tickets.detect_private",
        exclusive=True,
    )
    router.on_receipt(cards.TO_MEMBER, desk.on_delivery)
    complaint = text("complaint")
    ticket = number("ticket", optional=True)
    for declared in (
        declare("complain", intake.complain, args=(complaint,)),
        declare("human", intake.human, args=(text("complaint", optional=True),)),
        declare("mytickets", views.mine),
        declare("tickets", views.list_open, Role.STAFF, where=DESK),
        declare("ticket", views.show, Role.STAFF, where=DESK, args=(ticket,)),
        declare("reply", desk.answer, Role.STAFF, where=DESK,
                args=(number("ticket"), text("answer"))),
        declare("resolve", desk.resolve, Role.STAFF, where=DESK, args=(ticket,)),
        declare("sla", views.sla, Role.STAFF, where=DESK),
    ):  # fmt: skip
        router.command(declared)


__all__ = ["EscalationSettings", "Tickets", "register"]
