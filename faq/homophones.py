"""Reads a mistyped word as the base's word that sounds the same.

Members type Chinese by pinyin, so their commonest slip is a homophone the input
method offered first (报铭 for 报名, 发漂 for 发票, 进裙 for 进群) or the pinyin
itself (yanzhengma, mianfei). Character n-grams keep such a message alive, but
only weakly: the mistyped word counts as something the base never mentions. A
stretch of a message that is neither one of the base's words nor a dictionary
word, sounds like a base word (each character by its commonest reading, tones
aside), shares a character with it and differs only where the segmenter left
characters on their own, is read as that word before matching. The base's own
words are the only targets, so a correction can only move a message towards
what the base says.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Hashable, Iterable
from functools import cache, lru_cache
from typing import Protocol

from pypinyin.pinyin_dict import pinyin_dict

#: Word lengths looked at, longest first (三字词 before 二字词).
LENGTHS = (4, 3, 2)
#: Latin pinyin read as a word: at least this many letters and syllables.
PINYIN_LETTERS = 4
PINYIN_SYLLABLES = (2, 4)

_CJK = re.compile(r"[\u3400-\u9fff]+")
_LATIN = re.compile(r"(?<![a-z0-9])[a-z]+(?![a-z0-9])")
_U_UMLAUT = str.maketrans(dict.fromkeys("üǖǘǚǜ", "v"))

Sound = tuple[str, ...]


class Lexicon(Protocol):
    """The segmenter's view of Chinese: its dictionary, and how it cuts a text."""

    def is_word(self, text: str) -> bool: ...

    def segment(self, text: str) -> Iterable[str]: ...


@cache
def readings(char: str) -> tuple[str, ...]:
    """The toneless pinyin readings of a character, commonest first (none for a
    non-Chinese one)."""
    listed = pinyin_dict.get(ord(char))
    if not listed:
        return ()
    found: list[str] = []
    for reading in listed.split(","):
        reading = reading.translate(_U_UMLAUT)  # typed as v: lv, nv
        bare = "".join(
            c for c in unicodedata.normalize("NFD", reading) if not unicodedata.combining(c)
        )
        if bare.isascii() and bare.isalpha() and bare not in found:
            found.append(bare)
    return tuple(found)


@lru_cache(maxsize=100_000)
def sound(word: str) -> Sound | None:
    """How ``word`` is read, each character by its commonest reading: rare readings
    (登 as dé) would make words sound alike that nobody confuses."""
    found = tuple(readings(char)[:1] for char in word)
    return tuple(first for (first,) in found) if all(found) else None


