"""The feature list, in one place: what the bot does and in which order."""

from __future__ import annotations

from handlers import basics, faq, onboarding
from handlers.faq.library import FaqLibrary
from handlers.onboarding.config import OnboardingConfig
from handlers.router import Router


def build_router(
    onboarding_config: OnboardingConfig | None = None, faq_library: FaqLibrary | None = None
) -> Router:
    router = Router()
    basics.register(router)
    onboarding.register(router, onboarding_config or OnboardingConfig())
    if faq_library is not None:
        faq.register(router, faq_library)
    return router
