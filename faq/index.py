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
        #: Length normalisation per document, computed with ``_norms_average``;
        #: rebuilt only when the average length drifts by more than 1 %, so an
        #: edit costs the edited entry, not the whole base.
        self._norms: dict[int, float] | None = None
        self._norms_average = 0.0

    # -- changes -------------------------------------------------------------

    def add(self, key: Hashable, documents: Iterable[Iterable[str]]) -> None:
        """Index ``documents`` (term lists) under ``key``, replacing what it had."""
        self.remove(key)
        added: list[int] = []
        for terms in documents:
            counts = Counter(terms)
            if not counts:
                continue
            doc = self._next_doc
            self._next_doc += 1
            self._doc_terms[doc] = counts
            length = sum(counts.values())
            self._doc_length[doc] = length
            self._total_length += length
            self._doc_key[doc] = key
            self._key_docs[key].append(doc)
            for term, tf in counts.items():
                self._postings[term][doc] = tf
            added.append(doc)
        self._keep_norms(added)

    def remove(self, key: Hashable) -> None:
        for doc in self._key_docs.pop(key, ()):
            if self._norms is not None:
                self._norms.pop(doc, None)
            for term in self._doc_terms.pop(doc):
                postings = self._postings[term]
                del postings[doc]
                if not postings:
                    del self._postings[term]
            self._total_length -= self._doc_length.pop(doc)
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
        n = len(self._doc_terms)
        df = len(self._postings.get(term, ()))
        return math.log(1.0 + (n - df + 0.5) / (df + 0.5))

    # -- scoring -------------------------------------------------------------

    def _average(self) -> float:
        return (self._total_length / (len(self._doc_terms) or 1)) or 1.0

    def _norm(self, length: int, average: float | None = None) -> float:
        k1, b = self.params.k1, self.params.b
        return k1 * (1 - b + b * length / (average or self._average()))

    def _keep_norms(self, added: list[int]) -> None:
        if self._norms is None:
            return
        if abs(self._average() - self._norms_average) > 0.01 * self._norms_average:
            self._norms = None
            return
        for doc in added:
            self._norms[doc] = self._norm(self._doc_length[doc], self._norms_average)

    def document_frequency(self, term: str) -> int:
        return len(self._postings.get(term, ()))

    def score_documents(self, query: dict[str, float]) -> dict[int, float]:
        """BM25 of every document sharing a term with ``query`` (term → weight)."""
        k1 = self.params.k1
        norms = self._norms
        if norms is None:
            self._norms_average = average = self._average()
            norms = self._norms = {
                doc: self._norm(length, average) for doc, length in self._doc_length.items()
            }
        scores: dict[int, float] = defaultdict(float)
        for term, weight in query.items():
            postings = self._postings.get(term)
            if not postings:
                continue
            factor = weight * self.idf(term) * (k1 + 1)
            for doc, tf in postings.items():
                scores[doc] += factor * tf / (tf + norms[doc])
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