class Homophones:
    """The base's words by sound, kept as entries come and go."""

    def __init__(self, lexicon: Lexicon) -> None:
        self._lexicon = lexicon
        #: Each entry's words that a slip could be read as.
        self._of: dict[Hashable, tuple[str, ...]] = {}
        #: How many entries say each word.
        self._counts: Counter[str] = Counter()
        self._by_sound: dict[Sound, set[str]] = {}
        #: How many words' sounds start with each pair of syllables: most positions
        #: of a message start no base word's sound and are passed over at once.
        self._starts: Counter[Sound] = Counter()

    def add(self, key: Hashable, words: Iterable[str]) -> None:
        """Hear entry ``key``'s words (instead of those it had)."""
        self.remove(key)
        heard = {w: said for w in words if (said := _sound_of_candidate(w)) is not None}
        self._of[key] = tuple(heard)
        for word, said in heard.items():
            self._counts[word] += 1
            if self._counts[word] == 1:
                self._by_sound.setdefault(said, set()).add(word)
                self._starts[said[:2]] += 1

    def remove(self, key: Hashable) -> None:
        """Forget entry ``key``'s words (those no other entry says)."""
        for word in self._of.pop(key, ()):
            self._counts[word] -= 1
            if self._counts[word]:
                continue
            del self._counts[word]
            said = sound(word)
            assert said is not None
            held = self._by_sound[said]
            held.discard(word)
            if not held:
                del self._by_sound[said]
            self._starts[said[:2]] -= 1
            if not self._starts[said[:2]]:
                del self._starts[said[:2]]

    def correct(self, text: str) -> str:
        """``text`` (normalized) with each mistyped word read as the base's word."""
        if not self._counts:
            return text
        loose = _Loose(self._lexicon, text)
        text = _CJK.sub(lambda run: self._correct_run(run.group(0), loose, run.start()), text)
        return _LATIN.sub(lambda latin: self._from_pinyin(latin.group(0)), text)

    def _correct_run(self, run: str, loose: _Loose, offset: int) -> str:
        out: list[str] = []
        i = 0
        while i < len(run):
            replaced = None
            head = sound(run[i : i + 2])
            for length in LENGTHS if head in self._starts else ():
                window = run[i : i + length]
                if len(window) < length:
                    continue
                if window in self._counts or self._lexicon.is_word(window):
                    break  # a real word here: nothing to mend at this position
                replaced = self._sounding_like(window, loose, offset + i)
                if replaced is not None:
                    break
            if replaced is None:
                out.append(run[i])
                i += 1
            else:
                out.append(replaced)
                i += len(replaced)
        return "".join(out)

    def _sounding_like(self, window: str, loose: _Loose, at: int) -> str | None:
        """The base word that sounds like ``window``, shares a character with it and
        differs only where the message's characters stand alone."""
        best = None
        for word in self._by_sound.get(sound(window) or (), ()):
            differs = [a != b for a, b in zip(word, window, strict=True)]
            if all(differs) or not loose.allows(at, differs):
                continue
            rank = (differs.count(False), self._counts[word], word)
            if best is None or rank > best:
                best = rank
        return best[2] if best is not None else None

    def _from_pinyin(self, latin: str) -> str:
        """A Latin word that is the pinyin of a base word, as that word."""
        if len(latin) < PINYIN_LETTERS or latin in self._counts:
            return latin
        for split in _splits(latin, syllables()):
            if PINYIN_SYLLABLES[0] <= len(split) <= PINYIN_SYLLABLES[1]:
                words = self._by_sound.get(tuple(split))
                if words:
                    return max(words, key=lambda word: (self._counts[word], word))
        return latin


@cache
def syllables() -> frozenset[str]:
    """Every toneless pinyin syllable."""
    return frozenset(reading for code in pinyin_dict for reading in readings(chr(code)))


def _splits(latin: str, known: frozenset[str], limit: int = 6) -> list[list[str]]:
    """Ways to read ``latin`` as pinyin syllables, fewest syllables first."""
    found: list[list[str]] = []

    def walk(start: int, taken: list[str]) -> None:
        if len(found) >= limit or len(taken) > PINYIN_SYLLABLES[1]:
            return
        if start == len(latin):
            found.append(list(taken))
            return
        for end in range(min(len(latin), start + 6), start, -1):
            piece = latin[start:end]
            if piece in known:
                taken.append(piece)
                walk(end, taken)
                taken.pop()

    walk(0, [])
    return sorted(found, key=len)


class _Loose:
    """Which characters of a message the segmenter left on their own: a slip makes a
    character that forms no word with its neighbours, while one inside a word (时 in
    同时用) is what the member meant. Cut only when a window sounds like a base word."""

    def __init__(self, lexicon: Lexicon, text: str) -> None:
        self._lexicon = lexicon
        self._text = text
        self._alone: list[bool] | None = None

    def allows(self, at: int, differs: list[bool]) -> bool:
        """Whether every character that differs (from ``at`` on) stands alone."""
        if self._alone is None:
            self._alone = []
            for token in self._lexicon.segment(self._text):
                self._alone.extend([len(token) == 1] * len(token))
        return all(self._alone[at + n] for n, differ in enumerate(differs) if differ)


def _sound_of_candidate(word: str) -> Sound | None:
    """A base word's sound, if it is one a slip could be read as."""
    if len(word) not in LENGTHS or _CJK.fullmatch(word) is None:
        return None
    return sound(word)
