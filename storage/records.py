"""Plain values that repositories return."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any


@dataclass(frozen=True, slots=True)
class ChatRecord:
    id: int
    platform: str
    external_id: str
    kind: str
    title: str | None
    language: str | None
    rules: str | None
    bot_status: str
    welcome_template: str | None = None
    onboarding_enabled: bool = True


@dataclass(frozen=True, slots=True)
class UserRecord:
    id: int
    platform: str
    external_id: str
    display_name: str
    username: str | None
    language: str | None
    is_bot: bool
    started_bot_at: datetime | None
    #: The first account of the person this account is linked to; None: its own person.
    person_id: int | None = None

    @property
    def person(self) -> int:
        """The account that stands for the person: whose points and badges count."""
        return self.person_id if self.person_id is not None else self.id


@dataclass(frozen=True, slots=True)
class MemberRecord:
    id: int
    chat_id: int
    user_id: int
    joined_at: datetime | None
    left_at: datetime | None
    first_seen_at: datetime
    last_active_at: datetime | None
    message_count: int
    onboarding_started_at: datetime | None = None
    welcomer: str | None = None
    welcomed_at: datetime | None = None
    activated_at: datetime | None = None
    activation_source: str | None = None

    @property
    def present(self) -> bool:
        return self.left_at is None


class JoinOutcome(StrEnum):
    NEW = "new"
    REJOINED = "rejoined"
    #: Already a present member with a known join: a second signal of the same join.
    DUPLICATE = "duplicate"


@dataclass(frozen=True, slots=True)
class EventRecord:
    id: int
    chat_id: int | None
    user_id: int | None
    kind: str
    payload: dict[str, Any]
    occurred_at: datetime


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    SKIPPED = "skipped"
    STALE = "stale"


@dataclass(frozen=True, slots=True)
class DeliveryRecord:
    id: int
    key: str
    kind: str
    audience: str
    chat_id: int | None
    user_id: int | None
    payload: dict[str, Any]
    due_at: datetime
    stale_at: datetime | None
    status: str
    attempts: int
    last_error: str | None
    reached: str | None = None


@dataclass(frozen=True, slots=True)
class FaqEntryRecord:
    id: int
    key: str | None
    question: str
    answer: str
    alternatives: tuple[str, ...]
    tags: tuple[str, ...]
    enabled: bool
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None = None
    revision: int = 1

    @property
    def phrasings(self) -> tuple[str, ...]:
        return (self.question, *self.alternatives)

    @property
    def live(self) -> bool:
        """Whether the bot may answer with it."""
        return self.enabled and self.deleted_at is None


@dataclass(frozen=True, slots=True)
class FaqAnswerRecord:
    id: int
    entry_id: int
    chat_id: int | None
    user_id: int | None
    question: str
    confidence: float
    via: str
    answered_at: datetime
    helpful: int
    unhelpful: int


@dataclass(frozen=True, slots=True)
class FaqUsage:
    entry_id: int
    question: str
    count: int


@dataclass(frozen=True, slots=True)
class FaqMissRecord:
    id: int
    chat_id: int | None
    user_id: int | None
    text: str
    reason: str
    entry_id: int | None
    occurred_at: datetime


@dataclass(frozen=True, slots=True)
class FaqFeedbackRecord:
    """A member's verdict on an answer: ``entry_id`` answered ``question`` well
    (marked helpful, or staff answered the question with it) or not (marked not
    helpful, or the member asked for staff). ``ref`` names it for an operator who
    leaves it out of the calibration (``a12``: an answer's votes, ``m34``: a miss)."""

    question: str
    entry_id: int
    helpful: bool
    ref: str = ""
    at: datetime | None = None
    #: ``helpful`` (👍), ``wrong`` (👎 or "talk to staff") or ``staff`` (answered by staff).
    kind: str = ""
    excluded: bool = False


@dataclass(frozen=True, slots=True)
class ConversationRecord:
    chat_id: int
    user_id: int
    kind: str
    state: dict[str, Any]
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class PointsAccountRecord:
    chat_id: int
    user_id: int
    balance: int
    earned: int
    level: int
    messages: int
    helpful: int
    topics: int
    invites: int
    checkins: int
    streak: int
    best_streak: int
    last_checkin: str | None
    last_message_award_at: datetime | None
    cap_day: str | None
    cap_points: int
    last_message_digest: str | None
    week: str | None
    week_earned: int
    month: str | None
    month_earned: int
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class LedgerRecord:
    id: int
    chat_id: int
    user_id: int
    amount: int
    reason: str
    note: str | None
    source: str
    actor_user_id: int | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class RankedMember:
    user_id: int
    display_name: str
    points: int


@dataclass(frozen=True, slots=True)
class BadgeRecord:
    chat_id: int
    user_id: int
    badge: str
    reason: str | None
    granted_by: int | None
    granted_at: datetime


@dataclass(frozen=True, slots=True)
class RedemptionRecord:
    id: int
    chat_id: int
    user_id: int
    item: str
    cost: int
    status: str
    created_at: datetime
    decided_at: datetime | None
    decided_by: int | None


@dataclass(frozen=True, slots=True)
class MessageGate:
    """The message rule's conditions, checked against the stored account in the
    same statement that awards: not within ``cooldown`` of the last award, not a
    repeat of the last rewarded message, not over the day's cap."""

    now: datetime
    cooldown: timedelta
    digest: str
    day: str
    daily_cap: int


@dataclass(frozen=True, slots=True)
class InviteRecord:
    chat_id: int
    invitee_id: int
    inviter_id: int
    joined_at: datetime
    settled_at: datetime | None
    outcome: str | None


@dataclass(frozen=True, slots=True)
class TopicScheduleRecord:
    id: int
    chat_id: int
    key: str
    name: str
    cron: str
    pool: str
    paused: bool
    removed: bool
    checked_until: datetime
    created_at: datetime


@dataclass(frozen=True, slots=True)
class TopicRecord:
    id: int
    pool: str
    text: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class TopicPostRecord:
    id: int
    schedule_id: int
    chat_id: int
    slot_at: datetime
    status: str
    topic_id: int | None
    cycle: int
    posted_at: datetime | None
    window_ends_at: datetime | None
    participants: int
    holiday: str | None = None
    summarized_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class TicketRecord:
    id: int
    chat_id: int
    user_id: int
    subject: str
    text: str
    severity: str
    status: str
    assignee_id: int | None
    message_id: str | None
    created_at: datetime
    updated_at: datetime
    first_response_at: datetime | None
    resolved_at: datetime | None
    rating: int | None
    reminded_at: datetime | None = None
    breached_at: datetime | None = None
    card_attempts: int = 0
    card_retry_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class TicketEventRecord:
    id: int
    ticket_id: int
    kind: str
    actor_id: int | None
    text: str | None
    at: datetime


@dataclass(frozen=True, slots=True)
class ChatSeen:
    """What an update says about its chat (stored by an upsert)."""

    platform: str
    external_id: str
    kind: str
    title: str | None


@dataclass(frozen=True, slots=True)
class UserSeen:
    """What an update says about its sender; ``started``: they wrote privately."""

    platform: str
    external_id: str
    display_name: str
    username: str | None
    language: str | None
    is_bot: bool
    started: bool = False


@dataclass(frozen=True, slots=True)
class Arrival:
    """An update claimed (False: a redelivery, nothing else stored) with the chat
    and sender it asked to store."""

    claimed: bool
    chat: ChatRecord | None = None
    user: UserRecord | None = None


@dataclass(frozen=True, slots=True)
class ReplyWindowRecord:
    platform: str
    user_id: str
    last_message_at: datetime
    sent: int
    servicer: str | None


@dataclass(frozen=True, slots=True)
class HeldMessageRecord:
    id: int
    platform: str
    user_id: str
    text: str
    reason: str
    created_at: datetime
