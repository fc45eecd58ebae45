"""The response-time target: reminders to staff at half the target, and a breach
notice naming the leads at the full target — counted in staff hours only, so a
complaint at 23:00 is not "late" at 08:00."""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from handlers.actions import Action, NotifyStaff
from handlers.context import Community
from handlers.escalation import cards
from handlers.escalation.settings import EscalationSettings
from handlers.i18n import Catalog, Texts
from storage.repositories import Repositories

#: How long after a complaint its card counts as lost (the first post is at once).
CARD_GRACE = timedelta(minutes=1)
MAX_RETRY_DELAY = timedelta(hours=1)
#: A card not posted for this long is given up on (the ticket stays in /tickets).
CARD_GIVE_UP = timedelta(days=7)


class SlaSweep:
    """The sweep task that watches unanswered tickets, and posts again the cards the
    staff chat could not take (tickets are stored first, so none is lost)."""

    __name__ = "sla"

    def __init__(self, config: EscalationSettings, catalog: Catalog, community: Community) -> None:
        self.config = config
        self.catalog = catalog
        self.community = community

    async def __call__(self, repos: Repositories, now: datetime) -> list[Action]:
        texts = self.catalog.for_language(self.community.language)
        actions = await self._resend_cards(repos, texts, now)
        for ticket in await repos.tickets.awaiting_first_response():
            target = self.config.target(ticket.severity)
            hours = self.config.staff_hours
            waited = (
                hours.overlap(ticket.created_at, now, self.community.timezone)
                if hours is not None
                else now - ticket.created_at
            )
            minutes = int(target.total_seconds() // 60)
            if waited >= target:
                if await repos.tickets.mark(ticket.id, "breached_at", now):
                    await repos.tickets.log(ticket.id, "breached", now)
                    actions.append(
                        cards.leads_notice(
                            texts, self.config.leads, ticket.id, "tickets.breach", minutes=minutes
                        )
                    )
            elif waited >= target / 2 and await repos.tickets.mark(ticket.id, "reminded_at", now):
                left = math.ceil((target - waited).total_seconds() / 60)  # 60, not 59
                text = texts.t("tickets.reminder", id=ticket.id, count=left)
                actions.append(NotifyStaff(text=text, tag=cards.note(ticket.id)))
        return actions

    async def next_due(self, repos: Repositories, now: datetime) -> datetime | None:
        """When the next reminder or breach falls due, counted in staff hours."""
        hours, zone = self.config.staff_hours, self.community.timezone
        moments = []
        for ticket in await repos.tickets.awaiting_first_response():
            target = self.config.target(ticket.severity)
            for part in (target / 2, target):
                moments.append(
                    hours.after(ticket.created_at, part, zone)
                    if hours is not None
                    else ticket.created_at + part
                )
        return min((moment for moment in moments if moment > now), default=None)

    async def _resend_cards(self, repos: Repositories, texts: Texts, now: datetime) -> list[Action]:
        """Cards never posted are tried again after 1, 2, 4 … minutes (then hourly, for a
        week); a posted card is remembered with its message id, which ends the tries."""
        actions: list[Action] = []
        lost = await repos.tickets.without_card(
            cards.CARD, now - CARD_GRACE, now, created_after=now - CARD_GIVE_UP
        )
        for ticket in lost:
            attempts = ticket.card_attempts + 1
            await repos.tickets.card_retried(ticket.id, attempts, now + retry_delay(attempts))
            card = await cards.card_now(repos, texts, ticket, resent=True)
            if card is not None:
                actions.append(card)
        return actions


def retry_delay(attempts: int) -> timedelta:
    """How long to wait after the ``attempts``-th try before the next one."""
    return min(CARD_GRACE * 2 ** (attempts - 1), MAX_RETRY_DELAY)
