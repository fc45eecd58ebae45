"""``[faq]``: when the bot answers from the knowledge base, read by its handlers as it is."""

from __future__ import annotations

from datetime import timedelta
from enum import StrEnum

from pydantic import Field, field_validator, model_validator

from faq.matcher import MatcherConfig
from faq.synonyms import DEFAULT_SYNONYMS
from handlers.config import Section, TextList


class AskFallback(StrEnum):
    """What ``/ask`` does when nothing reaches the answer threshold."""

    TELL_STAFF = "tell_staff"
    BEST_MATCH = "best_match"


class FaqSettings(Section):
    enabled: bool = True
    #: Answer question-like group messages unprompted (mentions of the bot are always answered).
    group_replies: bool = True
    #: At least this long between unprompted answers in one group.
    cooldown_seconds: int = Field(60, ge=0)
    #: The risk the operator accepts: at most this share of questions the base has no
    #: entry for may get an answer. The answer rule is calibrated to it from the base
    #: itself (and members' feedback) whenever they change.
    max_false_answer_rate: float = Field(0.05, gt=0, lt=1)

    @field_validator("max_false_answer_rate", mode="before")
    @classmethod
    def _a_share_not_a_percentage(cls, value: object) -> object:
        """5 meant as 5 %: say how to write it rather than only that it is too large."""
        try:
            share = float(value)  # type: ignore[arg-type]  # a number, or its text (env)
        except (TypeError, ValueError):
            return value  # pydantic says what is wrong with it
        if 1 <= share <= 100:
            raise ValueError(f"a share between 0 and 1: {share:g} % is {share / 100:g}")
        return value

    #: Fold 👍/👎 and "talk to staff" after answers into the calibration.
    learn_from_feedback: bool = True
    #: A fixed confidence (0-1) to answer at instead of the calibrated rule.
    answer_threshold: float | None = Field(None, ge=0, le=1)
    #: Between this and answer_threshold, private chats get "did you mean…" buttons.
    suggest_threshold: float = Field(0.25, ge=0, le=1)
    #: /ask below the threshold: tell staff ("tell_staff") or give the best guess ("best_match").
    ask_fallback: AskFallback = AskFallback.TELL_STAFF
    #: Keep question-like group messages nobody could answer, for ``/faqmisses`` (and
    #: answers voted 👎 or followed by "talk to staff": the calibration's wrong answers).
    log_misses: bool = True
    #: Extra synonym groups, first word canonical: [["积分", "分数"], ["app", "客户端"]].
    synonyms: tuple[tuple[str, ...], ...] = ()
    #: Replace the built-in synonym groups instead of adding to them.
    replace_default_synonyms: bool = False
    #: The community's own words, kept whole by the segmenter (product names, slang).
    user_words: TextList = ()
    stop_words: TextList = ()
    #: How long a guided ``/addfaq`` waits for the next reply.
    conversation_minutes: int = Field(15, ge=1, le=1440)

    @model_validator(mode="after")
    def _thresholds(self) -> FaqSettings:
        if self.answer_threshold is not None and self.suggest_threshold > self.answer_threshold:
            raise ValueError("suggest_threshold must not be above answer_threshold")
        return self

    @property
    def cooldown(self) -> timedelta:
        return timedelta(seconds=self.cooldown_seconds)

    @property
    def conversation_timeout(self) -> timedelta:
        return timedelta(minutes=self.conversation_minutes)

    @property
    def all_synonyms(self) -> tuple[tuple[str, ...], ...]:
        """The groups the matcher uses: the built-in ones unless replaced, then the config's."""
        return self.synonyms if self.replace_default_synonyms else DEFAULT_SYNONYMS + self.synonyms

    @property
    def matcher(self) -> MatcherConfig:
        if self.answer_threshold is None:
            return MatcherConfig(suggest_threshold=self.suggest_threshold)
        return MatcherConfig(
            answer_threshold=self.answer_threshold, suggest_threshold=self.suggest_threshold
        )
