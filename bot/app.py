"""The composition root: builds Shequn from settings. Nothing is created at import."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from bot.settings import ConfigError, Settings, console_url
from handlers.actions import Action, Receipt
from handlers.clock import Clock, SystemClock
from handlers.context import Community
from handlers.dispatcher import Deliver, Dispatcher
from handlers.escalation.model import ModelError
from handlers.escalation.sla import SlaSweep
from handlers.faq import sync_task
from handlers.faq.library import FaqLibrary
from handlers.features import build_router
from handlers.housekeeping import forget_old_sent_messages, forget_old_update_keys
from handlers.i18n import Catalog, TextError, Texts
from handlers.keywords import UnknownKeyword
from handlers.onboarding.delivery import OnboardingSweep
from handlers.overview import count_points_earned
from handlers.points import Economy, InviteSettlement
from handlers.privacy import purge_old_texts
from handlers.router import Router
from handlers.sweeper import Sweeper
from handlers.texts_settings import with_overrides
from handlers.topics import TopicSweep
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
    faq: FaqLibrary
    #: Whether this process runs what must have one runner (see bot.fleet.lease).
    leads: Callable[[], bool] = field(default=lambda: True)
    _migrated: bool = field(default=False)
    _calibrating: asyncio.Task[bool] | None = field(default=None)

    @property
    def texts(self) -> Texts:
        """Texts in the community's default language."""
        return self.catalog.for_language(self.community.language)

    async def prepare(self) -> None:
        """Bring the schema up to date and load the FAQ."""
        if self._migrated:
            return
        await upgrade(self.storage.engine)
        self._migrated = True
        await self.storage.run(self.faq.refresh)

    async def recover_interrupted(self) -> None:
        """Close deliveries the last stop left mid-send (only the sole process on the
        database may: replicas recover each other's after the lease)."""
        now = self.clock.now()
        interrupted = await self.storage.run(lambda repos: repos.deliveries.fail_interrupted(now))
        if interrupted:
            log.warning("%d deliveries were interrupted by the last stop; not resent", interrupted)

    async def calibrate_faq(self, *, force: bool = False) -> bool:
        """Recalibrate the FAQ's answer rule if its base or feedback changed."""
        return await self.faq.calibrate(
            lambda: self.storage.run(lambda repos: repos.faq.feedback()),
            self.clock.now(),
            force=force,
        )

    async def sweep(self) -> list[Action]:
        """Due work as actions (the scheduler's job, and the sandbox after every line).
        The FAQ is recalibrated beside it, in the background, when due."""
        if (self._calibrating is None or self._calibrating.done()) and self.leads():
            self._calibrating = asyncio.create_task(self._calibrate_in_background())
        return await self.sweeper.sweep()

    async def _calibrate_in_background(self) -> bool:
        try:
            return await self.calibrate_faq()
        except Exception as error:  # the database away: the next sweep tries again
            log.warning("FAQ calibration skipped: %s", str(error).splitlines()[0][:200])
            return False

    async def record(self, receipts: list[Receipt] | None) -> list[Action]:
        """Close scheduled deliveries with what the channel reported; returns the
        follow-ups the features have about them, for the caller to deliver."""
        return await self.sweeper.record(receipts)

    async def carry_out(self, actions: list[Action], deliver: Deliver) -> None:
        """Deliver swept actions and record how they went, then the features' follow-ups
        (once: what those lead to is recorded, not followed)."""
        follow_ups = await self.record(await deliver(actions))
        if follow_ups:
            await self.record(await deliver(follow_ups))

    async def close(self) -> None:
        self.faq.calibrator.stop()
        if self._calibrating is not None:
            await asyncio.gather(self._calibrating, return_exceptions=True)
        await self.storage.close()


def load_catalog(settings: Settings) -> Catalog:
    """The built-in texts with the operator's ``[texts]``; a bad one is refused at start."""
    try:
        return with_overrides(Catalog.load(), settings.texts)
    except TextError as error:
        raise ConfigError(f"config error: {error}") from None


def check_onboarding_texts(settings: Settings, catalog: Catalog) -> None:
    """Steps naming a catalog text that does not exist are refused at start."""
    texts = catalog.for_language(settings.community.language)
    for index, step in enumerate(settings.onboarding.steps):
        key = step.template_key
        known = any(texts.has(key + suffix) for suffix in ("", ".active", ".silent"))
        if step.text is None and not known:
            raise ConfigError(
                f"config error: onboarding.steps[{index}].template: no text '{key}' "
                'in the message catalog; give the step a text = "..." instead'
            )


def build_app(
    settings: Settings, *, clock: Clock | None = None, storage: Storage | None = None
) -> App:
    """Everything Shequn needs, wired; raises ConfigError for settings that cannot work."""
    clock = clock or SystemClock()
    catalog = load_catalog(settings)
    check_onboarding_texts(settings, catalog)
    storage = storage or Storage.from_url(settings.database_url, echo=settings.database.echo)
    community, desk = settings.community, settings.staff
    faq_library = FaqLibrary(settings.faq)
    economy = Economy(settings.points)
    try:
        router = build_router(
            settings.onboarding,
            faq_library,
            economy,
            settings.escalation,
            settings.keywords,
            console_url=console_url(settings),
            topics_settings=settings.topics,
        )
    except (UnknownKeyword, ModelError) as error:
        raise ConfigError(f"config error: {error}") from None
    dispatcher = Dispatcher(storage, router, catalog, community, desk, clock)
    sweeper = Sweeper(
        storage,
        clock,
        [
            OnboardingSweep(settings.onboarding, catalog, community, desk),
            forget_old_update_keys(timedelta(days=settings.scheduler.dedup_days)),
            forget_old_sent_messages(SENT_MESSAGES_KEPT),
            sync_task(faq_library),
            InviteSettlement(economy, catalog, community),
            TopicSweep(settings.topics, catalog, community, desk),
            SlaSweep(settings.escalation, catalog, community),
            purge_old_texts(settings.privacy),
            count_points_earned(),
        ],
        router.receipt_hooks,
        catalog.for_language(community.language),
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
        faq_library,
    )
