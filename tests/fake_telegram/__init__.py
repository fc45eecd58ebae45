"""A fake Telegram Bot API server that fails the way Telegram does."""

from tests.fake_telegram.html_check import HtmlEntityError, utf16_len, validate_telegram_html
from tests.fake_telegram.server import FakeBotApi, FakeBotApiThread

__all__ = [
    "FakeBotApi",
    "FakeBotApiThread",
    "HtmlEntityError",
    "utf16_len",
    "validate_telegram_html",
]
