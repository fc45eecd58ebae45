"""``[topics]``: the discussion programme, read by its handlers as it is."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from pydantic import Field, field_validator

from handlers.config import Section
from handlers.topics.holidays import CalendarError, HolidayCalendar, load_calendar


class Schedule(Section):
    name: str = Field(pattern=r"^[a-z0-9_]{1,32}$")
    #: Five-field cron in the community's timezone: minute hour day month weekday.
    cron: str
    pool: str = Field(pattern=r"^[a-z0-9_]{1,32}$")

    @field_validator("cron")
    @classmethod
    def _cron(cls, value: str) -> str:
        from handlers.topics.slots import CronError, next_slots

        try:
            upcoming = next_slots(value, ZoneInfo("UTC"), datetime.now(UTC), 1)
        except CronError as error:
            raise ValueError(f'{error}; e.g. "0 20 * * sat" is Saturdays at 20:00') from None
        if not upcoming:  # accepted by the parser, yet no day matches: nothing would post
            raise ValueError(
                f'"{value}" never fires (no such day, e.g. 31 February); '
                'e.g. "0 20 * * sat" is Saturdays at 20:00'
            )
        return value


#: 周末话题 Saturdays 20:00, 工作日答疑 weekdays 12:00, and the first Monday's
#: expert session (月度专家分享) at 19:00, in every group.
DEFAULT_SCHEDULES = (
    Schedule(name="weekend", cron="0 20 * * sat", pool="weekend"),
    Schedule(name="qa", cron="0 12 * * mon-fri", pool="qa"),
    Schedule(name="expert", cron="0 19 1-7 * mon", pool="expert"),
)


class TopicsSettings(Section):
    enabled: bool = True
    #: Applied to every community group; moderators add, pause and remove per group.
    schedules: tuple[Schedule, ...] = DEFAULT_SCHEDULES
    #: Messages within this many minutes of a posted topic count as taking part.
    window_minutes: int = Field(180, ge=1)
    #: A slot missed while the bot was down is posted at start only within this many minutes.
    grace_minutes: int = Field(60, ge=0)
    #: Festivals replace the day's first topic.
    holidays: bool = True
    #: Your own festival calendar instead of the built-in Chinese one ("": built-in).
    holidays_file: str = ""
    #: When a topic's window closes, thank the participants by name.
    summary: bool = True

    @field_validator("holidays_file")
    @classmethod
    def _readable(cls, value: str) -> str:
        if value:
            try:
                load_calendar(Path(value))
            except CalendarError as error:
                raise ValueError(str(error)) from None
        return value

    @property
    def window(self) -> timedelta:
        return timedelta(minutes=self.window_minutes)

    @property
    def grace(self) -> timedelta:
        return timedelta(minutes=self.grace_minutes)

    @property
    def calendar_file(self) -> Path | None:
        return Path(self.holidays_file) if self.holidays_file else None

    def calendar(self) -> HolidayCalendar:
        """The festivals posted on (none when ``holidays`` is off)."""
        return load_calendar(self.calendar_file) if self.holidays else HolidayCalendar()
