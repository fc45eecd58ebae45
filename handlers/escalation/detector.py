"""Spotting complaints in group messages and grading them: none, low (一般),
high (重大) or crisis (危机).

A lexicon classifier, deliberately simple to explain to operators: terms
score points where they stand as words (words.py: 多媒体 is not 媒体) and are
not negated right before ("不是要投诉"). Light terms (一直, 每次, again) only add
to a telling one; crisis words (律师, 曝光, lawyer…) count only in a message
that complains or threatens. Calm questions and praise weigh less; exclamation
marks and shouting weigh more; money lost or several people affected make a
complaint serious; a member complaining again, or several members at once,
raise the grade. Thresholds and terms come from config.
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import IntEnum
from typing import NamedTuple

import opencc

from handlers.escalation import lexicon
from handlers.escalation.settings import DetectorSettings
from handlers.escalation.words import Words


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

#: Terms this light (一直, 每次, again) are intensifiers: they only add to a telling term.
INTENSIFIER_WEIGHT = 1.0

#: Points of a stated wait ("等了两个小时", "等了半天"): telling, but not a complaint alone.
WAIT_POINTS = 1.5

#: Points a sign of harm adds to a message that already complains of something.
HARM_POINTS = 1.0

#: An amount of money, or a head count of people affected.
_AMOUNT = re.compile(r"\d+\s*(元|块|rmb|yuan)|[$¥￥]\s*\d")
_PEOPLE = re.compile(
    r"[两三四五六七八九十几\d]+\s*个人|"
    r"\b(\d+|two|three|four|five|six|seven|eight|nine|ten|several|many|most)\s+of\s+us\b"
)

_WAITED = re.compile(
    r"等了?\s*(好|很|那么|这么)?(久|半天)|"
    r"等了\s*[一两二三四五六七八九十几半\d]+\s*个?多?半?(分钟|小时|钟头|天|周|星期|礼拜|个?月)|"
    r"\bwaiting (for )?(\d+|an?|one|two|three|four|five|six|several|many) "
    r"(hours?|days?|weeks?|months?)"
)
_QUESTION = re.compile(r"[?？]|吗|呢$|请问|怎么|如何|多久|几天|what|how|when|where|can i|do you")
#: Praise right after these is denied: 不满意, 不太喜欢, 没感谢.
_DENIED = re.compile(r"(不|没)(太|很|够|怎么|是很|有|有什么)?$")
#: Clauses end at punctuation: an intent must be in the crisis term's own clause.
_CLAUSES = re.compile(r"[，。！？!?,.;；:：\n…、~]")
#: How many characters before a crisis term a Chinese intent (我要, 已经) may stand.
INTENT_REACH = 12
_SENTENCE_END = re.compile(r"[。！？!?\n]+|\.(\s|$)")
#: The community addressed: 你们就等着吧, how you treat customers.
_ADDRESSED = re.compile(r"你们|贵司|贵公司|\byou(r|rs)?\b")
#: The rest of a clause that asks 吗: after 不是, a rhetorical question.
_RHETORICAL = re.compile(r"[^，。！？!?,.;；\n]*吗")
_LATIN_WORD = re.compile(r"[a-z0-9][a-z0-9'\-]*")


class Hit(NamedTuple):
    """A term found in a message, where it was found."""

    term: str
    kind: str
    weight: float
    start: int


class Detector:
    def __init__(self, settings: DetectorSettings | None = None) -> None:
        self.config = config = settings or DetectorSettings()
        self._t2s = opencc.OpenCC("t2s")
        # Every group message is graded: order the terms (longest first, so 骗子 wins
        # over 骗) and compile the whole-word patterns of Latin terms once. The config's
        # terms are added to the built-in lexicon (a weight of 0 removes one).
        kinds = {
            "crisis": _merged(lexicon.CRISIS, config.crisis_terms),
            "complaint": _merged(lexicon.COMPLAINT, config.complaint_terms),
            "positive": _merged(lexicon.POSITIVE, config.positive_terms),
        }
        # Terms are folded like messages are (lower case, Simplified), so an operator's
        # "詐騙" or "SCAM" in the config matches.
        self._terms = sorted(
            (
                (term, kind, weight, _whole_word(term) if term.isascii() else None)
                for kind, terms in kinds.items()
                for term, weight in ((self._fold(t), w) for t, w in terms.items())
                if term
            ),
            key=lambda item: len(item[0]),
            reverse=True,
        )
        self._negations = tuple(self._fold(n) for n in lexicon.NEGATIONS + config.negations)
        self._harm = self._patterns(lexicon.HARM + config.harm_terms)
        self._intents = self._patterns(lexicon.INTENTS)
        self._moods = frozenset(self._fold(mood) for mood in lexicon.MOODS)
        self._service = self._patterns(lexicon.SERVICE + config.service_terms)
        self._acts = frozenset(self._fold(act) for act in lexicon.CRISIS_ACTS)
        self._not_intents = tuple(self._fold(phrase) for phrase in lexicon.NOT_INTENTS)
        self._harmless = tuple(self._fold(word) for word in lexicon.HARMLESS)
        #: Terms telling enough to name what a complaint is about (退款, refund).
        self._subjects = frozenset(
            term
            for term, kind, weight, _ in self._terms
            if kind != "positive" and weight >= SUBJECT_WEIGHT
        )
        #: Chinese terms join jieba's dictionary, so that it keeps them whole.
        self._dictionary = tuple(sorted({t for t, *_ in self._terms if not t.isascii()}))

    def _fold(self, text: str) -> str:
        return self._t2s.convert(text.strip().lower())

    def _patterns(self, terms: Iterable[str]) -> tuple[tuple[str, re.Pattern[str] | None], ...]:
        folded = (self._fold(term) for term in terms)
        return tuple(
            (term, _whole_word(term) if term.isascii() else None) for term in folded if term
        )

    def grade(self, text: str, *, repeats: int = 0, others: int = 0) -> Verdict:
        """Grade ``text``; ``repeats`` is how many complaints this member made lately,
        ``others`` how many other members complained about the same lately."""
        raw = unicodedata.normalize("NFKC", text)[:1000]
        folded = self._t2s.convert(raw.lower())
        config = self.config
        hits = self._hits(folded)
        counted = self._counted(folded, hits)
        score = sum(hit.weight for hit in counted if hit.kind == "complaint")
        crisis = sum(hit.weight for hit in counted if hit.kind == "crisis")
        calm = sum(hit.weight for hit in hits if hit.kind == "positive")
        exclaims = raw.count("!") + raw.count("！")
        shouting = sum(1 for word in re.findall(r"[A-Za-z]{3,}", raw) if word.isupper())
        intensity = min(exclaims, 6) * 0.5 + min(shouting, 3) * 0.7
        questions = raw.count("?") + raw.count("？")
        if questions >= 2:
            intensity += 1.0
        insisting = any(hit.weight <= INTENSIFIER_WEIGHT for hit in counted)
        if _QUESTION.search(folded) and exclaims == 0 and questions <= 1 and not insisting:
            # A calm question is an inquiry ("退款几天到账？"), not an attack; one that
            # insists (怎么还没到账？, 到底什么时候) is a complaint.
            crisis *= config.question_factor
            score *= config.question_factor
        if score >= config.complaint_threshold:
            calm = _praise_after(hits, counted)
        harmed = any(self._harmful(sentence) for sentence in _sentences(folded, counted))
        # Money lost or several people affected weigh like intensity: only next to a complaint.
        weight = intensity + (HARM_POINTS if harmed else 0)
        total = score + crisis + (weight if score + crisis > 0 else 0) - calm
        terms = tuple(hit.term for hit in counted)
        if total < config.complaint_threshold:
            return Verdict(Severity.NONE, round(total, 2), terms)
        if crisis >= config.crisis_threshold:
            severity = Severity.CRISIS
        elif total >= config.high_threshold or harmed:
            # Strong words, or money lost / several people affected: serious, not minor.
            severity = Severity.HIGH
        else:
            severity = Severity.LOW
        # Spread and persistence raise the grade a level: several members at once up to a
        # crisis (mass anger), one member's repeated complaints up to serious at most —
        # a frustrated member alone is not a crisis, which needs its own signals.
        if others >= 2:
            severity = Severity(min(Severity.CRISIS, severity + 1))
        elif repeats >= 2:
            severity = max(severity, Severity(min(Severity.HIGH, severity + 1)))
        return Verdict(severity, round(total, 2), terms)

    def _counted(self, folded: str, hits: list[Hit]) -> list[Hit]:
        """The complaint and crisis terms that count, each needing another signal:
        intensifiers (一直, 每次, again: INTENSIFIER_WEIGHT or less) a telling term;
        moods (烦, 失望, hate) a telling term or the community's service named; crisis
        terms a complaint of their own or a threat. Alone, a crisis term is a topic (a
        drama about a lawyer), a mood is a mood (下雨天真烦人)."""
        telling = [h for h in hits if h.kind == "complaint" and h.weight > INTENSIFIER_WEIGHT]
        moods_only = bool(telling) and all(hit.term in self._moods for hit in telling)
        if moods_only and not self._names_service(folded):
            telling = []
        light = [h for h in hits if h.kind == "complaint" and h.weight <= INTENSIFIER_WEIGHT]
        complaints = [*telling, *light] if telling else []
        crises = [hit for hit in hits if hit.kind == "crisis"]
        complains = sum(hit.weight for hit in complaints) >= self.config.complaint_threshold
        if complains or any(self._threat(folded, hit, crises, bool(telling)) for hit in crises):
            return complaints + crises
        return complaints

    def _threat(self, folded: str, hit: Hit, crises: list[Hit], telling: bool) -> bool:
        """A crisis term said as a threat: after an intent in its clause (我要, 已经, I'll),
        with one more sign: the term is an act (我要报警, 已经去了消协), the community is
        addressed (你们, you), another crisis term is used (联系了记者，媒体会报道), or a
        complaint term. 我已经看完律师剧 and 我要去法院实习 are none."""
        clause = _CLAUSES.split(folded[max(0, hit.start - 30) : hit.start])[-1]
        near = clause[-INTENT_REACH:]
        for phrase in self._not_intents:
            near = near.replace(phrase, " ")
        intent = any(
            _find(clause, cue, pattern) >= 0 if pattern else cue in near
            for cue, pattern in self._intents
        )
        return intent and (
            telling
            or hit.term in self._acts
            or len(crises) > 1
            or _ADDRESSED.search(folded) is not None
        )

    def _names_service(self, folded: str) -> bool:
        """Whether the message names the community's service (课程, 客服, app, 你们)."""
        return any(_find(folded, word, pattern) >= 0 for word, pattern in self._service)

    def _harmful(self, folded: str) -> bool:
        if _AMOUNT.search(folded) or _PEOPLE.search(folded):
            return True
        return any(_find(folded, term, pattern) >= 0 for term, pattern in self._harm)

    def same_subject(self, verdict: Verdict, text: str) -> bool:
        """Whether ``text`` shares one of the verdict's telling terms (not mere
        intensifiers such as 一直 or 到底): the same subject, for spotting a surge."""
        folded = self._t2s.convert(unicodedata.normalize("NFKC", text)[:1000].lower())
        found = {hit.term for hit in self._hits(folded)} & self._subjects
        return not found.isdisjoint(verdict.terms)

    def _hits(self, folded: str) -> list[Hit]:
        """The terms found as words and not negated; the longest term wins where terms
        overlap (骗子 over 骗). A stated wait (等了两个小时) is a telling term too."""
        hits: list[Hit] = []
        text = folded
        waited = _WAITED.search(folded)
        if waited and not self._negated(folded, waited.start()):
            hits.append(Hit(waited.group(), "complaint", WAIT_POINTS, waited.start()))
            text = _blank(text, waited.start(), waited.end())
        words = Words(folded, self._dictionary, self._harmless)
        for term, kind, weight, pattern in self._terms:
            if term not in text:  # the common case, and much cheaper than _find
                continue
            start = _find(text, term, pattern)
            while start >= 0:
                end = start + len(term)
                if self._counts(text, start, end, kind, pattern, words):
                    hits.append(Hit(term, kind, weight, start))
                    text = _blank(text, start, end)
                    break
                start = _find(text, term, pattern, start + 1)
        return hits

    def _counts(
        self,
        text: str,
        start: int,
        end: int,
        kind: str,
        pattern: re.Pattern[str] | None,
        words: Words,
    ) -> bool:
        """Latin terms count as whole words, Chinese complaint and crisis terms as
        words (see words.py); praise anywhere unless denied (不满意, 没感谢)."""
        if self._negated(text, start):
            return False
        if kind == "positive":
            return not _DENIED.search(text, max(0, start - 4), start)
        return pattern is not None or words.stands_alone(start, end)

    def _negated(self, text: str, start: int) -> bool:
        """A negation shortly before the term, in its own clause (不是要投诉, not a scam;
        but not 不是鳕鱼，骗子)."""
        before = _CLAUSES.split(text[max(0, start - 8) : start])[-1]
        if "不是" in before[-5:] and _RHETORICAL.match(text, start):
            return False  # 这不是骗人吗: an accusation, not a denial
        last_words = _LATIN_WORD.findall(before)[-3:]
        return any(
            negation in last_words if negation.isascii() else negation in before[-5:]
            for negation in self._negations
        )


def _merged(defaults: Mapping[str, float], extra: Mapping[str, float]) -> dict[str, float]:
    """The built-in terms with the config's added or re-weighted (a weight of 0 removes)."""
    terms = {**defaults, **{term.strip().lower(): weight for term, weight in extra.items()}}
    return {term: weight for term, weight in terms.items() if term and weight}


def _blank(text: str, start: int, end: int) -> str:
    """Blank a match out, so that shorter terms inside it do not count again."""
    return text[:start] + " " * (end - start) + text[end:]


def _sentences(folded: str, counted: list[Hit]) -> list[str]:
    """The sentences that hold a counted term: money or people elsewhere in a long
    message (a price in a review) is not harm done by what the message complains of."""
    starts = [0] + [match.end() for match in _SENTENCE_END.finditer(folded)] + [len(folded) + 1]
    found = {bisect.bisect_right(starts, hit.start) - 1 for hit in counted}
    return [folded[starts[i] : starts[i + 1]] for i in sorted(found)]


def _praise_after(hits: list[Hit], counted: list[Hit]) -> float:
    """Praise before complaint words is often sarcasm ("好服务啊，等了三天"): it counts
    half. Praise or laughter after them is how the message ends ("游戏又输了哈哈")."""
    last = max((hit.start for hit in counted), default=-1)
    return sum(
        hit.weight if hit.start > last else hit.weight / 2 for hit in hits if hit.kind == "positive"
    )


def _whole_word(term: str) -> re.Pattern[str]:
    return re.compile(rf"(?<![a-z0-9]){re.escape(term)}(?![a-z0-9])")


def _find(text: str, term: str, pattern: re.Pattern[str] | None, start: int = 0) -> int:
    """Chinese terms match anywhere; Latin ones (with a pattern) only as whole words."""
    if pattern is None:
        return text.find(term, start)
    match = pattern.search(text, start)
    return match.start() if match else -1
