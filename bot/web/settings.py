"""``[http]``: where the web server listens."""

from __future__ import annotations

from pydantic import Field, field_validator

from handlers.config import Section


class HttpSettings(Section):
    """The web server that takes channel callbacks (the Telegram webhook, WeChat) and
    answers ``GET /healthz``; it starts only when a channel needs callbacks."""

    #: The address to listen on: 127.0.0.1 behind a reverse proxy on the same host,
    #: 0.0.0.0 for every interface (in a container).
    host: str = "127.0.0.1"
    port: int = Field(8080, ge=1, le=65535)

    @field_validator("host")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise ValueError("must be an address to listen on (example: 127.0.0.1 or 0.0.0.0)")
        return value
