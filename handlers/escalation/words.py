"""Whether a lexicon term stands as a word of a message, by jieba's segmentation.

Matching terms on bare characters finds 媒体 in 多媒体键, 不理 in 不理想 and 烦 in
麻烦. jieba alone is not enough either: it fuses words with their neighbours (好烦,
烦死了, 气死我了), which would lose real complaints. So a term counts where it is a
word, a word with only degree and aspect affixes around it (lexicon.AFFIXES_BEFORE,
lexicon.AFFIXES_AFTER), or a known compound that keeps its meaning (lexicon.COMPOUNDS:
骗局, 置之不理); and never inside a known harmless word (lexicon.HARMLESS).
"""

from __future__ import annotations

import bisect
import functools
import logging
import re

import jieba

from handlers.escalation import lexicon

_BEFORE = re.compile("(?:{})*".format("|".join(map(re.escape, lexicon.AFFIXES_BEFORE))))
_COMPOUNDS = frozenset(lexicon.COMPOUNDS)
_AFTER = re.compile("(?:{})*".format("|".join(map(re.escape, lexicon.AFFIXES_AFTER))))


class Words:
    """One message's word boundaries, segmented on first need: most messages contain
    no Chinese term at all, and those are never segmented."""

    def __init__(self, text: str, dictionary: tuple[str, ...], harmless: tuple[str, ...]) -> None:
        self._text = text
        self._dictionary = dictionary
        self._harmless = [word for word in harmless if word in text]
        self._bounds: list[int] | None = None

    def stands_alone(self, start: int, end: int) -> bool:
        """Whether ``text[start:end]`` is a word, or one with affixes only (好烦, 坑惨了);
        not part of another word (多媒体 is not 媒体, 不理想 is not 不理)."""
        if self._bounds is None:
            self._bounds = boundaries(segmenter(self._dictionary), self._text)
        bounds = self._bounds
        first = bounds[bisect.bisect_right(bounds, start) - 1]
        last = bounds[bisect.bisect_left(bounds, end)]
        if self._text[first:last] in _COMPOUNDS:
            return True
        # A term ending in a negation (再也不, 根本没) runs into the verb it negates.
        open_end = self._text[end - 1] in lexicon.OPEN_ENDS
        if not _BEFORE.fullmatch(self._text, first, start):
            return False
        if not (open_end or _AFTER.fullmatch(self._text, end, last)):
            return False
        return not self.harmless(start, end)

    def harmless(self, start: int, end: int) -> bool:
        """Whether ``text[start:end]`` overlaps a known harmless word or phrase (卡了 in
        金卡了, 着急 in 不着急)."""
        return any(self._overlaps(word, start, end) for word in self._harmless)

    def _overlaps(self, word: str, start: int, end: int) -> bool:
        found = self._text.find(word, max(0, start - len(word) + 1))
        return 0 <= found < end


def boundaries(tokenizer: jieba.Tokenizer, text: str) -> list[int]:
    """The offsets where jieba's words start, and the end of the text."""
    bounds = [0]
    for word in tokenizer.cut(text, HMM=False):
        bounds.append(bounds[-1] + len(word))
    return bounds


@functools.lru_cache(maxsize=4)
def segmenter(dictionary: tuple[str, ...]) -> jieba.Tokenizer:
    """A jieba instance of its own (the global one stays untouched) that knows the
    lexicon's terms, so 没人理 stays one word. Loading takes about a second and 60 MB,
    so it is made once per lexicon. Without HMM, jieba never invents words: 坑惨 is
    not fused unless its dictionary has it."""
    logging.getLogger("jieba").setLevel(logging.WARNING)
    tokenizer = jieba.Tokenizer()
    tokenizer.initialize()
    for word in dictionary:
        tokenizer.add_word(word)
    return tokenizer
