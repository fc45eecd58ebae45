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


#: Weekday names as APScheduler reads them, by crontab number (0 and 7 are Sunday).
_CRONTAB_DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat", "sun")


def trigger(cron: str, zone: ZoneInfo | None) -> CronTrigger:
    fields = cron.split()
    if len(fields) == 5:
        fields[4] = crontab_weekdays(fields[4])
    try:
        return CronTrigger.from_crontab(" ".join(fields), timezone=zone)
    except (ValueError, TypeError) as error:
        raise CronError(str(error)) from None


def crontab_weekdays(field: str) -> str:
    """A weekday field with crontab's numbers (0 or 7 = Sunday, 1 = Monday) as the
    names APScheduler reads: its own numbers start at Monday, so ``0 20 * * 3`` would
    otherwise fire on Thursday instead of Wednesday. Names may stand beside numbers
    (``mon,3``, ``fri-7``) and mean the same days. A field that cannot be read is
    left for the trigger to refuse."""
    if not any(ch.isdigit() for ch in field):
        return field
    days: set[int] = set()
    for part in field.split(","):
        span, _, raw_step = part.partition("/")
        if not (raw_step.isdigit() or not raw_step) or (raw_step and int(raw_step) == 0):
            return field
        step = int(raw_step) if raw_step else 1
        if span == "*":
            first, last = 0, 6
        else:
            low, dash, high = span.partition("-")
            first, end = _crontab_day(low), _crontab_day(high) if dash else None
            if first is None or (dash and end is None):
                return field
            last = end if end is not None else (6 if raw_step else first)
        if not 0 <= first <= last <= 7:
            return field
        days.update(day % 7 for day in range(first, last + 1, step))
    return ",".join(_CRONTAB_DAYS[day] for day in sorted(days))


def _crontab_day(token: str) -> int | None:
    """A weekday as crontab numbers it (``3`` or ``wed``: 3), or None."""
    if token.isdigit():
        return int(token)
    name = token.lower()
    return _CRONTAB_DAYS.index(name) if name in _CRONTAB_DAYS else None


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
    # Just past ``after``: the trigger rounds up to a whole second, so a second here
    # would skip a slot falling less than a second after it (a sweep at 11:59:59.5).
    moment = after + timedelta(microseconds=1)
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


#: How many coming slots two rules are compared on (a year of weekly slots).
SAME_RULE_SLOTS = 52


def same_slots(cron: str, other: str, zone: ZoneInfo, after: datetime) -> bool:
    """Whether two rules fire at the same moments, however they are spelled (``sat``,
    ``6``, ``SAT``; ``mon-fri``, ``1-5``): two such schedules of one pool would post
    twice at every slot. Compared on the coming slots, as members would see them."""
    try:
        return next_slots(cron, zone, after, SAME_RULE_SLOTS) == next_slots(
            other, zone, after, SAME_RULE_SLOTS
        )
    except CronError:  # a stored rule that no longer reads is no duplicate of anything
        return False
