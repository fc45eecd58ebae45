"""The feature list, in one place: what the bot does and in which order."""

from __future__ import annotations

from handlers import basics, welcome
from handlers.router import Router


def build_router() -> Router:
    router = Router()
    for feature in (basics, welcome):
        feature.register(router)
    return router
