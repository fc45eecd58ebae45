"""Finds the entry that answers a message, with a confidence in [0, 1].

BM25 ranks phrasings; the best candidates are then re-scored by how much of
the *query* they explain and how much of the *phrasing* the query covers
(both as BM25 self-normalised ratios). A message full of words the base never
uses explains little and stays below the threshold, which is what keeps the
bot quiet on chatter; a short query that covers a short phrasing scores high.

Sharing words is not answering: members mostly ask about what the base covers,
often something it has no entry for. So each candidate's scope is checked too:
whether any of its phrasings asks for what the message asks for (a place, a
time, an amount…), and how much of the message its text (answer included)
never mentions. What falls outside lowers the confidence.
"""

from __future__ import annotations

import heapq
from collections import Counter
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import NamedTuple

from faq.char_vectors import CharVectors
from faq.homophones import Homophones
from faq.index import Bm25Index, Bm25Params
from faq.normalize import Normalizer
from faq.question import Asks, asks
from faq.tokenizer import CHAR_PREFIX, NGRAM_PREFIX, Terms, Tokenizer, is_mark, mentions


@dataclass(frozen=True, slots=True)
class MatcherConfig:
    """Tuning; the defaults were calibrated on ``tests/data/faq_eval``."""

    #: At or above: answer (in groups too).
    answer_threshold: float = 0.38
    #: Between this and the answer threshold: "did you mean…" in private chats.
    suggest_threshold: float = 0.25
    word_weight: float = 1.0
    bigram_weight: float = 0.5
    char_weight: float = 0.3
    #: Share of the confidence that comes from query coverage (the rest: phrasing coverage).
    query_share: float = 0.9
    candidates: int = 30
    #: Share of the confidence from word evidence; the rest is character similarity.
    word_share: float = 0.4
    #: Character and pair terms found in more than this share of phrasings say
    #: little and cost much in a large base, so they are left out of scoring.
    common_share: float = 0.03
    #: Taken off when the message asks for something none of the entry's phrasings asks
    #: for (where, when, how much, how, why, which, yes or no; see :mod:`faq.question`).
    asks_penalty: float = 0.15
    #: Times the share of the message's characters found nowhere in the entry, answer
    #: included: what the entry says nothing about is likely what it does not answer.
    unexplained_penalty: float = 0.3
    #: How much of those penalties reorders the candidates (the rest only lowers the
    #: confidence): a candidate that fits what is asked moves ahead of one that only
    #: shares more words.
    rank_by_scope: float = 0.5
    bm25: Bm25Params = field(default_factory=Bm25Params)


class Cut(NamedTuple):
    """A phrasing as the matcher reads it: normalized, and cut into index terms."""

    text: str
    #: Its words first, then its character pairs and characters.
    terms: list[str]
    #: How many of ``terms`` are words.
    words: int

    @property
    def word_terms(self) -> list[str]:
        return self.terms[: self.words]


@dataclass(frozen=True, slots=True)
class EntryText:
    """What the matcher reads of an entry: the phrasings members ask it by, and its
    answer, which never ranks (it is long and says much) but tells which of a
    message's words the entry has something to say about."""

    phrasings: tuple[str, ...]
    answer: str = ""


@dataclass(frozen=True, slots=True)
class _Scope:
    """What an entry can answer, beyond its words: what its phrasings ask for (one
    that says nothing asks for anything) and every character and Latin word of its
    phrasings and answer."""

    asks: tuple[frozenset[Asks], ...]
    characters: frozenset[str]

    @classmethod
    def of(cls, phrasings: Sequence[Cut], answer: frozenset[str]) -> _Scope:
        said = (term for phrasing in phrasings for term in phrasing.terms if is_mark(term))
        return cls(tuple(asks(phrasing.text) for phrasing in phrasings), answer.union(said))

    def asks_else(self, wanted: frozenset[Asks]) -> bool:
        """Whether a message asking for ``wanted`` asks for what no phrasing does."""
        return bool(wanted) and all(kinds and not kinds & wanted for kinds in self.asks)

    def unexplained(self, characters: frozenset[str]) -> float:
        """The share of ``characters`` (a message's) that the entry's text never uses."""
        return len(characters - self.characters) / len(characters) if characters else 0.0


class Verdict(StrEnum):
    ANSWER = "answer"
    SUGGEST = "suggest"
    NONE = "none"


@dataclass(frozen=True, slots=True)
class Match:
    key: Hashable
    confidence: float


