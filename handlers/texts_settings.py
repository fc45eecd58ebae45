"""``[texts]``: the operator's own wording, without editing the package.

Two ways, which combine (a single text wins over the folder)::

    [texts]
    dir = "texts"        # texts/zh.toml and/or texts/en.toml, laid out like handlers/locales

    [texts.zh]
    "onboarding.group_welcome" = "欢迎{name}加入<b>{group}</b>！"

    [texts.en]
    "points.checkin_again" = { one = "… {count} day …", other = "… {count} days …" }

Every override is checked when the app is built, against the built-in text:
the key must exist, and the text may leave placeholders out but not bring new
ones; braces must pair up and tags be ones Telegram accepts.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from pydantic import Field

from handlers.config import Section
from handlers.i18n import SUPPORTED_LANGUAGES, Catalog, TextError, flatten


class TextsSettings(Section):
    #: A folder with zh.toml and/or en.toml laid out like the built-in catalogs ("": none).
    dir: str = ""
    #: Single texts by key, e.g. {"onboarding.group_welcome" = "…"}; they win over ``dir``.
    zh: dict[str, Any] = Field(default_factory=dict)
    en: dict[str, Any] = Field(default_factory=dict)


def with_overrides(catalog: Catalog, config: TextsSettings) -> Catalog:
    """``catalog`` with the operator's texts; raises :class:`TextError` with one line
    naming where the first bad text is (``texts.zh: …``, ``texts.dir: texts/en.toml: …``)."""
    for language, tree, where in _sources(config):
        texts = flatten(tree, known=catalog.keys(language))
        try:
            catalog = catalog.overridden(language, texts)
        except TextError as error:
            raise TextError(f"{where}: {error}") from None
    return catalog


def _sources(config: TextsSettings) -> list[tuple[str, dict[str, Any], str]]:
    """(language, texts, where they come from), the folder first."""
    sources = []
    if config.dir:
        folder = Path(config.dir)
        if not folder.is_dir():
            raise TextError(f"texts.dir: there is no folder {folder}")
        for path in sorted(folder.glob("*.toml")):
            if path.stem not in SUPPORTED_LANGUAGES:
                raise TextError(
                    f"texts.dir: {path} is not a language Shequn has "
                    f"(name the files {', '.join(f'{code}.toml' for code in SUPPORTED_LANGUAGES)})"
                )
            try:
                tree = tomllib.loads(path.read_text("utf-8"))
            except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
                raise TextError(f"texts.dir: {path} is not valid TOML: {error}") from None
            sources.append((path.stem, tree, f"texts.dir: {path}"))
    for language in SUPPORTED_LANGUAGES:
        inline = getattr(config, language)
        if inline:
            sources.append((language, inline, f"texts.{language}"))
    return sources
