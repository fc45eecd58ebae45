"""The composition root: builds Shequn from settings. Nothing is created at import."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from bot.settings import ConfigError, DetectorSettings, Settings, quiet_hours
from faq.matcher import MatcherConfig
from faq.synonyms import DEFAULT_SYNONYMS
from handlers.actions import Action, Receipt
from handlers.clock import Clock, SystemClock, parse_duration
from handlers.context import Community
from handlers.dispatcher import Dispatcher
from handlers.escalation import lexicon
from handlers.escalation.config import EscalationConfig
from handlers.escalation.detector import DetectorConfig
from handlers.escalation.sla import SlaSweep
from handlers.faq import sync_task
from handlers.faq.config import AskFallback, FaqConfig
from handlers.faq.library import FaqLibrary
from handlers.features import build_router
from handlers.housekeeping import forget_old_sent_messages, forget_old_update_keys
from handlers.i18n import Catalog, Texts
from handlers.onboarding.config import DEFAULT_STEPS, Audience, OnboardingConfig, Step
from handlers.onboarding.delivery import OnboardingSweep
from handlers.points import Economy, InviteSettlement
from handlers.points.config import (
    DEFAULT_BADGES,
    DEFAULT_LEVELS,
    BadgeRule,
    Level,
    PointsConfig,
    Reward,
)
from handlers.router import Router
from handlers.sweeper import Sweeper
from handlers.topics import TopicSweep
from handlers.topics.config import DEFAULT_SCHEDULES, ScheduleRule, TopicsConfig
from handlers.topics.holidays import CalendarError, HolidayCalendar, load_calendar
from storage.database import Storage
from storage.migrate import upgrade

log = logging.getLogger(__name__)

#: How long a reply to one of the bot's tagged messages (a ticket card) is still routed.
SENT_MESSAGES_KEPT = timedelta(days=180)


@dataclass(slots=True)
class App:
    settings: Settings
    storage: Storage
    catalog: Catalog
    community: Community
    router: Router
    dispatcher: Dispatcher
    sweeper: Sweeper
    clock: Clock
    onboarding: OnboardingConfig
    faq: FaqLibrary
    _migrated: bool = field(default=False)

    @property
    def texts(self) -> Texts:
        """Texts in the community's default language."""
        return self.catalog.for_language(self.community.language)

    async def prepare(self) -> None:
        """Bring the schema up to date and close deliveries a crash left mid-send."""
        if self._migrated:
            return
        await upgrade(self.storage.engine)
        self._migrated = True
        now = self.clock.now()
        interrupted = await self.storage.run(lambda repos: repos.deliveries.fail_interrupted(now))
        if interrupted:
            log.warning("%d deliveries were interrupted by the last stop; not resent", interrupted)
        await self.storage.run(self.faq.refresh)

    async def sweep(self) -> list[Action]:
        """Due work as actions (the scheduler's job, and the sandbox after every line)."""
        return await self.sweeper.sweep()

    async def record(self, receipts: list[Receipt]) -> None:
        """Close scheduled deliveries with what the channel reported."""
        await self.sweeper.record(receipts)

    async def close(self) -> None:
        await self.storage.close()


def build_community(settings: Settings) -> Community:
    c = settings.community
    return Community(
        name=c.name,
        timezone=c.zone,
        language=c.language,
        moderators=frozenset(c.moderators),
        staff=frozenset(c.staff),
    )


def build_onboarding(settings: Settings, catalog: Catalog) -> OnboardingConfig:
    """The flow from ``[onboarding]``; steps naming texts the catalog lacks are refused."""
    section = settings.onboarding
    steps = DEFAULT_STEPS
    if section.steps:
        steps = tuple(
            Step(
                id=step.id,
                offset=parse_duration(step.offset),
                audience=Audience(step.audience),
                template=step.template or f"onboarding.{step.id}",
                stale_after=parse_duration(step.stale_after),
                text=step.text,
                fallback_to_group=step.fallback_to_group,
                skip_if_active=step.skip_if_active,
                start_button=step.start_button,
            )
            for step in section.steps
        )
    texts = catalog.for_language(settings.community.language)
    for index, step in enumerate(steps):
        known = any(texts.has(step.template + suffix) for suffix in ("", ".active", ".silent"))
        if step.text is None and not known:
            raise ConfigError(
                f"config error: onboarding.steps[{index}].template: no text '{step.template}' "
                'in the message catalog; give the step a text = "..." instead'
            )
    quiet = section.quiet
    return OnboardingConfig(
        enabled=section.enabled,
        steps=steps,
        activation_window=timedelta(days=section.activation_days),
        activation_signals=frozenset(section.activation_signals),
        restart_on_rejoin=section.restart_on_rejoin,
        welcome_batch=timedelta(seconds=section.welcome_batch_seconds),
        welcomers=tuple(section.welcomers),
        quiet_start=quiet[0] if quiet else None,
        quiet_end=quiet[1] if quiet else None,
        essential_content=tuple((link.title, link.url) for link in section.essential_content),
    )


def build_faq(settings: Settings) -> FaqConfig:
    section = settings.faq
    synonyms = tuple(tuple(group) for group in section.synonyms)
    if not section.replace_default_synonyms:
        synonyms = DEFAULT_SYNONYMS + synonyms
    return FaqConfig(
        enabled=section.enabled,
        group_replies=section.group_replies,
        cooldown=timedelta(seconds=section.cooldown_seconds),
        ask_fallback=AskFallback(section.ask_fallback),
        log_misses=section.log_misses,
        matcher=MatcherConfig(
            answer_threshold=section.answer_threshold,
            suggest_threshold=section.suggest_threshold,
        ),
        synonyms=synonyms,
        user_words=tuple(section.user_words),
        extra_stop_words=tuple(section.stop_words),
    )


