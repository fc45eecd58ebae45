"""The holiday calendar: festivals whose prompt replaces the day's first topic."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import date
from importlib import resources
from pathlib import Path


class CalendarError(ValueError):
    """The calendar file cannot be read."""


@dataclass(frozen=True, slots=True)
class Holiday:
    day: date
    name: str
    name_en: str
    prompt: str
    prompt_en: str

    def prompt_for(self, language: str) -> str:
        return self.prompt_en if language == "en" and self.prompt_en else self.prompt


def load_calendar(path: Path | None = None) -> dict[date, Holiday]:
    """The built-in Chinese calendar, or the file at ``path``."""
    try:
        if path is None:
            builtin = resources.files("handlers.topics").joinpath("holidays_cn.toml")
            text = builtin.read_text("utf-8")
        else:
            text = path.read_text("utf-8")
        entries = tomllib.loads(text).get("holiday", [])
        calendar = {}
        for index, entry in enumerate(entries):
            day = entry["date"]
            if not isinstance(day, date):
                raise CalendarError(f"holiday[{index}].date must be a date like 2027-02-06")
            calendar[day] = Holiday(
                day=day,
                name=str(entry["name"]),
                name_en=str(entry.get("name_en", "")),
                prompt=str(entry["prompt"]),
                prompt_en=str(entry.get("prompt_en", "")),
            )
        return calendar
    except (OSError, tomllib.TOMLDecodeError, KeyError, TypeError) as error:
        raise CalendarError(f"holiday calendar {path or 'built-in'}: {error}") from None
