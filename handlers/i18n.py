"""Message catalogs: every user-facing text lives in ``handlers/locales/*.toml``.

Templates are trusted markup (Telegram HTML subset) with ``{placeholders}``;
values are escaped on substitution unless they are already :class:`Markup`.

A text that says how many of something there are may be a table of CLDR
plural forms instead of one template, e.g. in ``en.toml``
``checkin_again = { one = "… {count} day …", other = "… {count} days …" }``:
``texts.t(key, count=n)`` picks the form for ``n`` in the text's language
(Babel's plural rules) and fills ``{count}`` with ``n``. Chinese has the one
form ``other``, so its texts stay plain strings. Operators change texts
without editing the package through ``[texts]`` (:mod:`handlers.texts_settings`);
each override is checked here against the built-in text.

A text may have a variant for members who reach the community one to one, with
no group (WeChat): ``KEY.one_to_one``, written ``"greeting.one_to_one" = "…"`` in
its section. Texts made for such a member (:meth:`Texts.for_one_to_one`) say the
variant wherever there is one, so handlers ask for ``start.greeting`` everywhere.
"""

from __future__ import annotations

import difflib
import re
import string
import tomllib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from functools import cache
from importlib import resources
from typing import Any
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_skeleton
from babel.lists import format_list
from markupsafe import Markup, escape

SUPPORTED_LANGUAGES = ("zh", "en")
DEFAULT_LANGUAGE = "zh"
#: CLDR's plural categories; every plural table has ``other``.
PLURAL_FORMS = ("zero", "one", "two", "few", "many", "other")
#: Sections whose keys are codes of things operators create (a topic pool and its
#: schedule, ``topic_names.reading``): an override may add a key there, to name its
#: own, as long as the key is such a code.
NAMING_SECTIONS = {"topic_names": re.compile(r"[a-z0-9_]{1,32}")}
#: The tags Telegram's HTML mode accepts (what an override may use).
TELEGRAM_TAGS = frozenset(
    {"a", "b", "blockquote", "code", "del", "em", "i", "ins", "pre", "s", "span", "strike"}
    | {"strong", "tg-emoji", "tg-spoiler", "u"}
)

#: The suffix of a text's variant for members reached one to one (no group).
ONE_TO_ONE = "one_to_one"
#: One catalog entry: a template, or a plural table (form → template).
Entry = str | Mapping[str, str]


class MissingText(KeyError):
    """A key is in no catalog: a programming error, caught by the catalog tests."""


class TextError(ValueError):
    """An operator's text that cannot work, explained in one line."""


@cache
def plural_rule(language: str) -> Callable[[float], str]:
    """The CLDR plural category of a number in ``language`` (``one``, ``other``, …)."""
    return Locale.parse(language).plural_form


def plural_forms(language: str) -> tuple[str, ...]:
    """The plural forms ``language`` distinguishes, ``other`` last."""
    tags = plural_rule(language).tags  # type: ignore[attr-defined]
    return (*(form for form in PLURAL_FORMS if form in tags), "other")


@dataclass(frozen=True, slots=True)
class Texts:
    """One language's catalog, falling back to the default language."""

    language: str
    messages: Mapping[str, Entry]
    fallback: Mapping[str, Entry]
    #: For a member reached one to one: ``KEY.one_to_one`` stands in for ``KEY``.
    one_to_one: bool = False

    def for_one_to_one(self) -> Texts:
        """These texts as a member with no group reads them (``KEY.one_to_one`` first)."""
        return replace(self, one_to_one=True)

    def t(self, key: str, count: int | None = None, **values: Any) -> Markup:
        """The message ``key`` with ``values`` escaped into it; ``count`` picks the
        plural form of a plural text and fills its ``{count}``."""
        if self.one_to_one and self.has(f"{key}.{ONE_TO_ONE}"):
            key = f"{key}.{ONE_TO_ONE}"
        entry = self.messages.get(key, self.fallback.get(key))
        if entry is None:
            raise MissingText(key)
        if count is not None:
            values["count"] = count
        return Markup(self._form(entry, count)).format(**values)

    def _form(self, entry: Entry, count: int | None) -> str:
        if isinstance(entry, str):
            return entry
        form = plural_rule(self.language)(abs(count)) if count is not None else "other"
        return entry.get(form) or entry["other"]

    def has(self, key: str) -> bool:
        return key in self.messages or key in self.fallback

    def label(self, key: str, default: str) -> str:
        """The catalog's name for a code (``settings.value_polling``), else the code."""
        return self.plain(key) if self.has(key) else default

    def plain(self, key: str, count: int | None = None, **values: Any) -> str:
        """For places that take no markup (button labels, toasts). A fragment keeps
        the spaces at its ends (``" (paused)"``, ``", "``), which tag stripping
        would drop."""
        text = self.t(key, count, **values)
        stripped = text.striptags()
        if not stripped:
            return stripped
        lead = text[: len(text) - len(text.lstrip(" "))]
        trail = text[len(text.rstrip(" ")) :]
        return f"{lead}{stripped}{trail}"

    def moment(self, at: datetime, now: datetime, zone: ZoneInfo) -> Markup:
        """``at`` as the community's clock reads it, told from ``now``: 「今天21:30」,
        「明天09:30」, 「12月7日09:30」 (today at 21:30, tomorrow at 09:30, Dec 7 at
        09:30)."""
        local, today = at.astimezone(zone), now.astimezone(zone).date()
        time = f"{local:%H:%M}"
        if local.date() == today:
            return self.t("time.today", time=time)
        if local.date() == today + timedelta(days=1):
            return self.t("time.tomorrow", time=time)
        day = format_skeleton("MMMd", local.date(), locale=self.language)
        return self.t("time.on", date=day, time=time)

    def join(self, items: Iterable[str]) -> Markup:
        """Names as a list in this language: ``@a、@b和@c``, ``@a, @b, and @c``; items
        that are markup (mentions) stay markup, plain ones are escaped."""
        escaped = [str(escape(item)) for item in items]
        return Markup(format_list(escaped, locale=self.language)) if escaped else Markup()


