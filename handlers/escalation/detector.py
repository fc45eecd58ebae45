"""Spotting complaints in group messages and grading them: none, low (一般),
high (重大) or crisis (危机).

A lexicon classifier, deliberately simple to explain to operators: terms
score points unless negated right before ("不是要投诉"); calm questions and
thanks weigh less; exclamation marks, shouting and crisis words (律师, 曝光,
lawyer…) weigh more; money lost or several people affected make a complaint
serious; a member complaining again, or several members at once, raise the
grade. Thresholds and terms come from config.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from enum import IntEnum

import opencc

from handlers.escalation import lexicon
from handlers.escalation.settings import DetectorSettings


class Severity(IntEnum):
    NONE = 0
    LOW = 1
    HIGH = 2
    CRISIS = 3

    @property
    def label(self) -> str:
        return self.name.lower()


@dataclass(frozen=True, slots=True)
class Verdict:
    severity: Severity
    score: float
    #: The terms that counted, for the ticket and for operators tuning the lexicon.
    terms: tuple[str, ...] = ()

    @property
    def is_complaint(self) -> bool:
        return self.severity is not Severity.NONE


#: Terms this telling (退款, 骗, refund…) name a subject; lighter ones only intensify.
SUBJECT_WEIGHT = 1.5

#: Points a sign of harm adds to a message that already complains of something.
HARM_POINTS = 1.0

#: An amount of money, or a head count of people affected.
_AMOUNT = re.compile(r"\d+\s*(元|块|rmb|yuan)|[$¥￥]\s*\d")
_PEOPLE = re.compile(
    r"[两三四五六七八九十几\d]+\s*个人|"
    r"\b(\d+|two|three|four|five|six|seven|eight|nine|ten|several|many|most)\s+of\s+us\b"
)

_QUESTION = re.compile(r"[?？]|吗|呢$|请问|怎么|如何|多久|几天|what|how|when|where|can i|do you")
_LATIN_WORD = re.compile(r"[a-z0-9][a-z0-9'\-]*")


class Detector:
    def __init__(self, settings: DetectorSettings | None = None) -> None:
        self.config = config = settings or DetectorSettings()
        self._t2s = opencc.OpenCC("t2s")
        # Every group message is graded: order the terms (longest first, so 骗子 wins
        # over 骗) and compile the whole-word patterns of Latin terms once.
        kinds = {
            "crisis": _merged(lexicon.CRISIS, config.crisis_terms),
            "complaint": _merged(lexicon.COMPLAINT, config.complaint_terms),
            "positive": _merged(lexicon.POSITIVE, config.positive_terms),
        }
        # Terms are folded like messages are (lower case, Simplified), so an operator's
        # "詐騙" or "SCAM" in the config matches.
        folded = {
            kind: {self._t2s.convert(term.lower()): weight for term, weight in terms.items()}
            for kind, terms in kinds.items()
        }
        negations = lexicon.NEGATIONS + config.negations
        self._negations = tuple(self._t2s.convert(n.strip().lower()) for n in negations)
        self._harm = tuple(
            (term, _whole_word(term) if term.isascii() else None)
            for term in (
                self._t2s.convert(t.strip().lower()) for t in lexicon.HARM + config.harm_terms
            )
            if term
        )
        self._terms = sorted(
            (
                (term, kind, weight, _whole_word(term) if term.isascii() else None)
                for kind, terms in folded.items()
                for term, weight in terms.items()
            ),
            key=lambda item: len(item[0]),
            reverse=True,
        )

    def grade(self, text: str, *, repeats: int = 0, others: int = 0) -> Verdict:
        """Grade ``text``; ``repeats`` is how many complaints this member made lately,
        ``others`` how many other members complained about the same lately."""
        raw = unicodedata.normalize("NFKC", text)[:1000]
        folded = self._t2s.convert(raw.lower())
        config = self.config
        counted: list[str] = []
        scores = self._scores(folded, counted)
        score, crisis, calm = scores["complaint"], scores["crisis"], scores["positive"]
        exclaims = raw.count("!") + raw.count("！")
        shouting = sum(1 for word in re.findall(r"[A-Za-z]{3,}", raw) if word.isupper())
        intensity = min(exclaims, 6) * 0.5 + min(shouting, 3) * 0.7
        if raw.count("?") + raw.count("？") >= 2:
            intensity += 1.0
        questions = raw.count("?") + raw.count("？")
        if _QUESTION.search(folded) and exclaims == 0 and questions <= 1:
            # A calm question is an inquiry ("律师资格考试的课程有推荐吗？"), not an attack.
            # Crisis words with nothing to complain about are a topic, not a threat.
            crisis *= config.question_factor if score > 0 else 0.3
            score *= config.question_factor
        # Praise next to complaint words is often sarcasm ("好服务啊，等了三天"): it counts half.
        calm = calm / 2 if score >= config.complaint_threshold else calm
        harmed = self._harmful(folded)
        # Money lost or several people affected weigh like intensity: only next to a complaint.
        weight = intensity + (HARM_POINTS if harmed else 0)
        total = score + crisis + (weight if score + crisis > 0 else 0) - calm
        if total < config.complaint_threshold:
            return Verdict(Severity.NONE, round(total, 2), tuple(counted))
        if crisis >= config.crisis_threshold:
            severity = Severity.CRISIS
        elif total >= config.high_threshold or harmed:
            # Strong words, or money lost / several people affected: serious, not minor.
            severity = Severity.HIGH
        else:
            severity = Severity.LOW
        # Persistence and spread: the same member again, or several members at once.
        if repeats >= 2 or others >= 2:
            severity = Severity(min(Severity.CRISIS, severity + 1))
        return Verdict(severity, round(total, 2), tuple(counted))

    def _harmful(self, folded: str) -> bool:
        if _AMOUNT.search(folded) or _PEOPLE.search(folded):
            return True
        return any(_find(folded, term, pattern) >= 0 for term, pattern in self._harm)

    def same_subject(self, verdict: Verdict, text: str) -> bool:
        """Whether ``text`` shares one of the verdict's telling terms (not mere
        intensifiers such as 一直 or 到底): the same subject, for spotting a surge."""
        folded = self._t2s.convert(unicodedata.normalize("NFKC", text)[:1000].lower())
        telling = set(verdict.terms)
        return any(
            _find(folded, term, pattern) >= 0
            for term, kind, weight, pattern in self._terms
            if term in telling and kind != "positive" and weight >= SUBJECT_WEIGHT
        )

    def _scores(self, folded: str, counted: list[str]) -> dict[str, float]:
        """Points per kind; the longest term wins where terms overlap (骗子 over 骗)."""
        scores = {"crisis": 0.0, "complaint": 0.0, "positive": 0.0}
        text = folded
        for term, kind, weight, pattern in self._terms:
            start = _find(text, term, pattern)
            while start >= 0:
                if not self._negated(text, start):
                    scores[kind] += weight
                    if kind != "positive":
                        counted.append(term)
                    # Blank the match out so that shorter terms inside it do not count again.
                    text = text[:start] + " " * len(term) + text[start + len(term) :]
                    break
                start = _find(text, term, pattern, start + len(term))
        return scores

    def _negated(self, text: str, start: int) -> bool:
        before = text[max(0, start - 8) : start]
        last_words = _LATIN_WORD.findall(before)[-3:]
        return any(
            negation in last_words if negation.isascii() else negation in before[-5:]
            for negation in self._negations
        )


def _merged(defaults: Mapping[str, float], extra: Mapping[str, float]) -> dict[str, float]:
    """The built-in terms with the config's added or re-weighted (a weight of 0 removes)."""
    terms = {**defaults, **{term.strip().lower(): weight for term, weight in extra.items()}}
    return {term: weight for term, weight in terms.items() if term and weight}


def _whole_word(term: str) -> re.Pattern[str]:
    return re.compile(rf"(?<![a-z0-9]){re.escape(term)}(?![a-z0-9])")


def _find(text: str, term: str, pattern: re.Pattern[str] | None, start: int = 0) -> int:
    """Chinese terms match anywhere; Latin ones (with a pattern) only as whole words."""
    if pattern is None:
        return text.find(term, start)
    match = pattern.search(text, start)
    return match.start() if match else -1
