"""Telegram's HTML parse mode, checked strictly.

Telegram rejects unknown tags, unbalanced tags, named entities other than
``lt gt amp quot`` and text longer than 4,096 UTF-16 code units after
parsing. This checker is at least as strict, so what passes here passes there.
"""

from __future__ import annotations

import re

ALLOWED_TAGS = {
    "b",
    "strong",
    "i",
    "em",
    "u",
    "ins",
    "s",
    "strike",
    "del",
    "span",
    "tg-spoiler",
    "a",
    "code",
    "pre",
    "blockquote",
    "tg-emoji",
}
NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_TAG = re.compile(
    r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)((?:\s+[a-zA-Z-]+(?:=\"[^\"<>]*\"|='[^'<>]*')?)*)\s*>"
)
_ATTR = re.compile(r"([a-zA-Z-]+)(?:=(?:\"([^\"]*)\"|'([^']*)'))?")
_ENTITY = re.compile(r"&(#[0-9]{1,7}|#x[0-9a-fA-F]{1,6}|[a-zA-Z]+);")


class HtmlEntityError(ValueError):
    """What Telegram answers as "can't parse entities"."""


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _decode_entity(token: str, offset: int) -> str:
    if token.startswith("#x"):
        return chr(int(token[2:], 16))
    if token.startswith("#"):
        return chr(int(token[1:]))
    if token in NAMED_ENTITIES:
        return NAMED_ENTITIES[token]
    raise HtmlEntityError(f'Unsupported HTML entity "&{token};" at byte offset {offset}')


def _check_attributes(name: str, raw: str, offset: int) -> None:
    attributes = {m.group(1).lower(): m.group(2) or m.group(3) or "" for m in _ATTR.finditer(raw)}
    if name == "a" and not attributes.get("href"):
        raise HtmlEntityError(f'Can\'t find href attribute of the tag "a" at byte offset {offset}')
    if name == "span" and attributes.get("class") != "tg-spoiler":
        raise HtmlEntityError(f'Tag "span" must have class "tg-spoiler" at byte offset {offset}')


def validate_telegram_html(text: str) -> str:
    """The visible text of ``text``; raises :class:`HtmlEntityError` like Telegram would."""
    visible: list[str] = []
    stack: list[str] = []
    position = 0
    while position < len(text):
        char = text[position]
        offset = len(text[:position].encode("utf-8"))
        if char == "<":
            match = _TAG.match(text, position)
            if match is None:
                raise HtmlEntityError(f"Unclosed start tag at byte offset {offset}")
            closing, name, attributes = match.group(1), match.group(2).lower(), match.group(3)
            if name not in ALLOWED_TAGS:
                raise HtmlEntityError(f'Unsupported start tag "{name}" at byte offset {offset}')
            if closing:
                if not stack or stack[-1] != name:
                    raise HtmlEntityError(f"Unexpected end tag at byte offset {offset}")
                stack.pop()
            else:
                if name == "a" and "a" in stack:
                    raise HtmlEntityError(f"Nested links are not allowed at byte offset {offset}")
                _check_attributes(name, attributes, offset)
                stack.append(name)
            position = match.end()
        elif char == "&":
            match = _ENTITY.match(text, position)
            if match is None:
                raise HtmlEntityError(f"Unsupported HTML entity at byte offset {offset}")
            visible.append(_decode_entity(match.group(1), offset))
            position = match.end()
        elif char == ">":
            raise HtmlEntityError(f'Unexpected ">" at byte offset {offset}')
        else:
            visible.append(char)
            position += 1
    if stack:
        raise HtmlEntityError(f'Can\'t find end tag corresponding to start tag "{stack[-1]}"')
    return "".join(visible)
