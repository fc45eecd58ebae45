"""What every feature's settings model is built from.

Each feature owns one pydantic model (``[onboarding]`` is
:class:`handlers.onboarding.settings.OnboardingSettings`, and so on): the
config file and ``SHEQUN_*`` variables fill it, and the feature's handlers
read it as it is. Values an operator writes as text ("3d", "22:00-08:00",
"Asia/Shanghai") are parsed here once and kept as real types; they print back
the way they were written (``shequn config``).
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, BeforeValidator, ConfigDict, PlainSerializer, WithJsonSchema
from pydantic_settings import NoDecode

from handlers.clock import format_duration, parse_duration
from handlers.daily_window import DailyWindow


class Section(BaseModel):
    """A config section: a misspelt key is an error, not silently ignored."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def _duration(value: Any) -> timedelta:
    if isinstance(value, timedelta):
        return value
    try:
        return parse_duration(str(value))
    except ValueError as error:
        raise ValueError(f"{error} (examples: 0m, 90m, 3d, 1d12h)") from None


#: A length of time written like ``3d``, ``12h``, ``1d6h`` or ``90m``.
Duration = Annotated[
    timedelta,
    BeforeValidator(_duration),
    PlainSerializer(format_duration, return_type=str),
    WithJsonSchema({"type": "string"}),
]


def _window(value: Any) -> DailyWindow | None:
    if value is None or isinstance(value, DailyWindow):
        return value
    text = str(value).strip()
    return DailyWindow.parse(text) if text else None


#: Local hours of every day, ``HH:MM-HH:MM`` (may wrap midnight); ``""`` for none.
Window = Annotated[
    DailyWindow | None,
    BeforeValidator(_window),
    PlainSerializer(lambda w: str(w) if w else "", return_type=str),
    WithJsonSchema({"type": "string"}),
]


def _zone(value: Any) -> ZoneInfo:
    if isinstance(value, ZoneInfo):
        return value
    try:
        return ZoneInfo(str(value))
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {value!r} (example: Asia/Shanghai)") from None


#: An IANA time zone name.
TimeZone = Annotated[
    ZoneInfo,
    BeforeValidator(_zone),
    PlainSerializer(str, return_type=str),
    WithJsonSchema({"type": "string"}),
]


def text_list(value: Any) -> Any:
    """A list from the environment: JSON (``["a", "b"]``) or comma-separated (``a,b``)."""
    if not isinstance(value, str):
        return value
    text = value.strip()
    if text.startswith("["):
        try:
            return json.loads(text)
        except json.JSONDecodeError:
            raise ValueError(f'{value!r} is not a JSON list (example: ["a", "b"])') from None
    return [part.strip() for part in text.split(",") if part.strip()]


def _people(values: Any) -> tuple[str, ...]:
    """``platform:user_id`` entries, in their order, each validated once."""
    people: list[str] = []
    for value in text_list(values) or ():
        platform, _, user_id = str(value).strip().partition(":")
        if not platform or not user_id:
            raise ValueError(f"{value!r} should look like telegram:12345")
        key = f"{platform.lower()}:{user_id}"
        if key not in people:
            people.append(key)
    return tuple(people)


#: People as ``platform:user_id`` (``telegram:12345``), looked up as a set.
PlatformIds = Annotated[
    frozenset[str],
    NoDecode,
    BeforeValidator(lambda values: frozenset(_people(values))),
    PlainSerializer(sorted, return_type=list[str]),
]

#: The same, where their order matters (round-robin buddies).
PlatformIdList = Annotated[tuple[str, ...], NoDecode, BeforeValidator(_people)]

#: Words or names, from TOML or the environment (JSON or comma-separated).
TextList = Annotated[tuple[str, ...], NoDecode, BeforeValidator(text_list)]
