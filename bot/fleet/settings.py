"""``[redis]``: what lets several replicas run on one PostgreSQL database."""

from __future__ import annotations

from pydantic import field_validator

from handlers.config import Section


class RedisSettings(Section):
    """Unset: Shequn runs as one process, and a second one on the same database is
    refused. Set (with PostgreSQL): any number of replicas share the rate limits
    and tell each other when cached data changes."""

    #: ``redis://[:password@]host:6379/0`` (``rediss://`` for TLS).
    url: str = ""
    #: Put before every key and channel, so several deployments can share one Redis.
    prefix: str = "shequn:"

    @field_validator("url")
    @classmethod
    def _redis_url(cls, value: str) -> str:
        value = value.strip()
        if value and not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError(
                "must start with redis://, rediss:// or unix:// (example: redis://127.0.0.1:6379/0)"
            )
        return value

    @property
    def configured(self) -> bool:
        return bool(self.url)
