"""The composition root: builds Shequn from settings. Nothing is created at import."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import timedelta

from bot.settings import Settings
from handlers.actions import Action
from handlers.clock import Clock, SystemClock
from handlers.context import Community
from handlers.dispatcher import Dispatcher
from handlers.features import build_router
from handlers.housekeeping import forget_old_update_keys
from handlers.i18n import Catalog, Texts
from handlers.router import Router
from handlers.sweeper import Sweeper
from storage.database import Storage
from storage.migrate import upgrade

log = logging.getLogger(__name__)


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
    _migrated: bool = field(default=False)

    @property
    def texts(self) -> Texts:
        """Texts in the community's default language."""
        return self.catalog.for_language(self.community.language)

    async def prepare(self) -> None:
        """Bring the database schema up to date (idempotent)."""
        if not self._migrated:
            await upgrade(self.storage.engine)
            self._migrated = True

    async def sweep(self) -> list[Action]:
        return await self.sweeper.sweep()

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


def build_app(
    settings: Settings, *, clock: Clock | None = None, storage: Storage | None = None
) -> App:
    clock = clock or SystemClock()
    storage = storage or Storage.from_url(settings.database_url, echo=settings.database.echo)
    catalog = Catalog.load()
    community = build_community(settings)
    router = build_router()
    dispatcher = Dispatcher(storage, router, catalog, community, clock)
    sweeper = Sweeper(
        storage, clock, [forget_old_update_keys(timedelta(days=settings.scheduler.dedup_days))]
    )
    return App(settings, storage, catalog, community, router, dispatcher, sweeper, clock)
