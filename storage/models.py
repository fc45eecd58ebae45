"""Tables. Internal ids are 64-bit integers; platform ids are text so that
Telegram's 64-bit ids (``-1001234567890``) and WeChat's openids fit one column."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    text,
    true,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

# SQLite only auto-increments "INTEGER PRIMARY KEY"; PostgreSQL gets BIGINT.
Id = BigInteger().with_variant(Integer(), "sqlite")


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes on every backend (SQLite would hand back naive ones)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database; use UTC-aware times")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar = {datetime: UTCDateTime(), dict[str, Any]: JSON}


class Chat(Base):
    __tablename__ = "chats"
    __table_args__ = (
        UniqueConstraint("platform", "external_id", name="uq_chats_platform_external"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    platform: Mapped[str] = mapped_column(String(32))
    external_id: Mapped[str] = mapped_column(String(128))
    kind: Mapped[str] = mapped_column(String(16))
    title: Mapped[str | None] = mapped_column(String(256))
    language: Mapped[str | None] = mapped_column(String(8))
    rules: Mapped[str | None] = mapped_column(Text)
    bot_status: Mapped[str] = mapped_column(String(16), default="member")
    #: The moderators' own group welcome (``/setwelcome``); None: the default text.
    welcome_template: Mapped[str | None] = mapped_column(Text)
    onboarding_enabled: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class User(Base):
    """A person on one platform, across all the chats they are in."""

    __tablename__ = "users"
    __table_args__ = (
        UniqueConstraint("platform", "external_id", name="uq_users_platform_external"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    platform: Mapped[str] = mapped_column(String(32))
    external_id: Mapped[str] = mapped_column(String(128))
    display_name: Mapped[str] = mapped_column(String(256))
    username: Mapped[str | None] = mapped_column(String(128))
    language: Mapped[str | None] = mapped_column(String(16))
    is_bot: Mapped[bool] = mapped_column(Boolean, default=False)
    #: When the user first wrote to the bot privately (it may then write back).
    started_bot_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    #: The account this one is linked to (``/link``): the person's first account, whose
    #: points, badges and level both share. None: the account is its own person.
    person_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )


class Member(Base):
    """A user's membership of one chat."""

    __tablename__ = "members"
    __table_args__ = (
        UniqueConstraint("chat_id", "user_id", name="uq_members_chat_user"),
        # The console's newcomer funnel by join day: read from the index alone.
        Index("ix_members_onboarding", "onboarding_started_at", "activated_at", "chat_id"),
        Index("ix_members_chat_onboarding", "chat_id", "onboarding_started_at", "activated_at"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    chat_id: Mapped[int] = mapped_column(ForeignKey("chats.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    joined_at: Mapped[datetime | None]
    left_at: Mapped[datetime | None]
    first_seen_at: Mapped[datetime]
    last_active_at: Mapped[datetime | None]
    message_count: Mapped[int] = mapped_column(Integer, default=0)
    #: When the current onboarding flow started (a rejoin keeps it unless configured).
    onboarding_started_at: Mapped[datetime | None]
    #: The staff member or volunteer buddy greeting this member (``platform:user_id``).
    welcomer: Mapped[str | None] = mapped_column(String(160))
    welcomed_at: Mapped[datetime | None]
    #: First sign of taking part within the activation window, and which sign it was.
    activated_at: Mapped[datetime | None]
    activation_source: Mapped[str | None] = mapped_column(String(32))


class EventLog(Base):
    """What happened, for reports and audits (append-only)."""

    __tablename__ = "event_log"
    __table_args__ = (
        Index("ix_event_log_chat_time", "chat_id", "occurred_at"),
        # A person's own history: linking, wrong codes, what was done to their account.
        Index("ix_event_log_user_kind", "user_id", "kind", "occurred_at"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    chat_id: Mapped[int | None] = mapped_column(ForeignKey("chats.id", ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    occurred_at: Mapped[datetime]


class ChatHour(Base):
    """A chat's group messages, points earned, joins and leaves per hour, for the
    console's charts:
    counters bumped as messages arrive and points are earned, so a chart over a year
    reads a few thousand small rows instead of every message or ledger row."""

    __tablename__ = "chat_hours"

    chat_id: Mapped[int] = mapped_column(
        ForeignKey("chats.id", ondelete="CASCADE"), primary_key=True
    )
    #: Whole hours since 1970-01-01 UTC.
    hour: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    messages: Mapped[int] = mapped_column(Integer, default=0)
    points: Mapped[int] = mapped_column(Integer, default=0)
    joins: Mapped[int] = mapped_column(Integer, default=0)
    leaves: Mapped[int] = mapped_column(Integer, default=0)


class ProcessedUpdate(Base):
    """Keys of platform updates already handled: redeliveries are dropped."""

    __tablename__ = "processed_updates"

    channel: Mapped[str] = mapped_column(String(32), primary_key=True)
    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    processed_at: Mapped[datetime] = mapped_column(index=True)


class Delivery(Base):
    """A message due at a time (onboarding steps, later topics and reminders).

    The outbox of scheduled work: rows survive restarts, a sweep claims the
    due ones atomically, and each is sent at most once. ``key`` makes
    scheduling idempotent (a redelivered join schedules nothing twice).
    """

    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("key", name="uq_deliveries_key"),
        # Only pending rows are ever searched by time: a partial index stays small.
        Index(
            "ix_deliveries_pending_due",
            "due_at",
            postgresql_where=text("status = 'pending'"),
            sqlite_where=text("status = 'pending'"),
        ),
        Index("ix_deliveries_chat_user", "chat_id", "user_id"),
        Index("ix_deliveries_chat_kind", "chat_id", "kind"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    key: Mapped[str] = mapped_column(String(191))
    kind: Mapped[str] = mapped_column(String(64))
    #: ``private`` (the member), ``group`` (the chat) or ``staff``.
    audience: Mapped[str] = mapped_column(String(16))
    chat_id: Mapped[int | None] = mapped_column(ForeignKey("chats.id", ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    due_at: Mapped[datetime]
    #: Not worth sending after this (a day-3 check-in is not sent on day 12).
    stale_at: Mapped[datetime | None]
    #: pending → sending → sent | failed; or skipped / stale without sending.
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    #: How a message to a member reached them: ``private`` or ``group`` (a mention).
    reached: Mapped[str | None] = mapped_column(String(16))
    #: The replica sending it (``sending`` rows): its lease in ``replicas`` covers it.
    holder: Mapped[str | None] = mapped_column(String(96))
    created_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]


class FaqEntry(Base):
    """A knowledge-base entry. Deletion is soft, so a running bot's index sees it."""

    __tablename__ = "faq_entries"
    __table_args__ = (UniqueConstraint("key", name="uq_faq_entries_key"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    #: The stable id from an imported file (``f012``); imports update by it.
    key: Mapped[str | None] = mapped_column(String(64))
    question: Mapped[str] = mapped_column(Text)
    answer: Mapped[str] = mapped_column(Text)
    alternatives: Mapped[list[str]] = mapped_column(JSON, default=list)
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    #: Grows on every change; running bots compare sums to notice edits from elsewhere.
    revision: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime] = mapped_column(index=True)
    deleted_at: Mapped[datetime | None]


class FaqAnswer(Base):
    """One answer the bot gave: feeds feedback, cooldowns and "most asked"."""

    __tablename__ = "faq_answers"
    __table_args__ = (
        Index("ix_faq_answers_chat_time", "chat_id", "answered_at"),
        # The console's answers per day: read from the index alone.
        Index("ix_faq_answers_time", "answered_at", "via", "chat_id"),
        Index("ix_faq_answers_user", "user_id"),
        Index("ix_faq_answers_entry_time", "entry_id", "answered_at"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("faq_entries.id", ondelete="CASCADE"))
    chat_id: Mapped[int | None] = mapped_column(ForeignKey("chats.id", ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    question: Mapped[str] = mapped_column(Text)
    confidence: Mapped[float] = mapped_column(Float)
    #: ``group`` (unprompted), ``ask``, ``private`` or ``suggestion``.
    via: Mapped[str] = mapped_column(String(16))
    answered_at: Mapped[datetime]
    helpful: Mapped[int] = mapped_column(Integer, default=0)
    unhelpful: Mapped[int] = mapped_column(Integer, default=0)
    #: An operator left its votes out of the FAQ calibration (``shequn faq feedback``).
    excluded_at: Mapped[datetime | None] = mapped_column(default=None)


class FaqVote(Base):
    """👍/👎 on an answer, one per person (pressing again changes the vote)."""

    __tablename__ = "faq_votes"

    answer_id: Mapped[int] = mapped_column(
        ForeignKey("faq_answers.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    vote: Mapped[int] = mapped_column(Integer)
    voted_at: Mapped[datetime]


class FaqMiss(Base):
    """A question the base could not answer well: the operators' to-do list."""

    __tablename__ = "faq_misses"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    chat_id: Mapped[int | None] = mapped_column(ForeignKey("chats.id", ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    text: Mapped[str] = mapped_column(Text)
    #: ``unanswered``, ``downvoted`` or ``ask`` (``/ask`` found nothing).
    reason: Mapped[str] = mapped_column(String(16))
    entry_id: Mapped[int | None] = mapped_column(ForeignKey("faq_entries.id", ondelete="SET NULL"))
    occurred_at: Mapped[datetime] = mapped_column(index=True)
    #: An operator left this verdict out of the FAQ calibration.
    excluded_at: Mapped[datetime | None] = mapped_column(default=None)


class Conversation(Base):
    """A short guided exchange in progress (``/addfaq`` asks, the moderator answers)."""

    __tablename__ = "conversations"

    chat_id: Mapped[int] = mapped_column(
        ForeignKey("chats.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(32))
    state: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    expires_at: Mapped[datetime]


class PointsLedger(Base):
    """Every change of points, append-only: balances are derived from it.

    ``source`` names what caused the change (a message, a check-in day, a
    moderator's command); it is unique, so a redelivered update never awards
    twice.
    """

    __tablename__ = "points_ledger"
    __table_args__ = (
        UniqueConstraint("source", name="uq_points_ledger_source"),
        Index("ix_points_ledger_member", "chat_id", "user_id", "id"),
        Index("ix_points_ledger_chat_time", "chat_id", "created_at"),
        Index("ix_points_ledger_actor_time", "actor_user_id", "created_at"),
        # A person's whole history, for their data export and erasure.
        Index("ix_points_ledger_user", "user_id"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    chat_id: Mapped[int] = mapped_column(ForeignKey("chats.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    amount: Mapped[int] = mapped_column(Integer)
    #: The rule or action: message, checkin, streak, helpful, topic, invite, onboarding,
    #: given, taken, redeem, refund.
    reason: Mapped[str] = mapped_column(String(32))
    note: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(191))
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime]


class PointsAccount(Base):
    """A member's derived balance and the statistics rules and badges read.

    Kept in step with the ledger in the same transaction; ``shequn points
    verify`` recomputes balances from the ledger.
    """

    __tablename__ = "points_accounts"
    __table_args__ = (
        Index("ix_points_accounts_chat_earned", "chat_id", "earned", "user_id"),
        Index("ix_points_accounts_week", "chat_id", "week", "week_earned", "user_id"),
        Index("ix_points_accounts_month", "chat_id", "month", "month_earned", "user_id"),
    )

    chat_id: Mapped[int] = mapped_column(
        ForeignKey("chats.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    balance: Mapped[int] = mapped_column(Integer, default=0)
    #: Points earned by taking part (not refunds or moderator corrections down): levels use it.
    earned: Mapped[int] = mapped_column(Integer, default=0)
    level: Mapped[int] = mapped_column(Integer, default=0)
    messages: Mapped[int] = mapped_column(Integer, default=0)
    helpful: Mapped[int] = mapped_column(Integer, default=0)
    topics: Mapped[int] = mapped_column(Integer, default=0)
    invites: Mapped[int] = mapped_column(Integer, default=0)
    checkins: Mapped[int] = mapped_column(Integer, default=0)
    streak: Mapped[int] = mapped_column(Integer, default=0)
    best_streak: Mapped[int] = mapped_column(Integer, default=0)
    #: Local date (community timezone) of the last check-in, ``YYYY-MM-DD``.
    last_checkin: Mapped[str | None] = mapped_column(String(10))
    last_message_award_at: Mapped[datetime | None]
    #: Local date the message cap counts for, and what messages earned that day.
    cap_day: Mapped[str | None] = mapped_column(String(10))
    cap_points: Mapped[int] = mapped_column(Integer, default=0)
    #: Short digest of the last rewarded message: a repeat earns nothing.
    last_message_digest: Mapped[str | None] = mapped_column(String(16))
    #: This week's and month's earnings (``w2026-48``, ``m2026-11`` in the community's
    #: timezone), kept on the row so /top week is one index scan and an award one statement.
    week: Mapped[str | None] = mapped_column(String(8))
    week_earned: Mapped[int] = mapped_column(Integer, default=0)
    month: Mapped[str | None] = mapped_column(String(8))
    month_earned: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime]


class Badge(Base):
    """An honour granted once, with when and why."""

    __tablename__ = "badges"

    chat_id: Mapped[int] = mapped_column(
        ForeignKey("chats.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    badge: Mapped[str] = mapped_column(String(32), primary_key=True)
    reason: Mapped[str | None] = mapped_column(Text)
    granted_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    granted_at: Mapped[datetime]


class RewardStock(Base):
    """What is left of each reward; decremented atomically, so the last item has one winner."""

    __tablename__ = "reward_stock"

    item: Mapped[str] = mapped_column(String(32), primary_key=True)
    remaining: Mapped[int] = mapped_column(Integer)


class Redemption(Base):
    """A member spent points on a reward; staff fulfil it or refuse (which refunds)."""

    __tablename__ = "redemptions"
    __table_args__ = (Index("ix_redemptions_status", "status", "created_at"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    chat_id: Mapped[int] = mapped_column(ForeignKey("chats.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    item: Mapped[str] = mapped_column(String(32))
    cost: Mapped[int] = mapped_column(Integer)
    #: pending → done | refused
    status: Mapped[str] = mapped_column(String(16), default="pending")
    created_at: Mapped[datetime]
    decided_at: Mapped[datetime | None]
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class InviteLink(Base):
    """A member's personal invite link into a chat, made once and reused."""

    __tablename__ = "invite_links"

    chat_id: Mapped[int] = mapped_column(
        ForeignKey("chats.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    link: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]


class Invite(Base):
    """Someone joined through a member's link; settled once the stay has passed."""

    __tablename__ = "invites"
    __table_args__ = (Index("ix_invites_unsettled", "settled_at", "joined_at"),)

    chat_id: Mapped[int] = mapped_column(
        ForeignKey("chats.id", ondelete="CASCADE"), primary_key=True
    )
    invitee_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    inviter_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    joined_at: Mapped[datetime]
    settled_at: Mapped[datetime | None]
    #: ``stayed`` (the inviter earned points) or ``left``.
    outcome: Mapped[str | None] = mapped_column(String(16))


class Reaction(Base):
    """Who reacted to which rewarded message, so each person counts once."""

    __tablename__ = "reactions"

    chat_id: Mapped[int] = mapped_column(
        ForeignKey("chats.id", ondelete="CASCADE"), primary_key=True
    )
    message_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    reacted_at: Mapped[datetime]


class TopicSchedule(Base):
    """A recurring discussion slot in one group: a cron rule in the community's timezone."""

    __tablename__ = "topic_schedules"
    __table_args__ = (UniqueConstraint("chat_id", "key", name="uq_topic_schedules_chat_key"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    chat_id: Mapped[int] = mapped_column(ForeignKey("chats.id", ondelete="CASCADE"))
    #: ``config:NAME`` for schedules from the config, ``chat:N`` for ones added in chat.
    key: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(64))
    cron: Mapped[str] = mapped_column(String(120))
    pool: Mapped[str] = mapped_column(String(32))
    paused: Mapped[bool] = mapped_column(Boolean, default=False)
    removed: Mapped[bool] = mapped_column(Boolean, default=False)
    #: Slots before this were already decided (posted, skipped or missed).
    checked_until: Mapped[datetime]
    created_at: Mapped[datetime]


class Topic(Base):
    """A prompt in a named pool."""

    __tablename__ = "topics"
    __table_args__ = (Index("ix_topics_pool", "pool"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    pool: Mapped[str] = mapped_column(String(32))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]


class TopicPost(Base):
    """One slot of one schedule, decided exactly once (the unique key)."""

    __tablename__ = "topic_posts"
    __table_args__ = (
        UniqueConstraint("schedule_id", "slot_at", name="uq_topic_posts_slot"),
        Index("ix_topic_posts_chat_window", "chat_id", "window_ends_at"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    schedule_id: Mapped[int] = mapped_column(ForeignKey("topic_schedules.id", ondelete="CASCADE"))
    chat_id: Mapped[int] = mapped_column(ForeignKey("chats.id", ondelete="CASCADE"))
    slot_at: Mapped[datetime]
    #: posted, skipped (empty pool) or missed (the bot was down past the grace window).
    status: Mapped[str] = mapped_column(String(16))
    topic_id: Mapped[int | None] = mapped_column(ForeignKey("topics.id", ondelete="SET NULL"))
    #: The pool's round: a topic is not repeated in a chat until its pool is used up.
    cycle: Mapped[int] = mapped_column(Integer, default=0)
    posted_at: Mapped[datetime | None]
    window_ends_at: Mapped[datetime | None]
    participants: Mapped[int] = mapped_column(Integer, default=0)
    #: The holiday whose prompt replaced the pool's topic, if any.
    holiday: Mapped[str | None] = mapped_column(String(32))
    #: When the end-of-window summary was posted (or decided against).
    summarized_at: Mapped[datetime | None]


class TopicParticipant(Base):
    __tablename__ = "topic_participants"

    post_id: Mapped[int] = mapped_column(
        ForeignKey("topic_posts.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    joined_at: Mapped[datetime]


class QueuedTopic(Base):
    """A topic a moderator chose for the next slot of a pool in a group (/nexttopic)."""

    __tablename__ = "queued_topics"

    chat_id: Mapped[int] = mapped_column(
        ForeignKey("chats.id", ondelete="CASCADE"), primary_key=True
    )
    pool: Mapped[str] = mapped_column(String(32), primary_key=True)
    topic_id: Mapped[int] = mapped_column(ForeignKey("topics.id", ondelete="CASCADE"))
    queued_at: Mapped[datetime]


class Ticket(Base):
    """A complaint handed to staff: open → claimed → waiting (for the member) → resolved."""

    __tablename__ = "tickets"
    __table_args__ = (
        Index("ix_tickets_member_status", "user_id", "status"),
        Index("ix_tickets_status_created", "status", "created_at"),
        Index("ix_tickets_created", "created_at"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    chat_id: Mapped[int] = mapped_column(ForeignKey("chats.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    #: What it is about; one ongoing ticket per member and subject.
    subject: Mapped[str] = mapped_column(String(32))
    text: Mapped[str] = mapped_column(Text)
    #: low, high or crisis
    severity: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(16))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    #: The member's message that raised it (platform id), to link to.
    message_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    first_response_at: Mapped[datetime | None]
    resolved_at: Mapped[datetime | None]
    rating: Mapped[int | None] = mapped_column(Integer)
    #: When staff were reminded at half the response target, and told of a breach.
    reminded_at: Mapped[datetime | None]
    breached_at: Mapped[datetime | None]
    #: Re-sending the staff card while the staff chat cannot be reached: how often
    #: it was tried again, and when it is next due.
    card_attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    card_retry_at: Mapped[datetime | None]


class TicketEvent(Base):
    """A ticket's history: opened, appended, claimed, replied, resolved, rated."""

    __tablename__ = "ticket_events"
    __table_args__ = (
        Index("ix_ticket_events_ticket", "ticket_id", "id"),
        #: Recent complaints in a chat raise the grade of a new one.
        Index("ix_ticket_events_at", "at"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    text: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime]


class SentMessage(Base):
    """Messages the bot posted under a tag (a ticket's card, a reply to a member):
    a reply to one of them is routed back to what it is about."""

    __tablename__ = "sent_messages"
    __table_args__ = (Index("ix_sent_messages_tag", "tag_kind", "tag_key"),)

    platform: Mapped[str] = mapped_column(String(32), primary_key=True)
    chat_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    message_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    tag_kind: Mapped[str] = mapped_column(String(32))
    tag_key: Mapped[int] = mapped_column(Id)
    sent_at: Mapped[datetime] = mapped_column(index=True)


class ChannelState(Base):
    """What a channel must remember between runs, such as WeChat's ``sync_msg``
    cursor; written in the same transaction as the effects of what it covers."""

    __tablename__ = "channel_state"

    channel: Mapped[str] = mapped_column(String(32), primary_key=True)
    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime]


class Replica(Base):
    """A running Shequn process. Its ``seen_at``, renewed every few seconds, is the
    lease on what it holds (deliveries it is sending); a replica not seen for the
    lease's length is gone, and what it held is recovered by the others."""

    __tablename__ = "replicas"

    id: Mapped[str] = mapped_column(String(96), primary_key=True)
    host: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime]
    seen_at: Mapped[datetime]
    #: Whether it runs what must have one runner (it holds the leader lock).
    leader: Mapped[bool] = mapped_column(Boolean, default=False)


class AccessToken(Base):
    """A platform access token shared by every replica (WeChat allows only a few
    fetches a day and invalidates the old token on each): one holder refreshes it
    under a short lease while the others wait for the new one."""

    __tablename__ = "access_tokens"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    token: Mapped[str | None] = mapped_column(Text)
    expires_at: Mapped[datetime | None]
    lease_until: Mapped[datetime | None]


class LinkCode(Base):
    """A one-time code from ``/link``: sent from another account before it expires, it
    links that account to the one that asked for it."""

    __tablename__ = "link_codes"

    code: Mapped[str] = mapped_column(String(16), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    used_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class ReplyWindow(Base):
    """A member's one-to-one window on a platform that limits writing to them
    (WeChat: 5 messages within 48 hours of the member's last message)."""

    __tablename__ = "reply_windows"

    platform: Mapped[str] = mapped_column(String(32), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    #: When the member last wrote (the platform's time of that message).
    last_message_at: Mapped[datetime]
    #: Messages sent to them since.
    sent: Mapped[int] = mapped_column(Integer, default=0)
    #: Someone other than the bot has the conversation (a WeChat servicer), if anyone.
    servicer: Mapped[str | None] = mapped_column(String(128))


class HeldMessage(Base):
    """A message that could not go out (the member's window was closed): it goes out
    when they write again, and the reason is kept."""

    __tablename__ = "held_messages"
    __table_args__ = (Index("ix_held_messages_member", "platform", "user_id", "released_at"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    platform: Mapped[str] = mapped_column(String(32))
    user_id: Mapped[str] = mapped_column(String(128))
    text: Mapped[str] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime]
    released_at: Mapped[datetime | None]


class ConsoleLink(Base):
    """A one-time sign-in link to the staff console (``/console``): only its hash is
    kept, so the database alone cannot be used to sign in."""

    __tablename__ = "console_links"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    #: Who it signs in, as ``platform:user_id``.
    account: Mapped[str] = mapped_column(String(160))
    #: For a group's own admin: the chats (ids) the session may see; None: the role
    #: the config gives the account.
    chats: Mapped[list[int] | None] = mapped_column(JSON)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class ConsoleSession(Base):
    """A signed-in browser: the cookie holds the token, the row its hash and the
    CSRF token every change must carry."""

    __tablename__ = "console_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    account: Mapped[str] = mapped_column(String(160), index=True)
    csrf: Mapped[str] = mapped_column(String(64))
    #: As the link's: the chats a group's admin may see.
    chats: Mapped[list[int] | None] = mapped_column(JSON)
    created_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]


class AuditEntry(Base):
    """Who changed what through the staff console, and when (append-only)."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_at", "at"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    #: ``platform:user_id`` of who did it.
    actor: Mapped[str] = mapped_column(String(160))
    action: Mapped[str] = mapped_column(String(64))
    #: What it was done to (``ticket:12``, ``member:telegram:42``).
    target: Mapped[str] = mapped_column(String(191))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    at: Mapped[datetime]