@dataclass(frozen=True, slots=True)
class AnswerRule:
    """When the best match is answered directly: its standing reaches ``threshold``.

    The standing is the best confidence averaged with its lead over the runner-up,
    the lead counting ``lead_weight`` times: two close entries mean the question
    could be either, while one entry standing clear of the rest is likely the one
    asked about even at a modest match. Weighing the two beats requiring a minimum
    of each (measured on the development sets: more right answers at fewer false
    ones on all three). ``lead_weight`` 0 is the confidence alone."""

    threshold: float
    lead_weight: float = 0.0

    def standing(self, confidences: Sequence[float]) -> float:
        """The best of ``confidences`` (best first) as this rule weighs it."""
        if not confidences:
            return 0.0
        runner_up = confidences[1] if len(confidences) > 1 else 0.0
        return self.standing_of(confidences[0], confidences[0] - runner_up)

    def standing_of(self, confidence: float, lead: float) -> float:
        return (confidence + self.lead_weight * lead) / (1 + self.lead_weight)

    def answers(self, confidences: Sequence[float]) -> bool:
        """Whether the best of ``confidences`` (best first) is answered."""
        return bool(confidences) and self.standing(confidences) >= self.threshold

    def __str__(self) -> str:
        """The rule in words, for operators' output."""
        if not self.lead_weight:
            return f"answer when the match is {self.threshold:.2f} or more"
        weight = self.lead_weight
        return (
            f"answer when (match + {weight:g} × its lead over the runner-up) / {1 + weight:g} "
            f"is {self.threshold:.2f} or more"
        )


@dataclass(frozen=True, slots=True)
class Decision:
    verdict: Verdict
    matches: tuple[Match, ...]

    @property
    def best(self) -> Match | None:
        return self.matches[0] if self.matches else None


