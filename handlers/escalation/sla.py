"""The response-time target: reminders to staff at half the target, and a breach
notice naming the leads at the full target — counted in staff hours only, so a
complaint at 23:00 is not "late" at 08:00."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from handlers.actions import Action, NotifyStaff
from handlers.context import Community
from handlers.escalation.config import EscalationConfig
from handlers.i18n import Catalog
from storage.repositories import Repositories


def staff_time(
    start: datetime, end: datetime, hours: tuple[time, time] | None, zone: ZoneInfo
) -> timedelta:
    """How much of ``start``–``end`` falls within staff hours (all of it when None)."""
    if end <= start:
        return timedelta(0)
    if hours is None:
        return end - start
    opens, closes = hours
    total = timedelta(0)
    day = start.astimezone(zone).date()
    last = end.astimezone(zone).date()
    while day <= last:
        window_start = datetime.combine(day, opens, zone)
        window_end = datetime.combine(day, closes, zone)
        overlap = min(end, window_end) - max(start, window_start)
        if overlap > timedelta(0):
            total += overlap
        day += timedelta(days=1)
    return total


class SlaSweep:
    """The sweep task that watches unanswered tickets."""

    __name__ = "sla"

    def __init__(self, config: EscalationConfig, catalog: Catalog, community: Community) -> None:
        self.config = config
        self.catalog = catalog
        self.community = community

    async def __call__(self, repos: Repositories, now: datetime) -> list[Action]:
        texts = self.catalog.for_language(self.community.language)
        actions: list[Action] = []
        leads = ", ".join(self.config.leads) or texts.plain("tickets.no_leads")
        for ticket in await repos.tickets.awaiting_first_response():
            target = self.config.targets.get(ticket.severity, self.config.targets["low"])
            waited = staff_time(
                ticket.created_at, now, self.config.staff_hours, self.community.timezone
            )
            minutes = int(target.total_seconds() // 60)
            if waited >= target:
                if await repos.tickets.mark(ticket.id, "breached_at", now):
                    await repos.tickets.log(ticket.id, "breached", now)
                    actions.append(
                        NotifyStaff(
                            text=texts.t("tickets.breach", id=ticket.id, minutes=minutes,
                                         leads=leads)
                        )
                    )  # fmt: skip
            elif waited >= target / 2 and await repos.tickets.mark(ticket.id, "reminded_at", now):
                left = int((target - waited).total_seconds() // 60)
                actions.append(
                    NotifyStaff(text=texts.t("tickets.reminder", id=ticket.id, left=left))
                )
        return actions
