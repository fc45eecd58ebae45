"""Escalation settings (built from ``[escalation]`` in the config)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import time, timedelta

from handlers.escalation.detector import DetectorConfig


@dataclass(frozen=True, slots=True)
class EscalationConfig:
    #: First-response targets by severity (the playbook: answer within 2 hours).
    targets: dict[str, timedelta] = field(
        default_factory=lambda: {
            "crisis": timedelta(minutes=15),
            "high": timedelta(hours=1),
            "low": timedelta(hours=2),
        }
    )
    #: When staff are on duty, in the community's timezone (None: always).
    staff_hours: tuple[time, time] | None = (time(9, 0), time(21, 0))
    detector: DetectorConfig = field(default_factory=DetectorConfig)
    #: Open tickets for complaints spotted in group messages (not only /complain).
    auto_detect: bool = True
    #: Who is named when a target is missed or a crisis comes in (``telegram:123``…).
    leads: tuple[str, ...] = ()
    #: How far back a member's repeated complaints, and other members' complaints on
    #: the same subject, raise the grade of a new one.
    surge_window: timedelta = timedelta(minutes=30)
    #: Who owns each tier below crisis (``{"high": ("@li",)}``); named when one opens.
    owners: dict[str, tuple[str, ...]] = field(default_factory=dict)
    #: Standard wording (口径) staff send with ``:name`` instead of typing it out.
    replies: dict[str, str] = field(default_factory=dict)
