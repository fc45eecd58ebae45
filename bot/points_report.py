"""``shequn report points``: top earners, points issued per rule per week, redemptions."""

from __future__ import annotations

import csv
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import IO
from zoneinfo import ZoneInfo

from storage.repositories import Repositories


@dataclass(slots=True)
class PointsReport:
    since: datetime
    #: (chat title, member name, points earned in the window)
    top: list[tuple[str, str, int]] = field(default_factory=list)
    #: week (YYYY-Www) → rule → points issued
    issued: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    #: status → count, and item → count
    redemptions: Counter[str] = field(default_factory=Counter)
    redeemed_items: Counter[str] = field(default_factory=Counter)


async def points_report(repos: Repositories, since: datetime, zone: ZoneInfo) -> PointsReport:
    report = PointsReport(since)
    earned: Counter[tuple[int, int]] = Counter()
    for row in await repos.points.ledger_since(since):
        local = row.created_at.astimezone(zone)
        year, week, _ = local.isocalendar()
        report.issued[f"{year}-W{week:02d}"][row.reason] += row.amount
        if row.amount > 0 and row.reason not in ("refund",):
            earned[(row.chat_id, row.user_id)] += row.amount
    for (chat_id, user_id), points in earned.most_common(10):
        chat = await repos.chats.get_by_id(chat_id)
        user = await repos.users.get_by_id(user_id)
        report.top.append(
            (
                (chat.title or chat.external_id) if chat else str(chat_id),
                user.display_name if user else str(user_id),
                points,
            )
        )
    for redemption in await repos.points.redemptions_since(since):
        report.redemptions[redemption.status] += 1
        report.redeemed_items[redemption.item] += 1
    return report


def print_report(report: PointsReport, echo: Callable[[str], object]) -> None:
    echo(f"points since {report.since:%Y-%m-%d}")
    echo("top earners:")
    if not report.top:
        echo("  nobody earned points")
    for chat, name, points in report.top:
        echo(f"  {points:>6}  {name}  ({chat})")
    echo("points issued per rule per week:")
    for week in sorted(report.issued):
        rules = ", ".join(
            f"{rule} {amount:+d}" for rule, amount in sorted(report.issued[week].items())
        )
        echo(f"  {week}: {rules}")
    total = sum(report.redemptions.values())
    statuses = ", ".join(f"{k} {v}" for k, v in sorted(report.redemptions.items()))
    echo(f"redemptions: {total}" + (f" ({statuses})" if statuses else ""))
    for item, count in report.redeemed_items.most_common():
        echo(f"  {item}: {count}")


def write_csv(report: PointsReport, out: IO[str]) -> None:
    """One row per figure: section, key, subkey, value (easy to pivot in a spreadsheet)."""
    writer = csv.writer(out)
    writer.writerow(["section", "key", "subkey", "value"])
    for chat, name, points in report.top:
        writer.writerow(["top_earner", name, chat, points])
    for week in sorted(report.issued):
        for rule, amount in sorted(report.issued[week].items()):
            writer.writerow(["issued", week, rule, amount])
    for status, count in sorted(report.redemptions.items()):
        writer.writerow(["redemptions", status, "", count])
    for item, count in report.redeemed_items.most_common():
        writer.writerow(["redeemed_item", item, "", count])
