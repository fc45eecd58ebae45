"""``[community]``: who the community is, where it lives in time, and who runs it."""

from __future__ import annotations

from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import Field, field_validator

from handlers.config import PlatformIds, Section, TimeZone


class Community(Section):
    #: Shown in greetings and /settings: write your community's own name.
    name: str = Field("Shequn", min_length=1, max_length=64)
    #: Times are stored in UTC and shown in this zone.
    timezone: TimeZone = ZoneInfo("Asia/Shanghai")
    #: ``zh`` or ``en`` (``zh-CN``, ``zh_Hans``, ``en-US`` and the like are read as such).
    language: Literal["zh", "en"] = "zh"
    #: Extra moderators beyond chat admins, as ``platform:user_id`` (``telegram:12345``).
    moderators: PlatformIds = frozenset()
    #: Staff members, as ``platform:user_id``: they act on tickets anywhere.
    staff: PlatformIds = frozenset()

    @field_validator("language", mode="before")
    @classmethod
    def _language(cls, value: object) -> object:
        code = str(value).strip().lower().replace("_", "-")
        return code.split("-")[0] if code.startswith(("zh-", "en-")) else code
