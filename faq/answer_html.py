"""Answers are rich text in Telegram's HTML subset; anything else is made safe.

Operators paste answers from web pages and spreadsheets: stray ``&`` and
``<``, unknown tags, unclosed ``<b>``. Telegram rejects such a message, so
every answer is sanitized with nh3 (the Rust ammonia sanitizer) to the tags
Telegram renders, with balanced nesting and escaped text. Markdown is kept as
literal text.
"""

from __future__ import annotations

import re

import nh3

TAGS = frozenset(
    {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "code", "pre", "a",
     "blockquote", "tg-spoiler"}
)  # fmt: skip
ATTRIBUTES = {"a": {"href"}, "code": {"class"}}
_BREAKS = re.compile(r"<br\s*/?>|</p>", re.IGNORECASE)
#: html5ever writes the only named entities Telegram lacks; use numeric ones.
_ENTITIES = {"&nbsp;": "&#160;"}
#: A link whose unsafe href was removed: Telegram refuses <a> without href.
_BARE_LINK = re.compile(r"<a>(.*?)</a>", re.DOTALL)


def sanitize_answer(text: str) -> str:
    """Telegram-safe HTML for ``text`` (which may be plain text or HTML)."""
    text = _BREAKS.sub("\n", text)
    clean = nh3.clean(
        text,
        tags=set(TAGS),
        attributes={tag: set(names) for tag, names in ATTRIBUTES.items()},
        url_schemes={"http", "https", "tg", "mailto"},
        link_rel=None,
    )
    clean = _BARE_LINK.sub(r"\1", clean)
    for entity, numeric in _ENTITIES.items():
        clean = clean.replace(entity, numeric)
    return clean.strip()


#: Entities that only escape text, as an operator writes it; ``&lt;`` stays, since a
#: ``<`` written back would begin a tag when the file is read again.
_TYPED = {"&gt;": ">", "&quot;": '"', "&#39;": "'", "&#x27;": "'", "&#160;": "\u00a0"}


def as_typed(answer: str) -> str:
    """A stored answer as its author would type it in a file or a spreadsheet
    ("Settings > Membership", "Q&A"), tags kept: reading it back stores the same."""
    for entity, char in _TYPED.items():
        answer = answer.replace(entity, char)
    # Last, so that an escaped entity (``&amp;lt;``) is not read as one.
    return re.sub(r"&amp;(?![a-zA-Z]+;|#\d+;|#x[0-9a-fA-F]+;)", "&", answer)
