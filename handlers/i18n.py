"""Message catalogs: every user-facing text lives in ``handlers/locales/*.toml``.

Templates are trusted markup (Telegram HTML subset) with ``{placeholders}``;
values are escaped on substitution unless they are already :class:`Markup`.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from importlib import resources
from typing import Any

from markupsafe import Markup

SUPPORTED_LANGUAGES = ("zh", "en")
DEFAULT_LANGUAGE = "zh"


class MissingText(KeyError):
    """A key is in no catalog: a programming error, caught by the catalog tests."""


@dataclass(frozen=True, slots=True)
class Texts:
    """One language's catalog, falling back to the default language."""

    language: str
    messages: dict[str, str]
    fallback: dict[str, str]

    def t(self, key: str, **values: Any) -> Markup:
        """The message ``key`` with ``values`` escaped into it."""
        template = self.messages.get(key, self.fallback.get(key))
        if template is None:
            raise MissingText(key)
        return Markup(template).format(**values)

    def has(self, key: str) -> bool:
        return key in self.messages or key in self.fallback

    def label(self, key: str, default: str) -> str:
        """The catalog's name for a code (``settings.value_polling``), else the code."""
        return self.plain(key) if self.has(key) else default

    def plain(self, key: str, **values: Any) -> str:
        """For places that take no markup (button labels, toasts)."""
        return self.t(key, **values).striptags()


class Catalog:
    """All languages, loaded once when the app is built."""

    def __init__(self, catalogs: dict[str, dict[str, str]]) -> None:
        self._catalogs = catalogs

    @classmethod
    def load(cls) -> Catalog:
        catalogs = {}
        for language in SUPPORTED_LANGUAGES:
            raw = (
                resources.files("handlers.locales").joinpath(f"{language}.toml").read_text("utf-8")
            )
            catalogs[language] = _flatten(tomllib.loads(raw))
        return cls(catalogs)

    def keys(self, language: str) -> set[str]:
        return set(self._catalogs[language])

    def for_language(self, language: str | None) -> Texts:
        code = normalize_language(language)
        return Texts(code, self._catalogs[code], self._catalogs[DEFAULT_LANGUAGE])


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


def _flatten(tree: dict[str, Any], prefix: str = "") -> dict[str, str]:
    flat: dict[str, str] = {}
    for key, value in tree.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(_flatten(value, f"{name}."))
        else:
            flat[name] = str(value)
    return flat
