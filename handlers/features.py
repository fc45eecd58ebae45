"""The feature list, in one place: what the bot does, in which order, and how
features hand each other signals (onboarding ↔ points)."""

from __future__ import annotations

from handlers import basics, escalation, faq, onboarding, points, topics
from handlers.escalation import Tickets
from handlers.escalation.config import EscalationConfig
from handlers.faq.library import FaqLibrary
from handlers.onboarding.config import OnboardingConfig
from handlers.onboarding.flow import OnboardingFlow
from handlers.points.config import PointsConfig
from handlers.points.economy import Economy
from handlers.router import Router


def build_router(
    onboarding_config: OnboardingConfig | None = None,
    faq_library: FaqLibrary | None = None,
    economy: Economy | None = None,
    escalation_config: EscalationConfig | None = None,
) -> Router:
    router = Router()
    basics.register(router)
    economy = economy or Economy(PointsConfig())
    # Completing onboarding earns points; a check-in is a sign of taking part.
    flow = OnboardingFlow(onboarding_config or OnboardingConfig(), economy.onboarding_completed)
    onboarding.register(router, flow)
    points.register(router, economy, flow.participated)
    topics.register(router, economy, flow.participated)
    # The FAQ's "talk to staff" opens a ticket.
    tickets = Tickets.build(escalation_config or EscalationConfig())
    escalation.register(router, tickets)
    if faq_library is not None:
        faq.register(router, faq_library, tickets.intake.hand_over)
    return router
