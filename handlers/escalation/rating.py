"""A rating typed instead of tapped: where the stars are a menu (WeChat) or a
member simply answers the rating request, they write 5, ５, 5分, 五星 or ⭐⭐⭐⭐⭐."""

from __future__ import annotations

import re
import unicodedata

_DIGIT = re.compile(r"([1-5])\s*(?:分|星|颗星|stars?)?", re.IGNORECASE)
#: A Chinese numeral alone is too common a word (一 in 一下): it needs its unit.
_NUMERAL = re.compile(r"([一二三四五])\s*(?:分|星|颗星)")
_NUMERALS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5}
_STARS = re.compile(r"[⭐★]{1,5}")
_TRAILING = "。.!！~～ "


def typed_rating(text: str) -> int | None:
    """The score 1–5 a message is, whole; None for anything else."""
    folded = unicodedata.normalize("NFKC", text).replace("\ufe0f", "").strip().rstrip(_TRAILING)
    if found := _DIGIT.fullmatch(folded):
        return int(found.group(1))
    if found := _NUMERAL.fullmatch(folded):
        return _NUMERALS[found.group(1)]
    if _STARS.fullmatch(folded):
        return len(folded)
    return None