def build_points(settings: Settings) -> PointsConfig:
    section = settings.points
    levels = DEFAULT_LEVELS
    if section.levels:
        levels = tuple(Level(v.id, v.name, v.name_en, at=v.at) for v in section.levels)
    badges = DEFAULT_BADGES
    if section.badges:
        badges = tuple(
            BadgeRule(b.id, b.name, b.name_en, stat=b.stat, at_least=b.at_least)
            for b in section.badges
        )
    return PointsConfig(
        enabled=section.enabled,
        message_points=section.message_points,
        message_cooldown=timedelta(seconds=section.message_cooldown_seconds),
        message_daily_cap=section.message_daily_cap,
        message_min_length=section.message_min_length,
        checkin_points=section.checkin_points,
        streak_bonuses=dict(section.streak_bonuses),
        helpful_points=section.helpful_points,
        reactions_needed=section.reactions_needed,
        topic_points=section.topic_points,
        onboarding_points=section.onboarding_points,
        invite_points=section.invite_points,
        invite_stay=timedelta(days=section.invite_stay_days),
        early_days=section.early_days,
        max_manual_amount=section.max_manual_amount,
        moderator_daily_limit=section.moderator_daily_limit,
        allow_self_grant=section.allow_self_grant,
        levels=levels,
        badges=badges,
        rewards=tuple(
            Reward(r.id, r.name, r.name_en, cost=r.cost, stock=r.stock) for r in section.rewards
        ),
    )


def build_topics(settings: Settings) -> TopicsConfig:
    section = settings.topics
    schedules = DEFAULT_SCHEDULES
    if section.schedules:
        schedules = tuple(ScheduleRule(r.name, r.cron, r.pool) for r in section.schedules)
    holidays = HolidayCalendar()
    if section.holidays:
        try:
            holidays = load_calendar(Path(section.holidays_file) if section.holidays_file else None)
        except CalendarError as error:
            raise ConfigError(f"config error: topics.holidays_file: {error}") from None
    return TopicsConfig(
        enabled=section.enabled,
        schedules=schedules,
        window=timedelta(minutes=section.window_minutes),
        grace=timedelta(minutes=section.grace_minutes),
        holidays=holidays,
        summary=section.summary,
    )


def build_escalation(settings: Settings) -> EscalationConfig:
    section = settings.escalation
    return EscalationConfig(
        targets={
            "crisis": timedelta(minutes=section.crisis_minutes),
            "high": timedelta(minutes=section.high_minutes),
            "low": timedelta(minutes=section.low_minutes),
        },
        staff_hours=quiet_hours(section.staff_hours) if section.staff_hours else None,
        auto_detect=section.auto_detect,
        leads=tuple(section.leads),
        detector=build_detector(section.detector),
        replies={name.strip().lower(): text for name, text in section.replies.items()},
        owners={tier: tuple(people) for tier, people in section.owners.items() if people},
        surge_window=timedelta(minutes=section.detector.window_minutes),
    )


def build_detector(section: DetectorSettings) -> DetectorConfig:
    """The built-in lexicon with the config's terms added or re-weighted (0 removes)."""

    def merged(defaults: dict[str, float], extra: dict[str, float]) -> dict[str, float]:
        terms = {**defaults, **{term.strip().lower(): w for term, w in extra.items()}}
        return {term: weight for term, weight in terms.items() if term and weight}

    return DetectorConfig(
        complaint_terms=merged(lexicon.COMPLAINT, section.complaint_terms),
        crisis_terms=merged(lexicon.CRISIS, section.crisis_terms),
        positive_terms=merged(lexicon.POSITIVE, section.positive_terms),
        negations=lexicon.NEGATIONS + tuple(n.strip().lower() for n in section.negations),
        harm_terms=lexicon.HARM + tuple(t.strip().lower() for t in section.harm_terms if t.strip()),
        complaint_threshold=section.complaint_threshold,
        high_threshold=section.high_threshold,
        crisis_threshold=section.crisis_threshold,
        question_factor=section.question_factor,
    )


def build_app(
    settings: Settings, *, clock: Clock | None = None, storage: Storage | None = None
) -> App:
    """Everything Shequn needs, wired; raises ConfigError for settings that cannot work."""
    clock = clock or SystemClock()
    catalog = Catalog.load()
    onboarding = build_onboarding(settings, catalog)
    storage = storage or Storage.from_url(settings.database_url, echo=settings.database.echo)
    community = build_community(settings)
    faq_library = FaqLibrary(build_faq(settings))
    economy = Economy(build_points(settings))
    escalation = build_escalation(settings)
    router = build_router(onboarding, faq_library, economy, escalation)
    dispatcher = Dispatcher(storage, router, catalog, community, clock)
    sweeper = Sweeper(
        storage,
        clock,
        [
            OnboardingSweep(onboarding, catalog, community),
            forget_old_update_keys(timedelta(days=settings.scheduler.dedup_days)),
            forget_old_sent_messages(SENT_MESSAGES_KEPT),
            sync_task(faq_library),
            InviteSettlement(economy, catalog, community),
            TopicSweep(build_topics(settings), catalog, community),
            SlaSweep(escalation, catalog, community),
        ],
        router.receipt_hooks,
    )
    return App(
        settings,
        storage,
        catalog,
        community,
        router,
        dispatcher,
        sweeper,
        clock,
        onboarding,
        faq_library,
    )
