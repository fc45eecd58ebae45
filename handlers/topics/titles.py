"""How pools and schedules read in a text: the built-in ones (``weekend``, ``qa``,
``expert``) by the catalog's names (周末话题, 工作日答疑, 专家分享), so no code
word shows in a Chinese sentence; any other by the name it was given.

Pools keep their codes (config, stored topics, ``/addtopic weekend`` work as
before); a name is only how they are shown, and a moderator who types it means
that pool.
"""

from __future__ import annotations

from collections.abc import Collection

from handlers.i18n import Texts

#: The catalog section: code → name, per language (``topic_names.weekend``).
SECTION = "topic_names"
#: Pool codes are stored at most this long.
POOL_LENGTH = 32
#: A pool's name typed in a command is looked for in at most this many words.
NAME_WORDS = 6


def title(texts: Texts, code: str) -> str:
    """The name of a pool or schedule in this language, else the code itself."""
    return texts.label(f"{SECTION}.{code}", code)


def pool_meant(texts: Texts, typed: str, pools: Collection[str]) -> str:
    """The pool a moderator names: one of ``pools`` (those there are) by its code,
    else a built-in pool by its name (周末话题 is ``weekend``), else a new code."""
    code = typed.lower()[:POOL_LENGTH]
    if code in pools:
        return code
    return _named(texts, typed) or code


def pool_and_rest(
    texts: Texts, typed: str, rest: str, pools: Collection[str], *, leave_text: bool = True
) -> tuple[str, str]:
    """The pool a moderator names and what follows it. A pool's name may have spaces
    (Weekend topics): typed so, its first word is ``typed`` and the others begin
    ``rest``, which are no part of the topic (or the schedule's name). With
    ``leave_text``, a name is read only with some text left after it."""
    words = rest.split()
    most = min(NAME_WORDS, len(words) - 1 if leave_text else len(words))
    for taken in range(most, 0, -1):  # the longest name first
        name = " ".join([typed, *words[:taken]])
        code = name.lower() if name.lower() in pools else _named(texts, name)
        if code is not None:
            after = rest.split(None, taken)
            return code, after[taken] if len(after) > taken else ""
    return pool_meant(texts, typed, pools), rest


def _named(texts: Texts, typed: str) -> str | None:
    """The code of the pool the catalog names ``typed`` (周末话题 is ``weekend``)."""
    wanted = folded(typed)
    prefix = f"{SECTION}."
    for key in (*texts.messages, *texts.fallback):
        if key.startswith(prefix) and folded(texts.plain(key)) == wanted:
            return key.removeprefix(prefix)
    return None


def folded(name: str) -> str:
    """A name or topic as compared with others: spacing and case aside."""
    return "".join(name.split()).lower()