class Matcher:
    def __init__(
        self,
        normalizer: Normalizer,
        tokenizer: Tokenizer,
        config: MatcherConfig | None = None,
    ) -> None:
        self.config = config or MatcherConfig()
        self._normalize = normalizer
        self._tokenizer = tokenizer
        self._index = Bm25Index(self.config.bm25)
        self._chars = CharVectors()
        self._scopes: dict[Hashable, _Scope] = {}
        self._homophones = Homophones(tokenizer)
        #: Each document's score for itself, valid for one version of the index.
        self._doc_selves: dict[int, float] = {}
        self._doc_selves_version = -1

    def __len__(self) -> int:
        return len(self._index)

    def empty_copy(self) -> Matcher:
        """A matcher that reads text the same way, with no entries: calibration's own.
        It shares the segmenter, whose dictionary is only read once loaded."""
        return Matcher(self._normalize, self._tokenizer, self.config)

    def __contains__(self, key: Hashable) -> bool:
        return key in self._index

    def add(self, key: Hashable, phrasings: Iterable[str], answer: str = "") -> None:
        """Index (or re-index) one entry under ``key``; the rest of the base is untouched."""
        self.add_cut(key, [self.cut(text) for text in phrasings], self.mentions(answer))

    def add_entry(self, key: Hashable, entry: EntryText) -> None:
        self.add(key, entry.phrasings, entry.answer)

    def add_cut(
        self, key: Hashable, phrasings: Sequence[Cut], answer: frozenset[str] = frozenset()
    ) -> None:
        """:meth:`add` for phrasings already :meth:`cut` and an answer's :meth:`mentions`
        (calibration re-indexes entries many times and reads each text once)."""
        self._index.add(key, (phrasing.terms for phrasing in phrasings))
        self._chars.add(key, (phrasing.text for phrasing in phrasings))
        self._scopes[key] = _Scope.of(phrasings, answer)
        self._homophones.add(key, (word for phrasing in phrasings for word in phrasing.word_terms))

    def cut(self, text: str) -> Cut:
        return self._cut_normalized(self._normalize(text))

    def _cut_normalized(self, text: str) -> Cut:
        terms = self._tokenizer.terms(text)
        return Cut(text, [*terms.words, *terms.bigrams, *terms.chars], len(terms.words))

    def mentions(self, answer: str) -> frozenset[str]:
        """What an answer mentions (read whole, normalized as questions are)."""
        return mentions(self._normalize(answer, limit=len(answer))) if answer else frozenset()

    def remove(self, key: Hashable) -> None:
        self._index.remove(key)
        self._chars.remove(key)
        self._scopes.pop(key, None)
        self._homophones.remove(key)

    def terms(self, text: str) -> Terms:
        return self._tokenizer.terms(self._normalize(text))

    def search(self, text: str, limit: int = 3) -> list[Match]:
        """The best ``limit`` entries for ``text``, best first."""
        cut = self.cut(text)
        mended = self._homophones.correct(cut.text)
        if mended != cut.text:
            cut = self._cut_normalized(mended)
        return self.search_cut(cut, limit)

    def search_cut(self, cut: Cut, limit: int = 3) -> list[Match]:
        """Word evidence (BM25 coverage) picks the candidates; their confidence fuses it
        with character evidence (:mod:`faq.char_vectors`)."""
        query = self._informative(Counter(cut.terms))
        if not query or not len(self._index):
            return []
        weights = {term: self._weight(term) for term in query}
        weighted = {term: weights[term] * tf for term, tf in query.items()}
        scores = self._index.score_documents(weighted)
        if not scores:
            return []
        query_self = self._index.self_score(query, weights)
        best: dict[Hashable, float] = {}
        top = heapq.nlargest(self.config.candidates, scores.items(), key=lambda item: item[1])
        share = self.config.query_share
        for doc, score in top:
            doc_self = self._doc_self(doc)
            query_cover = min(1.0, score / query_self) if query_self else 0.0
            doc_cover = min(1.0, score / doc_self) if doc_self else 0.0
            confidence = query_cover**share * doc_cover ** (1 - share)
            key = self._index.key_of(doc)
            if confidence > best.get(key, -1.0):
                best[key] = confidence
        share = self.config.word_share
        similar = self._chars.similarities(cut.text, best)
        wanted = asks(cut.text)
        characters = frozenset(term for term in cut.terms if is_mark(term))
        evidence = {key: share * words + (1 - share) * similar[key] for key, words in best.items()}
        off = {key: self._off_scope(key, wanted, characters) for key in evidence}
        leader = max(evidence, key=evidence.__getitem__)
        ranking = self.config.rank_by_scope
        ranked = sorted(evidence, key=lambda key: evidence[key] - ranking * off[key], reverse=True)
        matches = [
            Match(key, round(max(0.0, evidence[key] - off[key]), 4)) for key in ranked[:limit]
        ]
        # An entry that fits better than the one sharing the most words ranks first, but
        # the bot is no surer that the base answers the message than that one says.
        if matches:
            first = matches[0]
            capped = min(first.confidence, round(max(0.0, evidence[leader] - off[leader]), 4))
            matches[0] = Match(first.key, capped)
        return matches

    def _off_scope(
        self, key: Hashable, wanted: frozenset[Asks], characters: frozenset[str]
    ) -> float:
        """What is taken off an entry's confidence for what the message asks beyond it."""
        scope = self._scopes[key]
        penalty = self.config.unexplained_penalty * scope.unexplained(characters)
        if scope.asks_else(wanted):
            penalty += self.config.asks_penalty
        return penalty

    def decide(self, text: str, rule: AnswerRule | None = None) -> Decision:
        """Answer (by ``rule``, else the configured threshold), suggest or stay silent."""
        matches = tuple(self.search(text))
        if not matches:
            return Decision(Verdict.NONE, ())
        rule = rule or AnswerRule(self.config.answer_threshold)
        if rule.answers([match.confidence for match in matches]):
            return Decision(Verdict.ANSWER, matches)
        confidence = matches[0].confidence
        if confidence >= self.config.suggest_threshold:
            return Decision(Verdict.SUGGEST, matches)
        return Decision(Verdict.NONE, matches)

    def _informative(self, query: Counter[str]) -> Counter[str]:
        limit = max(200, self.config.common_share * self._index.document_count)
        return Counter(
            {
                term: tf
                for term, tf in query.items()
                if term[0] not in (NGRAM_PREFIX, CHAR_PREFIX)
                or self._index.document_frequency(term) <= limit
            }
        )

    def _doc_self(self, doc: int) -> float:
        if self._doc_selves_version != self._index.version:
            self._doc_selves.clear()
            self._doc_selves_version = self._index.version
        cached = self._doc_selves.get(doc)
        if cached is None:
            terms = self._index.document_terms(doc)
            weights = {term: self._weight(term) for term in terms}
            cached = self._doc_selves[doc] = self._index.self_score(terms, weights)
        return cached

    def _weight(self, term: str) -> float:
        if term.startswith(NGRAM_PREFIX):
            return self.config.bigram_weight
        if term.startswith(CHAR_PREFIX):
            return self.config.char_weight
        return self.config.word_weight
