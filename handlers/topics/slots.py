"""When a schedule's slots fall, computed with APScheduler's cron trigger in the
community's timezone (daylight saving included)."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger

#: A slot computation never walks further than this (a broken rule cannot hang a sweep).
MAX_SLOTS = 500


class CronError(ValueError):
    """The rule is not a valid five-field cron expression."""


def trigger(cron: str, zone: ZoneInfo | None) -> CronTrigger:
    try:
        return CronTrigger.from_crontab(cron.strip(), timezone=zone)
    except (ValueError, TypeError) as error:
        raise CronError(str(error)) from None


#: The five fields, in order, as the catalog names them (``topics.cron_minute`` …).
CRON_FIELDS = ("minute", "hour", "day", "month", "weekday")


def cron_problem(cron: str) -> tuple[str, dict[str, object]]:
    """Why ``cron`` is not a valid rule, as a catalog key and its values, so the
    explanation is in the chat's language rather than the library's English."""
    fields = cron.split()
    if len(fields) != len(CRON_FIELDS):
        return "topics.cron_fields", {"count": len(fields)}
    for position, (name, value) in enumerate(zip(CRON_FIELDS, fields, strict=True)):
        alone = ["*"] * len(CRON_FIELDS)
        alone[position] = value
        try:
            trigger(" ".join(alone), None)
        except CronError:
            return "topics.cron_field", {"position": position + 1, "field": name, "value": value}
    return "topics.cron_combination", {}


def slots_between(cron: str, zone: ZoneInfo, after: datetime, until: datetime) -> list[datetime]:
    """Fire times in ``(after, until]``, oldest first, as UTC-aware datetimes."""
    rule = trigger(cron, zone)
    found: list[datetime] = []
    moment = after + timedelta(seconds=1)
    while len(found) < MAX_SLOTS:
        fire = rule.get_next_fire_time(None, moment.astimezone(zone))
        if fire is None or fire > until:
            break
        found.append(fire.astimezone(until.tzinfo))
        moment = fire + timedelta(seconds=1)
    return found


def next_slots(cron: str, zone: ZoneInfo, after: datetime, count: int) -> list[datetime]:
    rule = trigger(cron, zone)
    found: list[datetime] = []
    moment = after
    for _ in range(count):
        fire = rule.get_next_fire_time(None, moment.astimezone(zone))
        if fire is None:
            break
        found.append(fire)
        moment = fire + timedelta(seconds=1)
    return found
