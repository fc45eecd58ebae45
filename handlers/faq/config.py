"""FAQ behaviour settings (built from ``[faq]`` in the config)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from enum import StrEnum

from faq.matcher import MatcherConfig
from faq.synonyms import DEFAULT_SYNONYMS


class AskFallback(StrEnum):
    """What ``/ask`` does when nothing reaches the answer threshold."""

    TELL_STAFF = "tell_staff"
    BEST_MATCH = "best_match"


@dataclass(frozen=True, slots=True)
class FaqConfig:
    enabled: bool = True
    #: Answer question-like group messages unprompted.
    group_replies: bool = True
    #: At most one unprompted answer per group in this time (mentions of the bot skip it).
    cooldown: timedelta = timedelta(seconds=60)
    ask_fallback: AskFallback = AskFallback.TELL_STAFF
    #: Keep question-like group messages nobody could answer, for ``/faqmisses``.
    log_misses: bool = True
    matcher: MatcherConfig = field(default_factory=MatcherConfig)
    synonyms: tuple[tuple[str, ...], ...] = DEFAULT_SYNONYMS
    #: The community's own terms, so jieba keeps them whole (product names, 黑话).
    user_words: tuple[str, ...] = ()
    extra_stop_words: tuple[str, ...] = ()
    #: How long a guided ``/addfaq`` waits for the next reply.
    conversation_timeout: timedelta = timedelta(minutes=15)
