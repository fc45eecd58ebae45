"""An in-memory BM25 index over FAQ phrasings that can change one entry at a time.

Why not a BM25 library: the ones on PyPI either score every document per
query (rank_bm25: linear in the base) or need a full rebuild on every change
(bm25s). Moderators add and edit entries in chat, and a 10,000-entry base
must answer in a few milliseconds, so this keeps inverted postings that are
updated in place and scores only documents that share a term with the query.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Hashable, Iterable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Bm25Params:
    k1: float = 1.2
    b: float = 0.6


class Bm25Index:
    """Documents are phrasings; each belongs to an entry (its key)."""

    def __init__(self, params: Bm25Params | None = None) -> None:
        self.params = params or Bm25Params()
        self._postings: dict[str, dict[int, int]] = defaultdict(dict)
        self._doc_terms: dict[int, Counter[str]] = {}
        self._doc_length: dict[int, int] = {}
        self._doc_key: dict[int, Hashable] = {}
        self._key_docs: dict[Hashable, list[int]] = defaultdict(list)
        self._total_length = 0
        self._next_doc = 0
        #: How many documents have each length: BM25's length normalisation depends
        #: only on the length and the average, so it is kept per length (a few dozen
        #: values) and recomputed whenever the average moved. An edit costs the edited
        #: entry, and scores are always exactly those of a fresh build.
        self._lengths: Counter[int] = Counter()
        self._norms: dict[int, float] = {}
        self._norms_stale = False
        #: Bumped by every change: what callers derive from scores (a document's score
        #: for itself) stays valid while it is unchanged. Idfs are cached the same way.
        self.version = 0
        self._idfs: dict[str, float] = {}

    # -- changes -------------------------------------------------------------

    def add(self, key: Hashable, documents: Iterable[Iterable[str]]) -> None:
        """Index ``documents`` (term lists) under ``key``, replacing what it had."""
        self.remove(key)
        for terms in documents:
            counts = Counter(terms)
            if not counts:
                continue
            doc = self._next_doc
            self._next_doc += 1
            self._doc_terms[doc] = counts
            length = sum(counts.values())
            self._doc_length[doc] = length
            self._lengths[length] += 1
            self._total_length += length
            self._doc_key[doc] = key
            self._key_docs[key].append(doc)
            for term, tf in counts.items():
                self._postings[term][doc] = tf
        self._norms_stale = True
        self.version += 1
        self._idfs.clear()

    def remove(self, key: Hashable) -> None:
        self._norms_stale = True
        self.version += 1
        self._idfs.clear()
        for doc in self._key_docs.pop(key, ()):
            for term in self._doc_terms.pop(doc):
                postings = self._postings[term]
                del postings[doc]
                if not postings:
                    del self._postings[term]
            length = self._doc_length.pop(doc)
            self._total_length -= length
            self._lengths[length] -= 1
            if not self._lengths[length]:
                del self._lengths[length]
            del self._doc_key[doc]

    # -- facts ---------------------------------------------------------------

    def __len__(self) -> int:
        """Number of entries."""
        return len(self._key_docs)

    def __contains__(self, key: Hashable) -> bool:
        return key in self._key_docs

    @property
    def document_count(self) -> int:
        return len(self._doc_terms)

    def idf(self, term: str) -> float:
        """Okapi idf, never negative; a term the base never uses gets the highest idf."""
        cached = self._idfs.get(term)
        if cached is None:
            n = len(self._doc_terms)
            df = len(self._postings.get(term, ()))
            cached = self._idfs[term] = math.log(1.0 + (n - df + 0.5) / (df + 0.5))
        return cached

    # -- scoring -------------------------------------------------------------

    def _average(self) -> float:
        return (self._total_length / (len(self._doc_terms) or 1)) or 1.0

    def _norm(self, length: int, average: float | None = None) -> float:
        k1, b = self.params.k1, self.params.b
        return k1 * (1 - b + b * length / (average or self._average()))

    def _current_norms(self) -> dict[int, float]:
        """Length → normalisation, for the base as it is now (recomputed after a change:
        a few dozen lengths)."""
        if self._norms_stale:
            average = self._average()
            self._norms = {length: self._norm(length, average) for length in self._lengths}
            self._norms_stale = False
        return self._norms

    def document_frequency(self, term: str) -> int:
        return len(self._postings.get(term, ()))

    def score_documents(self, query: dict[str, float]) -> dict[int, float]:
        """BM25 of every document sharing a term with ``query`` (term → weight)."""
        k1 = self.params.k1
        norms = self._current_norms()
        lengths = self._doc_length
        scores: dict[int, float] = defaultdict(float)
        for term, weight in query.items():
            postings = self._postings.get(term)
            if not postings:
                continue
            factor = weight * self.idf(term) * (k1 + 1)
            for doc, tf in postings.items():
                scores[doc] += factor * tf / (tf + norms[lengths[doc]])
        return scores

    def self_score(self, terms: Counter[str], weights: dict[str, float]) -> float:
        """The score a document made of exactly ``terms`` would get for itself."""
        k1 = self.params.k1
        norm = self._norm(sum(terms.values()))
        return sum(
            weights[term] * self.idf(term) * (k1 + 1) * tf / (tf + norm)
            for term, tf in terms.items()
        )

    def document_terms(self, doc: int) -> Counter[str]:
        return self._doc_terms[doc]

    def key_of(self, doc: int) -> Hashable:
        return self._doc_key[doc]
