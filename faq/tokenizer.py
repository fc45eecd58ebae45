"""Turns normalized text into index terms: jieba words plus character n-grams.

Words carry meaning (积分, 兑换); character n-grams of the same text keep a
match alive when a member mistypes a word (签道 for 签到) or jieba splits a
mixed Chinese/English phrase differently than the entry. N-gram terms are
prefixed so they never collide with words.
"""

from __future__ import annotations

import logging
import re
import sys
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

import jieba
import snowballstemmer

from faq.stopwords import STOP_WORDS

NGRAM_PREFIX = "\x01"
CHAR_PREFIX = "\x02"

#: Distinct tokens whose parts are kept (a few MB at most).
PARTS_KEPT = 100_000

_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+")
_LATIN = re.compile(r"[a-z0-9]+")
#: English contractions: "n't" is "not", and the rest ('s, 'm, 're, 've, 'll, 'd) carry
#: no topic; without this "don't" would leave the words "don" and "t".
_NOT = re.compile(r"(?<=[a-z])n['’]t\b")
_CLITIC = re.compile(r"(?<=[a-z])['’](?:s|m|re|ve|ll|d)\b")
_ENGLISH_STEMMER = snowballstemmer.stemmer("english")


@dataclass(frozen=True, slots=True)
class Terms:
    """The terms of one text, each kind weighted separately by the index."""

    words: tuple[str, ...]
    bigrams: tuple[str, ...]
    chars: tuple[str, ...]

    def __bool__(self) -> bool:
        return bool(self.words or self.bigrams or self.chars)


class Tokenizer:
    """Segments normalized text; owns its own jieba instance (no global state)."""

    def __init__(
        self, user_words: Iterable[str] = (), stop_words: Iterable[str] = STOP_WORDS
    ) -> None:
        logging.getLogger("jieba").setLevel(logging.WARNING)
        self._jieba = jieba.Tokenizer()
        self._jieba.initialize()
        self._stop = frozenset(stop_words)
        #: Tokens recur across entries and questions: their search-mode parts are kept.
        self._parts: dict[str, list[str]] = {}
        for word in user_words:
            if word.strip():
                self._jieba.add_word(word.strip().lower(), freq=None)

    def terms(self, text: str) -> Terms:
        """Terms of already normalized ``text`` (see :class:`faq.normalize.Normalizer`)."""
        words: list[str] = []
        content_runs: list[str] = []
        run = ""
        for token in self._jieba.cut(_without_contractions(text), HMM=True):
            token = token.strip()
            if not token or token in self._stop or not _has_alnum(token):
                if run:
                    content_runs.append(run)
                run = ""
                continue
            if _LATIN.fullmatch(token):
                if run:
                    content_runs.append(run)
                run = ""
                words.append(_stem(token))
                content_runs.append(token)
                continue
            run += token
            words.extend(self._search_words(token))
        if run:
            content_runs.append(run)
        bigrams: list[str] = []
        chars: list[str] = []
        for content in content_runs:
            for chunk in _CJK.findall(content):
                chars.extend(CHAR_PREFIX + ch for ch in chunk)
                bigrams.extend(NGRAM_PREFIX + chunk[i : i + 2] for i in range(len(chunk) - 1))
            for word in _LATIN.findall(content):
                if len(word) >= 4:
                    marked = f"<{word}>"
                    bigrams.extend(NGRAM_PREFIX + marked[i : i + 3] for i in range(len(marked) - 2))
        return Terms(tuple(words), tuple(bigrams), tuple(chars))

    def segment(self, text: str) -> list[str]:
        """``text`` cut into the segmenter's tokens, all of it (spaces and marks too)."""
        return list(self._jieba.cut(text, HMM=False))

    def is_word(self, text: str) -> bool:
        """Whether ``text`` is a word of the segmenter's dictionary (user words included)."""
        return bool(self._jieba.FREQ.get(text))

    def _search_words(self, token: str) -> list[str]:
        """The word plus its shorter dictionary words (jieba's search mode, per token)."""
        if len(token) <= 2:
            return [token]
        parts = self._parts.get(token)
        if parts is None:
            if len(self._parts) >= PARTS_KEPT:
                self._parts.clear()
            found = [p for p in self._jieba.cut_for_search(token, HMM=False) if p not in self._stop]
            parts = self._parts[token] = found or [token]
        return parts


def is_mark(term: str) -> bool:
    """An index term that is a Chinese character or a Latin word: the terms of a
    question counted as mentioned by an entry or not (see :func:`mentions`)."""
    return term[0] == CHAR_PREFIX or (term[0] != NGRAM_PREFIX and term.isascii())


def mentions(text: str) -> frozenset[str]:
    """Every Chinese character and Latin word of normalized ``text``, as index terms:
    what a text mentions at all, without segmenting it (answers are long)."""
    # Interned: a base's answers share a few thousand characters between them.
    found = {sys.intern(CHAR_PREFIX + char) for char in set("".join(_CJK.findall(text)))}
    latin = _LATIN.findall(_without_contractions(text))
    found.update(sys.intern(_stem(word)) for word in set(latin))
    return frozenset(found)


def _without_contractions(text: str) -> str:
    if "'" not in text and "’" not in text:
        return text
    return _CLITIC.sub("", _NOT.sub(" not", text))


def _has_alnum(token: str) -> bool:
    return any(unicodedata.category(ch)[0] in "LN" for ch in token)


@lru_cache(maxsize=PARTS_KEPT)
def _stem(word: str) -> str:
    """An English word's Snowball (Porter 2) stem, so "cancelled", "cancelling" and
    "cancellation" meet "cancel", and "bookings" meets "book"."""
    return _ENGLISH_STEMMER.stemWord(word)
