"""The feature list, in one place: what the bot does, in which order, and how
features hand each other signals (onboarding ↔ points)."""

from __future__ import annotations

from handlers import (
    basics,
    console,
    escalation,
    faq,
    linking,
    onboarding,
    points,
    privacy,
    topics,
)
from handlers.escalation import Tickets
from handlers.escalation.settings import EscalationSettings
from handlers.faq.library import FaqLibrary
from handlers.keywords import KeywordSettings, fold_keyword
from handlers.onboarding.flow import OnboardingFlow
from handlers.onboarding.settings import OnboardingSettings
from handlers.points.economy import Economy
from handlers.points.settings import PointsSettings
from handlers.router import Router
from handlers.topics.settings import TopicsSettings


def build_router(
    onboarding_settings: OnboardingSettings | None = None,
    faq_library: FaqLibrary | None = None,
    economy: Economy | None = None,
    escalation_settings: EscalationSettings | None = None,
    keyword_settings: KeywordSettings | None = None,
    console_url: str | None = None,
    topics_settings: TopicsSettings | None = None,
) -> Router:
    """Every feature; ``console_url`` (where the staff console is served) adds
    ``/console``."""
    router = Router()
    basics.register(router)
    economy = economy or Economy(PointsSettings())
    # Completing onboarding earns points; a check-in is a sign of taking part.
    flow = OnboardingFlow(onboarding_settings or OnboardingSettings(), economy.onboarding_completed)
    onboarding.register(router, flow)
    points.register(router, economy, flow.participated)
    topics.register(
        router, economy, flow.participated, (topics_settings or TopicsSettings()).calendar()
    )
    # The FAQ's "talk to staff" opens a ticket.
    tickets = Tickets.build(escalation_settings or EscalationSettings())
    escalation.register(router, tickets)
    linking.register(router)
    privacy.register(router)
    if console_url is not None:
        console.register(router, console_url)
    if faq_library is not None:
        faq.register(router, faq_library, tickets.intake.hand_over)
    keyword_settings = keyword_settings or KeywordSettings()
    chosen = frozenset(fold_keyword(keyword) for keyword in keyword_settings.aliases)
    router.use_keywords(keyword_settings.effective(), chosen=chosen)
    return router
