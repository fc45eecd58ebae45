"""Telegram's HTML parse mode, checked at least as strictly as Telegram does.

The grammar follows TDLib's ``parse_html`` (the parser behind the Bot API):
the same tag set, error wording and *byte* offsets. Where Telegram is lax
this checker is deliberately stricter, so text that passes here also passes
there, never the other way round:

* an ``&`` that does not start ``&lt; &gt; &amp; &quot;`` or a numeric
  reference ending in ``;`` is an error (Telegram silently shows it as text);
* attribute values must be quoted (Telegram also takes bare name tokens);
* ``<a>`` needs a non-empty ``href`` and links cannot nest;
* ``</>`` does not close the innermost tag.

Lengths are measured in UTF-16 code units, as Telegram counts them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

ENTITY_TYPES: dict[str, str] = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "span": "spoiler",
    "tg-spoiler": "spoiler",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}
NAMED_ENTITIES: dict[str, str] = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}

_ENTITY = re.compile(r"&(?:#([0-9]{1,8})|#x([0-9a-fA-F]{1,7})|([a-zA-Z]+));")
_SPACE = " \t\n\r\f\v"


class HtmlEntityError(ValueError):
    """What Telegram answers as ``Bad Request: can't parse entities: <message>``."""


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units: an emoji outside the BMP counts 2."""
    return len(text.encode("utf-16-le")) // 2


@dataclass
class ParsedHtml:
    """Visible text plus the MessageEntity dicts Telegram would derive from the tags."""

    text: str
    entities: list[dict[str, Any]] = field(default_factory=list)


def validate_telegram_html(text: str) -> str:
    """The visible text of ``text``; raises :class:`HtmlEntityError` like Telegram would."""
    return parse_telegram_html(text).text


def parse_telegram_html(text: str) -> ParsedHtml:
    """Parse Telegram HTML into visible text and entities (UTF-16 offsets)."""
    return _Parser(text).run()


@dataclass
class _OpenTag:
    name: str
    attributes: dict[str, str]
    offset16: int
    position: int


class _Parser:
    """One pass over the text; positions are ``str`` indexes, errors report UTF-8 bytes."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.out: list[str] = []
        self.len16 = 0
        self.stack: list[_OpenTag] = []
        self.entities: list[dict[str, Any]] = []

    # -- driver ---------------------------------------------------------------
    def run(self) -> ParsedHtml:
        text = self.text
        while self.pos < len(text):
            char = text[self.pos]
            if char == "&":
                self._emit(self._entity())
            elif char == "<" and text.startswith("</", self.pos):
                self._end_tag()
            elif char == "<":
                self._start_tag()
            else:
                self._emit(char)
                self.pos += 1
        if self.stack:
            raise HtmlEntityError(
                f'Can\'t find end tag corresponding to start tag "{self.stack[-1].name}"'
            )
        self.entities.sort(key=lambda e: (e["offset"], -e["length"]))
        return ParsedHtml("".join(self.out), self.entities)

    def _emit(self, chunk: str) -> None:
        self.out.append(chunk)
        self.len16 += utf16_len(chunk)

    def _byte_offset(self, position: int) -> int:
        return len(self.text[:position].encode("utf-8"))

    def _fail(self, message: str, position: int) -> HtmlEntityError:
        return HtmlEntityError(f"{message} at byte offset {self._byte_offset(position)}")

    def _at_end(self) -> bool:
        return self.pos >= len(self.text)

    def _skip_spaces(self) -> None:
        while not self._at_end() and self.text[self.pos] in _SPACE:
            self.pos += 1

    def _read_until(self, stops: str) -> str:
        start = self.pos
        while not self._at_end() and self.text[self.pos] not in stops:
            self.pos += 1
        return self.text[start : self.pos]

    # -- entities -------------------------------------------------------------
    def _entity(self) -> str:
        match = _ENTITY.match(self.text, self.pos)
        char = _decode_entity(match) if match else None
        if match is None or char is None:
            shown = match.group(0) if match else "&"
            raise self._fail(f'Unsupported HTML entity "{shown}"', self.pos)
        self.pos = match.end()
        return char

    # -- tags -----------------------------------------------------------------
    def _start_tag(self) -> None:
        begin = self.pos
        self.pos += 1
        name = self._read_until(_SPACE + ">").lower()
        if self._at_end():
            raise self._fail("Unclosed start tag", begin)
        if name not in ENTITY_TYPES:
            raise self._fail(f'Unsupported start tag "{name}"', begin)
        attributes = self._attributes(name, begin)
        self.pos += 1  # the ">"
        self._check_start_tag(name, attributes, begin)
        self.stack.append(_OpenTag(name, attributes, self.len16, begin))

    def _attributes(self, tag: str, begin: int) -> dict[str, str]:
        attributes: dict[str, str] = {}
        while True:
            self._skip_spaces()
            if self._at_end():
                raise self._fail("Unclosed start tag", begin)
            if self.text[self.pos] == ">":
                return attributes
            name = self._read_until(_SPACE + "=>").lower()
            if not name:
                raise self._fail(f'Empty attribute name in the tag "{tag}"', begin)
            self._skip_spaces()
            if self._at_end() or self.text[self.pos] != "=":
                if tag == "blockquote" and name == "expandable":
                    attributes[name] = ""
                    continue
                raise self._fail(
                    f'Expected equal sign in declaration of an attribute of the tag "{tag}"',
                    begin,
                )
            self.pos += 1
            self._skip_spaces()
            attributes[name] = self._attribute_value(tag, begin)

    def _attribute_value(self, tag: str, begin: int) -> str:
        if self._at_end():
            raise self._fail("Unclosed start tag", begin)
        quote = self.text[self.pos]
        if quote not in "\"'":
            raise self._fail(f'Attribute value of the tag "{tag}" must be quoted', self.pos)
        self.pos += 1
        value: list[str] = []
        while not self._at_end() and self.text[self.pos] != quote:
            if self.text[self.pos] == "&":
                value.append(self._entity())
            else:
                value.append(self.text[self.pos])
                self.pos += 1
        if self._at_end():
            raise self._fail("Unclosed start tag", begin)
        self.pos += 1
        return "".join(value)

    def _check_start_tag(self, name: str, attributes: dict[str, str], begin: int) -> None:
        if name == "a" and any(open_tag.name == "a" for open_tag in self.stack):
            raise self._fail("Nested links are not allowed", begin)
        if name == "a" and not attributes.get("href", "").strip():
            raise self._fail('Tag "a" must have a non-empty attribute "href"', begin)
        if name == "span" and attributes.get("class") != "tg-spoiler":
            raise self._fail('Tag "span" must have class "tg-spoiler"', begin)
        if name == "tg-emoji" and not attributes.get("emoji-id", "").isdigit():
            raise self._fail('Tag "tg-emoji" must have a numeric attribute "emoji-id"', begin)

    def _end_tag(self) -> None:
        begin = self.pos
        if not self.stack:
            raise self._fail("Unexpected end tag", begin)
        self.pos += 2
        name = self._read_until(_SPACE + ">").lower()
        self._skip_spaces()
        if self._at_end() or self.text[self.pos] != ">":
            raise self._fail("Unclosed end tag", begin)
        self.pos += 1
        expected = self.stack[-1].name
        if name != expected:
            raise HtmlEntityError(
                f"Unmatched end tag at byte offset {self._byte_offset(begin)}, "
                f'expected "</{expected}>", found "</{name}>"'
            )
        self._close(self.stack.pop())

    def _close(self, tag: _OpenTag) -> None:
        length = self.len16 - tag.offset16
        if tag.name == "code" and self.stack and self.stack[-1].name == "pre":
            language = tag.attributes.get("class", "")
            if language.startswith("language-") and len(language) > len("language-"):
                self.stack[-1].attributes["language"] = language.removeprefix("language-")
            return
        if length > 0:
            self.entities.append(_entity_dict(tag, length))


def _decode_entity(match: re.Match[str]) -> str | None:
    decimal, hexadecimal, name = match.groups()
    if name is not None:
        return NAMED_ENTITIES.get(name)
    code = int(decimal) if decimal is not None else int(hexadecimal, 16)
    if code == 0 or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
        return None
    return chr(code)


def _entity_dict(tag: _OpenTag, length: int) -> dict[str, Any]:
    entity: dict[str, Any] = {"type": ENTITY_TYPES[tag.name], "offset": tag.offset16}
    entity["length"] = length
    if tag.name == "a":
        entity["url"] = tag.attributes["href"]
    elif tag.name == "pre" and tag.attributes.get("language"):
        entity["language"] = tag.attributes["language"]
    elif tag.name == "blockquote" and "expandable" in tag.attributes:
        entity["type"] = "expandable_blockquote"
    elif tag.name == "tg-emoji":
        entity["custom_emoji_id"] = tag.attributes["emoji-id"]
    return entity