class Catalog:
    """All languages, loaded once when the app is built."""

    def __init__(
        self,
        catalogs: dict[str, dict[str, Entry]],
        builtin: dict[str, dict[str, Entry]] | None = None,
    ) -> None:
        self._catalogs = catalogs
        #: The package's own texts, which overrides are checked against.
        self._builtin = builtin or catalogs

    @classmethod
    def load(cls) -> Catalog:
        catalogs = {}
        for language in SUPPORTED_LANGUAGES:
            raw = (
                resources.files("handlers.locales").joinpath(f"{language}.toml").read_text("utf-8")
            )
            catalogs[language] = flatten(tomllib.loads(raw))
        return cls(catalogs)

    def keys(self, language: str) -> set[str]:
        """The language's keys; a plural table is one key."""
        return set(self._catalogs[language])

    def entry(self, language: str, key: str) -> Entry | None:
        return self._catalogs[language].get(key)

    def for_language(self, language: str | None) -> Texts:
        code = normalize_language(language)
        return Texts(code, self._catalogs[code], self._catalogs[DEFAULT_LANGUAGE])

    def for_reader(
        self, user_language: str | None, chat_language: str | None, community_language: str
    ) -> Texts:
        """What one member reads, wherever it is sent: their own platform language when
        it has a catalog, else their group's, else the community's."""
        language = supported_language(user_language) or chat_language or community_language
        return self.for_language(language)

    def placeholders(self, key: str) -> frozenset[str]:
        """Every placeholder the built-in texts of ``key`` use, in any language: what
        the code fills in, so what an override may use."""
        return frozenset(
            name
            for catalog in self._builtin.values()
            if key in catalog
            for template in _templates(catalog[key])
            for name in placeholders_of(template)
        )

    def overridden(self, language: str, texts: Mapping[str, Any]) -> Catalog:
        """This catalog with ``texts`` (key → text or plural table) replacing the
        built-in ones of ``language``; raises :class:`TextError` naming the first bad one."""
        merged = {code: dict(catalog) for code, catalog in self._catalogs.items()}
        for key, value in texts.items():
            merged[language][key] = self._checked(language, key, value)
        return Catalog(merged, self._builtin)

    def _checked(self, language: str, key: str, value: Any) -> Entry:
        known = self._catalogs[language]
        if key not in known and not _names_something(key):
            close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
            hint = f' (did you mean "{close[0]}"?)' if close else ""
            raise TextError(f'no text "{key}" in the catalog{hint}')
        entry = _entry(value)
        if entry is None:
            raise TextError(f'"{key}" must be a text, or a table of plural forms with other = "…"')
        if not isinstance(entry, str):
            forms = plural_forms(language)
            odd = next((form for form in entry if form not in forms), None)
            if odd is not None:
                raise TextError(
                    f'"{key}": "{odd}" is not a plural form in {language} '
                    f"(it has {', '.join(forms)})"
                )
        allowed = self.placeholders(key)
        for template in _templates(entry):
            try:
                used = placeholders_of(template)
            except ValueError as error:
                raise TextError(f'"{key}": {error}') from None
            extra = sorted(used - allowed)
            if extra:
                has = ", ".join(f"{{{name}}}" for name in sorted(allowed)) or "none"
                raise TextError(
                    f'"{key}": {{{extra[0]}}} is not a placeholder of this text (it has {has})'
                )
            problem = markup_problem(template) or _blank_problem(template)
            if problem:
                raise TextError(f'"{key}": {problem}')
        return entry


