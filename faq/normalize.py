"""Text normalization shared by indexing and querying, so both sides agree.

Full-width forms, letter case and Traditional characters are folded (a member
typing 積分 finds the 积分 entry), links and @mentions are dropped, and
configured synonyms are rewritten to their canonical word before tokenizing.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping

import opencc

#: Matching looks at the start of a message only: a question is short, and a
#: 4,096-character paste must cost no more than a normal message.
MAX_MATCH_CHARS = 200

_NOISE = re.compile(r"https?://\S+|www\.\S+|@\w+|<[^>]{0,80}>", re.IGNORECASE)
_SPACES = re.compile(r"\s+")


class Normalizer:
    """Folds text to one canonical form (NFKC, lower case, Simplified Chinese)."""

    def __init__(self, synonyms: Iterable[Iterable[str]] = ()) -> None:
        self._t2s = opencc.OpenCC("tw2sp")
        self._synonyms = _synonym_pattern(self._fold_groups(synonyms))

    def _fold_groups(self, groups: Iterable[Iterable[str]]) -> dict[str, str]:
        mapping: dict[str, str] = {}
        for group in groups:
            words = [self._fold(word) for word in group if word.strip()]
            # The canonical word maps to itself so "课程" is not read as "课" + "程".
            for word in words:
                mapping.setdefault(word, words[0])
        return mapping

    def _fold(self, text: str) -> str:
        return self._t2s.convert(unicodedata.normalize("NFKC", text).lower()).strip()

    def __call__(self, text: str, limit: int = MAX_MATCH_CHARS) -> str:
        """``text`` folded, its first ``limit`` characters (an answer is read whole)."""
        text = _NOISE.sub(" ", text[: limit * 2])
        text = _SPACES.sub(" ", self._fold(text))[:limit]
        if self._synonyms is not None:
            pattern, mapping = self._synonyms
            text = pattern.sub(lambda m: mapping[m.group(0)], text)
        return text


def _synonym_pattern(
    mapping: Mapping[str, str],
) -> tuple[re.Pattern[str], Mapping[str, str]] | None:
    if not mapping:
        return None
    # Longest first, so "积分卡" is rewritten before "积分"; Latin words only whole.
    words = sorted(mapping, key=len, reverse=True)
    alternatives = (
        rf"(?<![a-z0-9]){re.escape(word)}(?![a-z0-9])" if word.isascii() else re.escape(word)
        for word in words
    )
    # A position whose character starts no synonym is passed over at once instead of
    # trying every alternative there: answers are read whole, and this was most of it.
    starts = "".join(sorted({re.escape(word[0]) for word in words}))
    return re.compile(f"(?=[{starts}])(?:{'|'.join(alternatives)})"), mapping
