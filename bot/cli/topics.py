"""``shequn topics import`` and ``shequn schedule preview``."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Annotated

import typer

from bot.cli.base import (
    ConfigOption,
    SkipBadOption,
    load,
    prepared,
    read_or_exit,
    run_async,
    schedule_cli,
    setup_logging,
    topics_cli,
)
from bot.settings import Settings


@topics_cli.command("import")
def topics_import(
    file: Annotated[Path, typer.Argument(help="a .yaml/.yml or .csv file of pool and text")],
    config: ConfigOption = None,
    skip_bad: SkipBadOption = False,
) -> None:
    """Add topics to pools; any bad row stops the import unless --skip-bad."""
    from bot.topics_file import read_topics
    from faq.formats import FormatError

    settings = load(config)
    setup_logging(settings, quiet=True)
    rows, problems = read_or_exit(read_topics, file, FormatError)
    for problem in problems:
        typer.echo(str(problem), err=True)
    if problems and not skip_bad:
        typer.echo(f"nothing imported: {len(problems)} bad row(s); fix them or use --skip-bad",
                   err=True)  # fmt: skip
        raise typer.Exit(1)
    added = run_async(_topics_import(settings, rows), config)
    typer.echo(f"imported {added} topic{'' if added == 1 else 's'} ({len(problems)} skipped)")


async def _topics_import(settings: Settings, rows: list[tuple[int, str, str]]) -> int:
    async with prepared(settings) as app, app.storage.transaction() as repos:
        existing = {
            (pool, topic.text)
            for pool in {pool for _, pool, _ in rows}
            for topic in await repos.topics.pool(pool)
        }
        added = 0
        for _, pool, text in rows:
            if (pool, text) not in existing:
                await repos.topics.add_topic(pool, text, app.clock.now())
                added += 1
        return added


@schedule_cli.command("preview")
def schedule_preview(
    config: ConfigOption = None,
    days: Annotated[int, typer.Option(min=1, max=366, help="how many days ahead")] = 14,
) -> None:
    """What will be posted when, in every group (community time)."""
    settings = load(config)
    setup_logging(settings, quiet=True)
    for line in run_async(_schedule_preview(settings, days), config):
        typer.echo(line)


async def _schedule_preview(settings: Settings, days: int) -> list[str]:
    from handlers.desk import community_groups
    from handlers.topics.holidays import HolidayCalendar, load_calendar
    from handlers.topics.slots import CronError, slots_between

    topics = settings.topics
    holidays = load_calendar(topics.calendar_file) if topics.holidays else HolidayCalendar()
    async with prepared(settings) as app, app.storage.transaction() as repos:
        now = app.clock.now()
        zone = app.community.timezone
        groups = {chat.id: chat for chat in await community_groups(repos, settings.staff)}
        pools: dict[int, str] = {}
        schedules = await repos.topics.schedules()
        sizes = await repos.topics.pool_sizes()
        entries: list[tuple[datetime, str]] = []
        slots: list[tuple[datetime, int, str, str, int]] = []
        for schedule in schedules:
            chat = groups.get(schedule.chat_id)
            if chat is None or chat.bot_status == "removed":
                continue
            title = chat.title or chat.external_id
            if schedule.paused:  # listed first, as the group's own /schedule marks it
                entries.append(
                    (now, f"paused  {title}  {schedule.name}: /schedule resume {schedule.id}")
                )
                continue
            try:
                upcoming = slots_between(schedule.cron, zone, now, now + timedelta(days=days))
            except CronError:
                continue
            slots.extend((slot, chat.id, title, schedule.name, schedule.id) for slot in upcoming)
            size = sizes.get(schedule.pool, 0)
            pools[schedule.id] = (
                f"pool {schedule.pool} ({size} topic{'s' if size != 1 else ''})"
                if size
                else f"pool {schedule.pool} is empty: nothing is posted"
            )
        holiday_posted: set[tuple[int, date]] = set()
        for slot, chat_id, title, name, schedule_id in sorted(slots):
            local = slot.astimezone(zone)
            holiday = holidays.get(local.date())
            # A holiday's post replaces a group's first slot that day; later ones are topics.
            if holiday and (chat_id, local.date()) not in holiday_posted:
                holiday_posted.add((chat_id, local.date()))
                what = f"holiday: {holiday.name}"
            else:
                what = pools[schedule_id]
            entries.append((slot, f"{local:%Y-%m-%d %a %H:%M}  {title}  {name}: {what}"))
    if not entries:
        return [f"nothing scheduled in the next {days} days"]
    return [line for _, line in sorted(entries, key=lambda entry: entry[0])]
