"""The activation funnel: how many joined, were welcomed, took part, left.

Pure computation over membership records so the figures can be tested and
shown identically in chat (``/onboarding``) and on the CLI.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from storage.records import MemberRecord

MILESTONES = (3, 7, 14)


@dataclass(slots=True)
class FunnelRow:
    joined: int = 0
    welcomed: int = 0
    activated: dict[int, int] = field(default_factory=lambda: dict.fromkeys(MILESTONES, 0))
    left: int = 0

    def percent(self, count: int) -> float:
        return round(100 * count / self.joined, 1) if self.joined else 0.0

    def add(self, member: MemberRecord) -> None:
        started = member.onboarding_started_at
        assert started is not None
        self.joined += 1
        self.welcomed += member.welcomed_at is not None
        self.left += member.left_at is not None
        if member.activated_at is not None:
            for days in MILESTONES:
                self.activated[days] += member.activated_at - started <= timedelta(days=days)


@dataclass(slots=True)
class Funnel:
    since: datetime
    total: FunnelRow
    #: Monday of the join week (community time) → that cohort's row.
    cohorts: dict[date, FunnelRow]

    def as_dict(self) -> dict:
        def row(r: FunnelRow) -> dict:
            data = asdict(r)
            data["activated"] = {f"{d}d": n for d, n in r.activated.items()}
            data["activated_percent"] = {f"{d}d": r.percent(n) for d, n in r.activated.items()}
            data["welcomed_percent"] = r.percent(r.welcomed)
            data["left_percent"] = r.percent(r.left)
            return data

        return {
            "since": self.since.isoformat(),
            "total": row(self.total),
            "cohorts": {week.isoformat(): row(r) for week, r in sorted(self.cohorts.items())},
        }


def compute_funnel(members: Iterable[MemberRecord], since: datetime, zone: ZoneInfo) -> Funnel:
    total, cohorts = FunnelRow(), {}
    for member in members:
        if member.onboarding_started_at is None or member.onboarding_started_at < since:
            continue
        local = member.onboarding_started_at.astimezone(zone).date()
        week = local - timedelta(days=local.weekday())
        total.add(member)
        cohorts.setdefault(week, FunnelRow()).add(member)
    return Funnel(since, total, cohorts)


@dataclass(slots=True)
class StepReach:
    """How one step's messages reached members."""

    private: int = 0
    group: int = 0
    missed: int = 0
    #: Why the missed ones were not sent: reason code → count.
    reasons: Counter[str] = field(default_factory=Counter)
    #: Not sent because there was no need (the member already took part…), and why.
    unneeded: int = 0
    unneeded_reasons: Counter[str] = field(default_factory=Counter)

    def as_dict(self) -> dict:
        return {
            "private": self.private,
            "group": self.group,
            "missed": self.missed,
            "reasons": dict(self.reasons.most_common()),
            "unneeded": self.unneeded,
            "unneeded_reasons": dict(self.unneeded_reasons.most_common()),
        }


#: Reasons a step was rightly not sent: nobody missed anything.
UNNEEDED = frozenset(
    {"active", "superseded", "switched_off", "work_room", "step_removed", "nobody_left",
     "no_content", "one_to_one"}
)  # fmt: skip


def compute_reach(
    outcomes: Iterable[tuple[str, str, str | None, str | None, int]], step_prefix: str
) -> dict[str, StepReach]:
    """Per step, from its members' deliveries' (kind, status, reached, last_error, count):
    sent privately, greeted in the group, or not reached (skipped, refused, too late).
    Deliveries still to come are not counted."""
    reach: dict[str, StepReach] = {}
    for kind, status, reached, error, count in outcomes:
        if status in ("pending", "sending"):
            continue
        row = reach.setdefault(kind.removeprefix(step_prefix), StepReach())
        if status == "sent" and reached == "private":
            row.private += count
        elif status == "sent" and reached == "group":
            row.group += count
        elif status == "sent":
            continue  # sent before reach was recorded, or to a group-audience step
        else:
            code = {"failed": "refused", "stale": "stale"}.get(status, error or "unknown")
            if code in UNNEEDED:
                row.unneeded += count
                row.unneeded_reasons[code] += count
            else:
                row.missed += count
                row.reasons[code] += count
    return reach
