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


def title(texts: Texts, code: str) -> str:
    """The name of a pool or schedule in this language, else the code itself."""
    return texts.label(f"{SECTION}.{code}", code)


def pool_meant(texts: Texts, typed: str, pools: Collection[str]) -> str:
    """The pool a moderator names: one of ``pools`` (those there are) by its code,
    else a built-in pool by its name (周末话题 is ``weekend``), else a new code."""
    code = typed.lower()[:POOL_LENGTH]
    if code in pools:
        return code
    wanted = folded(typed)
    prefix = f"{SECTION}."
    for key in (*texts.messages, *texts.fallback):
        if key.startswith(prefix) and folded(texts.plain(key)) == wanted:
            return key.removeprefix(prefix)
    return code


def folded(name: str) -> str:
    """A name or topic as compared with others: spacing and case aside."""
    return "".join(name.split()).lower()
