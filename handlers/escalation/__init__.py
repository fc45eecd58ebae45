"""Complaints to human staff: detection, tickets, the response-time target."""

from __future__ import annotations

from handlers.escalation import cards
from handlers.escalation.config import EscalationConfig
from handlers.escalation.tickets import Tickets
from handlers.events import ButtonPressed, MessagePosted
from handlers.roles import Role
from handlers.router import Command, Router


def register(router: Router, tickets: Tickets) -> None:
    intake, desk, views = tickets.intake, tickets.desk, tickets.views
    router.on(ButtonPressed, desk.on_button, priority=130, name="tickets.button", exclusive=True)
    # A reply to a ticket message is an answer, never an FAQ question or a new complaint.
    router.on(MessagePosted, desk.on_reply, priority=35, name="tickets.reply", exclusive=True)
    router.on(MessagePosted, intake.on_message, priority=40, name="tickets.detect")
    router.on_receipt(cards.TO_MEMBER, desk.on_delivery)
    for command in (
        Command("complain", intake.complain, Role.MEMBER, "help.complain"),
        Command("human", intake.human, Role.MEMBER, "help.human"),
        Command("mytickets", views.mine, Role.MEMBER, "help.mytickets"),
        Command("tickets", views.list_open, Role.STAFF, "help.tickets"),
        Command("ticket", views.show, Role.STAFF, "help.ticket"),
        Command("reply", desk.answer, Role.STAFF, "help.reply"),
        Command("resolve", desk.resolve, Role.STAFF, "help.resolve"),
        Command("sla", views.sla, Role.STAFF, "help.sla"),
    ):
        router.command(command)


__all__ = ["EscalationConfig", "Tickets", "register"]
