"""The baseline: a bare python-telegram-bot echo bot, as in PTB's own examples.

Run as ``python -m tests.bench.echo_bot BASE_URL TOKEN``; it echoes every text
message until SIGTERM. Same concurrency as Shequn's channel so the comparison
measures the pipeline, not the scheduling.
"""

from __future__ import annotations

import sys

from telegram import Update
from telegram.ext import ApplicationBuilder, ContextTypes, MessageHandler, filters


async def echo(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.message is not None
    await update.message.reply_text(update.message.text or "")


def main() -> None:
    base_url, token = sys.argv[1], sys.argv[2]
    app = (
        ApplicationBuilder()
        .token(token)
        .base_url(f"{base_url}/bot")
        .concurrent_updates(64)
        .job_queue(None)
        .build()
    )
    app.add_handler(MessageHandler(filters.TEXT, echo))
    app.run_polling(allowed_updates=["message"], timeout=1, close_loop=True)


if __name__ == "__main__":
    main()
