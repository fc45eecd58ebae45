"""A fake Telegram Bot API server that fails the way Telegram does (see ``server``)."""

from .html_check import (
    HtmlEntityError,
    ParsedHtml,
    parse_telegram_html,
    utf16_len,
    validate_telegram_html,
)
from .server import ApiError, Call, FakeBotApi, FakeBotApiThread, FloodLimits

__all__ = [
    "ApiError",
    "Call",
    "FakeBotApi",
    "FakeBotApiThread",
    "FloodLimits",
    "HtmlEntityError",
    "ParsedHtml",
    "parse_telegram_html",
    "utf16_len",
    "validate_telegram_html",
]
