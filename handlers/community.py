"""``[community]``: who the community is, where it lives in time, and who runs it."""

from __future__ import annotations

from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import Field

from handlers.config import PlatformIds, Section, TimeZone


class Community(Section):
    name: str = Field("Shequn community", min_length=1, max_length=64)
    #: Times are stored in UTC and shown in this zone.
    timezone: TimeZone = ZoneInfo("Asia/Shanghai")
    language: Literal["zh", "en"] = "zh"
    #: Extra moderators beyond chat admins, as ``platform:user_id`` (``telegram:12345``).
    moderators: PlatformIds = frozenset()
    #: Staff members, as ``platform:user_id``: they act on tickets anywhere.
    staff: PlatformIds = frozenset()
