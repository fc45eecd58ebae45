"""The community at a glance, as chart data: members, newcomers' activation,
messages, the FAQ, tickets against their response targets, and points.

Platform-neutral and free of drawing: the console draws these as SVG and offers
each as CSV; the counting itself happens in the database
(:class:`storage.repositories.figures.FiguresRepository`).
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from handlers.actions import Action
from handlers.escalation.settings import EscalationSettings
from handlers.onboarding.funnel import MILESTONES
from handlers.sweeper import SweepTask
from storage.repositories import Repositories

#: The longest range a page draws (a daily chart of two years is still readable).
MAX_DAYS = 731


@dataclass(frozen=True, slots=True)
class Series:
    #: Its name in the message catalog, under ``console_ui.``.
    name: str
    values: tuple[float | None, ...]
    #: ``bar`` or ``line``.
    style: str = "bar"


@dataclass(frozen=True, slots=True)
class Chart:
    #: Also its title's key (``console_ui.chart_<key>``) and its CSV's name.
    key: str
    #: One per column: a day, or the Monday of a week (``YYYY-MM-DD``).
    labels: tuple[str, ...]
    series: tuple[Series, ...]
    #: ``count``, ``percent`` or ``minutes``.
    unit: str = "count"


@dataclass(frozen=True, slots=True)
class Period:
    """Whole local days, ``first`` to ``last`` inclusive."""

    first: date
    last: date
    zone: ZoneInfo

    @classmethod
    def ending(cls, today: date, zone: ZoneInfo, weeks: int = 12) -> Period:
        return cls(today - timedelta(weeks=weeks) + timedelta(days=1), today, zone)

    @property
    def start(self) -> datetime:
        return datetime.combine(self.first, time(), self.zone).astimezone(UTC)

    @property
    def end(self) -> datetime:
        return datetime.combine(self.last + timedelta(days=1), time(), self.zone).astimezone(UTC)

    def days(self) -> list[str]:
        count = (self.last - self.first).days + 1
        return [(self.first + timedelta(days=n)).isoformat() for n in range(count)]

    def weeks(self) -> list[str]:
        monday = self.first - timedelta(days=self.first.weekday())
        weeks = []
        while monday <= self.last:
            weeks.append(monday.isoformat())
            monday += timedelta(weeks=1)
        return weeks


def week_of(day: str) -> str:
    """The Monday of the week holding ``day`` (``YYYY-MM-DD``)."""
    value = date.fromisoformat(day)
    return (value - timedelta(days=value.weekday())).isoformat()


def _weekly(daily: dict[str, int], weeks: list[str]) -> tuple[float, ...]:
    sums: dict[str, int] = defaultdict(int)
    for day, count in daily.items():
        sums[week_of(day)] += count
    return tuple(float(sums.get(week, 0)) for week in weeks)


def _local_week(at: datetime, zone: ZoneInfo) -> str:
    return week_of(at.astimezone(zone).date().isoformat())


async def overview(
    repos: Repositories,
    period: Period,
    escalation: EscalationSettings,
    now: datetime,
    chat_id: int | None = None,
) -> list[Chart]:
    """Every chart of the overview, for one chat or (``None``) the whole community."""
    zone, start, end = period.zone, period.start, period.end
    days, weeks = period.days(), period.weeks()
    figures = repos.figures

    # Members: joins and leaves per week, and how many were in at each week's end
    # (today's count, walked back through the changes since).
    counted = await figures.hourly(start, max(end, now), zone, chat_id)
    joins, leaves = counted["joins"], counted["leaves"]
    present = await figures.members_present(chat_id)
    net_after: dict[str, int] = defaultdict(int)
    for day, count in joins.items():
        net_after[day] += count
    for day, count in leaves.items():
        net_after[day] -= count
    in_range = {day: n for day, n in joins.items() if day <= period.last.isoformat()}
    out_range = {day: n for day, n in leaves.items() if day <= period.last.isoformat()}
    members_at_end = []
    for week in weeks:
        week_end = (date.fromisoformat(week) + timedelta(days=6)).isoformat()
        later = sum(n for day, n in net_after.items() if day > week_end)
        members_at_end.append(float(max(present - later, 0)))
    members = Chart(
        "members",
        tuple(weeks),
        (
            Series("joins", _weekly(in_range, weeks)),
            Series("leaves", _weekly(out_range, weeks)),
            Series("members", tuple(members_at_end), "line"),
        ),
    )

    # Newcomers by the week they joined: who took part within 3, 7 and 14 days.
    cohorts: dict[str, list[int]] = defaultdict(lambda: [0] * (1 + len(MILESTONES)))
    for day, counts in (await figures.newcomers(start, end, zone, chat_id, MILESTONES)).items():
        row = cohorts[week_of(day)]
        for index, count in enumerate(counts):
            row[index] += count

    def share(week: str, index: int) -> float | None:
        row = cohorts.get(week)
        if not row or not row[0]:
            return None
        return round(100 * row[index + 1] / row[0], 1)

    funnel = Chart(
        "funnel",
        tuple(weeks),
        tuple(
            Series(f"activated_{d}", tuple(share(w, n) for w in weeks), "line")
            for n, d in enumerate(MILESTONES)
        ),
        "percent",
    )

    last = period.last.isoformat()
    messages = {day: n for day, n in counted["messages"].items() if day <= last}
    points = {day: n for day, n in counted["points"].items() if day <= last}
    message_chart = Chart(
        "messages",
        tuple(days),
        (Series("messages", tuple(float(messages.get(d, 0)) for d in days)),),
    )

    given, offered, missed = await figures.faq(start, end, zone, chat_id)
    faq = Chart(
        "faq",
        tuple(days),
        tuple(
            Series(name, tuple(float(daily.get(d, 0)) for d in days))
            for name, daily in (("answered", given), ("suggested", offered), ("missed", missed))
        ),
    )

    # Tickets: opened per week by severity; first answers against each one's target.
    opened: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    first: dict[str, list[float]] = defaultdict(list)
    in_time: dict[str, list[bool]] = defaultdict(list)
    for created, answered, severity in await figures.tickets(start, end, chat_id):
        week = _local_week(created, zone)
        opened[week][severity] += 1
        target = escalation.target(severity)
        if answered is not None:
            first[week].append((answered - created).total_seconds() / 60)
            in_time[week].append(answered - created <= target)
        elif now - created > target:  # still unanswered and already late
            in_time[week].append(False)
    tickets = Chart(
        "tickets",
        tuple(weeks),
        tuple(
            Series(f"severity_{s}", tuple(float(opened[w][s]) for w in weeks))
            for s in ("crisis", "high", "low")
        ),
    )
    response_time = Chart(
        "response_time",
        tuple(weeks),
        (
            Series(
                "first_response_median",
                tuple(round(statistics.median(first[w]), 1) if first[w] else None for w in weeks),
                "line",
            ),
        ),
        "minutes",
    )
    response = Chart(
        "response",
        tuple(weeks),
        (
            Series(
                "within_target",
                tuple(
                    round(100 * sum(in_time[w]) / len(in_time[w]), 1) if in_time[w] else None
                    for w in weeks
                ),
                "line",
            ),
        ),
        "percent",
    )

    points_chart = Chart("points", tuple(weeks), (Series("points", _weekly(points, weeks)),))
    return [members, funnel, message_chart, faq, tickets, response_time, response, points_chart]


#: Ledger rows younger than this may belong to a transaction still open.
SETTLE = timedelta(minutes=2)


def count_points_earned() -> SweepTask:
    """Keeps the hourly points earned (the overview's points chart) up with the ledger."""

    async def count_points_earned(repos: Repositories, now: datetime) -> list[Action]:
        await repos.figures.count_points_earned(now - SETTLE)
        return []

    return count_points_earned


def as_csv_rows(chart: Chart, names: dict[str, str]) -> list[list[str]]:
    """The chart as a table: a header, then one row per column of the chart."""
    header = ["date", *(names.get(s.name, s.name) for s in chart.series)]
    rows = [header]
    for index, label in enumerate(chart.labels):
        cells = [label]
        for series in chart.series:
            value = series.values[index]
            cells.append("" if value is None else f"{value:g}")
        rows.append(cells)
    return rows
