"""Who may do what: members, moderators and staff."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    MEMBER = "member"
    #: A chat admin/creator on the platform, an anonymous admin, or listed in config.
    MODERATOR = "moderator"
    #: Receives escalations; listed in config.
    STAFF = "staff"


def platform_key(platform: str, user_id: str) -> str:
    """How config lists people: ``telegram:12345``."""
    return f"{platform}:{user_id}"
