"""``[escalation]``: complaints, tickets and response targets, read by their handlers
as they are."""

from __future__ import annotations

from datetime import time, timedelta
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator, model_validator

from handlers.config import Section, TextList, Window
from handlers.daily_window import DailyWindow


class DetectorSettings(Section):
    """The complaint detector's thresholds, and terms added to its built-in lexicon."""

    #: Points a message needs to be a complaint, a serious one, and (from crisis terms) a crisis.
    complaint_threshold: float = Field(2.0, gt=0)
    high_threshold: float = Field(5.5, gt=0)
    crisis_threshold: float = Field(4.0, gt=0)
    #: A calm question's points are scaled by this ("退款几天到账？" is an inquiry).
    question_factor: float = Field(0.7, ge=0, le=1)
    #: Extra or re-weighted terms, e.g. {"割韭菜" = 3.0}; a weight of 0 removes a built-in term.
    complaint_terms: dict[str, float] = Field(default_factory=dict)
    crisis_terms: dict[str, float] = Field(default_factory=dict)
    positive_terms: dict[str, float] = Field(default_factory=dict)
    #: Extra words that cancel a term right after them ("不是要投诉").
    negations: TextList = ()
    #: Extra signs of harm that make a complaint serious (重大): money, several people.
    harm_terms: TextList = ()
    #: The community's own products and services (课件, 会员卡, 酒店, "the app"): a mood or
    #: a problem such as 烦, 失望 or 坏了 is a complaint when it is about one of them or a
    #: built-in subject, and a safety incident (冒烟, 烫伤) with one of them is a crisis.
    service_terms: TextList = ()
    #: How far back a member's repeated complaints, and other members' complaints on
    #: the same subject, raise the grade.
    window_minutes: int = Field(30, ge=1)
    #: The second opinion of a model trained on labelled messages: a lexicon hit it
    #: rates below ``model_gate`` opens no ticket, nor does one it rates below
    #: ``model_veto`` however sure the lexicon is (short of a sure crisis), a crisis
    #: below ``model_crisis`` is serious rather than a crisis, and a message it rates
    #: at ``model_alone`` or more is a complaint even without a lexicon term (1 turns
    #: that off). Messages under 10 characters are the lexicon's alone to judge.
    model: bool = True
    #: Your own model (``shequn complaints train``); unset: the built-in one.
    model_file: Path | None = None
    model_gate: float = Field(0.4, ge=0, le=1)
    model_veto: float = Field(0.05, ge=0, le=1)
    model_crisis: float = Field(0.7, ge=0, le=1)
    model_alone: float = Field(0.95, ge=0, le=1)

    @model_validator(mode="after")
    def _ordered(self) -> DetectorSettings:
        if self.high_threshold < self.complaint_threshold:
            raise ValueError("high_threshold must not be below complaint_threshold")
        if self.model_veto > self.model_gate:
            raise ValueError("model_veto must not be above model_gate")
        return self

    @property
    def surge_window(self) -> timedelta:
        return timedelta(minutes=self.window_minutes)


class EscalationSettings(Section):
    #: First-response targets in minutes, by severity (the playbook: within 2 hours).
    crisis_minutes: int = Field(15, ge=1)
    high_minutes: int = Field(60, ge=1)
    low_minutes: int = Field(120, ge=1)
    #: Staff hours in community time (may wrap midnight, 20:00-02:00); "" is around the clock.
    staff_hours: Window = DailyWindow(time(9, 0), time(21, 0))
    #: Open tickets for complaints spotted in group messages and in messages written to
    #: the bot privately, not only for /complain.
    auto_detect: bool = True
    #: Named when a target is missed or a crisis comes in, e.g. ["@li_ops", "telegram:123"].
    leads: TextList = ()
    #: Owners per tier below crisis, e.g. {high = ["@li_ops"]}: named when such a ticket opens.
    owners: dict[Literal["low", "high"], tuple[str, ...]] = Field(default_factory=dict)
    #: Standard wording (口径) for answers: staff write ":refund" to send the "refund" text.
    replies: dict[str, str] = Field(default_factory=dict)
    detector: DetectorSettings = Field(default_factory=DetectorSettings)

    @field_validator("replies")
    @classmethod
    def _reply_names(cls, value: dict[str, str]) -> dict[str, str]:
        """Names are matched as staff type them: trimmed, lower case."""
        return {name.strip().lower(): text for name, text in value.items() if name.strip()}

    @property
    def targets(self) -> dict[str, timedelta]:
        return {
            "crisis": timedelta(minutes=self.crisis_minutes),
            "high": timedelta(minutes=self.high_minutes),
            "low": timedelta(minutes=self.low_minutes),
        }

    def target(self, severity: str) -> timedelta:
        return self.targets.get(severity, self.targets["low"])

    def owners_of(self, severity: str) -> tuple[str, ...]:
        return self.owners.get(severity, ())  # type: ignore[call-overload]