def _blank_problem(template: str) -> str | None:
    """An empty text would be a message Telegram refuses: the member hears nothing."""
    if _TAG.sub("", template).strip():
        return None
    return "the text is empty, and a message cannot be (leave the key out for the built-in text)"


def _names_something(key: str) -> bool:
    """Whether ``key`` names something an operator created (see NAMING_SECTIONS)."""
    section, _, code = key.partition(".")
    pattern = NAMING_SECTIONS.get(section)
    return pattern is not None and pattern.fullmatch(code) is not None


def shortened(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, with "…" where it was cut (never silently)."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def placeholders_of(template: str) -> set[str]:
    """The ``{names}`` a template uses; ValueError for braces that do not pair up or
    for anything but a plain name inside them."""
    names = set()
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError:
        raise ValueError(
            "the braces do not pair up (write placeholders as {name}, and {{ or }} "
            "for a brace itself)"
        ) from None
    for _, name, spec, conversion in parsed:
        if name is None:
            continue
        if not name.isidentifier() or spec or conversion:
            shown = name + (f"!{conversion}" if conversion else "") + (f":{spec}" if spec else "")
            raise ValueError(f"write placeholders as a plain name like {{name}}, not {{{shown}}}")
        names.add(name)
    return names


_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)\b[^<>]*>")
_ENTITY = re.compile(r"&(?:lt|gt|amp|quot|#[0-9]{1,7}|#x[0-9a-fA-F]{1,6});")


def markup_problem(template: str) -> str | None:
    """Why Telegram would refuse this markup (an unknown or unclosed tag, a bare
    ``<`` or ``&``), or None."""
    open_tags: list[str] = []
    for match in _TAG.finditer(template):
        closing, name = match.group(1), match.group(2).lower()
        if name not in TELEGRAM_TAGS:
            return f"<{name}> is not a tag Telegram accepts ({', '.join(sorted(TELEGRAM_TAGS))})"
        if not closing:
            open_tags.append(name)
        elif not open_tags:
            return f"</{name}> closes a tag that is not open"
        elif (last := open_tags.pop()) != name:
            return f"</{name}> does not close <{last}>"
    rest = _TAG.sub("", template)
    if "<" in rest or ">" in rest:
        return "write &lt; and &gt; for the characters < and > (tags are <b>…</b>)"
    if "&" in _ENTITY.sub("", rest):
        return "write &amp; for the character &"
    if open_tags:
        return f"<{open_tags[-1]}> is not closed"
    return None


def is_plural_table(value: Any) -> bool:
    return (
        isinstance(value, Mapping)
        and "other" in value
        and all(form in PLURAL_FORMS and isinstance(text, str) for form, text in value.items())
    )


def flatten(
    tree: Mapping[str, Any], prefix: str = "", known: Iterable[str] | None = None
) -> dict[str, Any]:
    """``{section: {key: text}}`` as ``{"section.key": text}``; plural tables stay
    whole. With ``known`` keys (an operator's file), a known key is kept as it is,
    whatever it holds, so a wrong value is reported for the right key."""
    keys = None if known is None else set(known)
    flat: dict[str, Any] = {}
    for key, value in tree.items():
        name = f"{prefix}{key}"
        leaf = name in keys if keys is not None else is_plural_table(value)
        if isinstance(value, Mapping) and not leaf:
            flat.update(flatten(value, f"{name}.", keys))
        else:
            flat[name] = value
    return flat


def _entry(value: Any) -> Entry | None:
    if isinstance(value, str):
        return value
    if is_plural_table(value):
        return dict(value)
    return None


def _templates(entry: Entry) -> Iterable[str]:
    return (entry,) if isinstance(entry, str) else entry.values()


def normalize_language(language: str | None) -> str:
    """Map platform language codes (``zh-hans``, ``en-US``) to a catalog."""
    if not language:
        return DEFAULT_LANGUAGE
    code = language.lower().split("-")[0].split("_")[0]
    return code if code in SUPPORTED_LANGUAGES else DEFAULT_LANGUAGE


def supported_language(language: str | None) -> str | None:
    """The catalog for a platform language code, or None when there is none."""
    if not language:
        return None
    code = language.lower().split("-")[0].split("_")[0]
    return code if code in SUPPORTED_LANGUAGES else None
