"""Shequn's one HTTP server: channel callbacks (the Telegram webhook, WeChat) and
``GET /healthz``, served by uvicorn inside the bot's event loop."""
