"""Response-time figures for ``/sla`` and ``shequn report sla``: first response
and resolution (median, p90), breaches and satisfaction, by severity and week."""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from storage.records import TicketRecord


@dataclass(frozen=True, slots=True)
class SlaFigures:
    tickets: int
    answered: int
    first_response_median: float | None
    first_response_p90: float | None
    resolved: int
    resolution_median: float | None
    resolution_p90: float | None
    breaches: int
    satisfaction: float | None
    #: Share of tickets with a first answer within 2 and within 24 hours (the playbook's
    #: response rates), on the wall clock.
    answered_2h: float | None = None
    answered_24h: float | None = None

    def as_dict(self) -> dict[str, float | int | None]:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


def figures(tickets: Iterable[TicketRecord], now: datetime | None = None) -> SlaFigures:
    """The figures of ``tickets``; ``now`` tells which unanswered ones are still in time
    (a ticket opened five minutes ago has not missed the two hours yet)."""
    rows = list(tickets)
    first = [_minutes(t.first_response_at - t.created_at) for t in rows if t.first_response_at]
    solved = [_minutes(t.resolved_at - t.created_at) for t in rows if t.resolved_at]
    ratings = [t.rating for t in rows if t.rating]
    return SlaFigures(
        tickets=len(rows),
        answered=len(first),
        first_response_median=_median(first),
        first_response_p90=_p90(first),
        resolved=len(solved),
        resolution_median=_median(solved),
        resolution_p90=_p90(solved),
        breaches=sum(1 for t in rows if t.breached_at),
        satisfaction=round(statistics.mean(ratings), 2) if ratings else None,
        answered_2h=_share(rows, timedelta(hours=2), now),
        answered_24h=_share(rows, timedelta(hours=24), now),
    )


def _share(rows: list[TicketRecord], within: timedelta, now: datetime | None) -> float | None:
    """Tickets answered within ``within``, as a share of those already decided: answered,
    or unanswered for longer than ``within`` (those still in time are not counted yet)."""
    decided = [
        t for t in rows if t.first_response_at or (now is not None and now - t.created_at > within)
    ]
    if not decided:
        return None
    hits = sum(
        1 for t in decided if t.first_response_at and t.first_response_at - t.created_at <= within
    )
    return round(hits / len(decided), 3)


def by_severity(
    tickets: Iterable[TicketRecord], now: datetime | None = None
) -> dict[str, SlaFigures]:
    groups: dict[str, list[TicketRecord]] = defaultdict(list)
    for ticket in tickets:
        groups[ticket.severity].append(ticket)
    order = ("crisis", "high", "low")
    return {severity: figures(groups[severity], now) for severity in order if groups[severity]}


def by_week(
    tickets: Iterable[TicketRecord], zone: ZoneInfo, now: datetime | None = None
) -> dict[str, SlaFigures]:
    groups: dict[str, list[TicketRecord]] = defaultdict(list)
    for ticket in tickets:
        year, week, _ = ticket.created_at.astimezone(zone).isocalendar()
        groups[f"{year}-W{week:02d}"].append(ticket)
    return {week: figures(groups[week], now) for week in sorted(groups)}


def _minutes(delta: object) -> float:
    return round(delta.total_seconds() / 60, 1)  # type: ignore[attr-defined]


def _median(values: list[float]) -> float | None:
    return round(statistics.median(values), 1) if values else None


def _p90(values: list[float]) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.9))]


def shown(figure: float | None) -> str:
    """A figure (minutes, a rating) as shown to people: "—" when there is none yet."""
    return "—" if figure is None else f"{figure:g}"


def percent(share: float | None) -> str:
    """A share as shown to people: "75%", or "—" when there is nothing to share."""
    return "—" if share is None else f"{share:.0%}"
