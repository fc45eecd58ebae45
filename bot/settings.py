"""Configuration: a TOML file overridden by ``SHEQUN_*`` environment variables.

Where the file comes from: ``--config PATH``, else ``$SHEQUN_CONFIG``, else
``shequn.toml`` in the working directory if present. Nested keys use ``__`` in
the environment (``SHEQUN_TELEGRAM__TOKEN``). ``shequn.example.toml`` documents
every key.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import (
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    SettingsError,
)

from bot.channels.wechat.settings import ONE_TO_ONE_PLATFORMS, WeChatSettings, WeComAppSettings
from bot.config_messages import env_name, not_json, one_line, unknown_variables, where_set
from bot.fleet.settings import RedisSettings
from bot.web.settings import HttpSettings
from handlers.community import Community
from handlers.config import Section
from handlers.console import ConsoleSettings
from handlers.desk import DeskSettings
from handlers.escalation.settings import EscalationSettings
from handlers.faq.settings import FaqSettings
from handlers.keywords import KeywordSettings
from handlers.onboarding.settings import OnboardingSettings
from handlers.points.settings import PointsSettings
from handlers.privacy import PrivacySettings
from handlers.texts_settings import TextsSettings
from handlers.topics.settings import TopicsSettings

DEFAULT_CONFIG_FILE = "shequn.toml"


class ConfigError(Exception):
    """A bad configuration, explained in one line that names the key."""


class DatabaseSettings(Section):
    #: Empty: an SQLite file ``shequn.db`` in ``data_dir``.
    url: str = ""
    echo: bool = False


class RateLimitSettings(Section):
    """Telegram's documented limits; lowered, never raised, in production."""

    overall_per_second: float = Field(30, gt=0)
    group_per_minute: float = Field(20, gt=0)
    #: How many times a 429 is waited out and retried before giving up.
    max_retries: int = Field(5, ge=0)


class WebhookSettings(Section):
    #: The public HTTPS address Telegram posts updates to.
    url: str = ""
    #: The local path, when a reverse proxy serves the webhook under another one;
    #: empty: the path of ``url``.
    path: str = ""
    secret_token: SecretStr | None = None
    #: Deprecated: the web server's address is ``http.host`` / ``http.port`` now.
    listen: str | None = None
    port: int | None = Field(None, ge=1, le=65535)

    @property
    def local_path(self) -> str:
        """Where the web server serves the webhook: ``path``, else ``url``'s path."""
        path = self.path.strip() or urlsplit(self.url).path
        return "/" + path.strip("/")


class TelegramSettings(Section):
    token: SecretStr | None = None
    #: For self-hosted Bot API servers; ``/bot<token>/<method>`` is appended.
    base_url: str = "https://api.telegram.org"
    mode: Literal["polling", "webhook"] = "polling"
    webhook: WebhookSettings = Field(default_factory=WebhookSettings)
    staff_chat_id: int | None = None
    #: Where missed response targets and crises go (second level); the staff chat if unset.
    leads_chat_id: int | None = None
    rate_limit: RateLimitSettings = Field(default_factory=RateLimitSettings)
    #: How long a chat's administrator list is trusted before it is fetched again.
    admin_cache_seconds: int = Field(300, ge=10)
    poll_timeout: int = Field(30, ge=0, le=50)

    @field_validator("base_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError(
                "must start with http:// or https:// (example: https://api.telegram.org)"
            )
        return value.rstrip("/")

    @model_validator(mode="after")
    def _webhook_complete(self) -> TelegramSettings:
        if self.mode == "webhook":
            if not self.webhook.url:
                raise ValueError(
                    "webhook mode needs telegram.webhook.url (the public HTTPS address)"
                )
            if not self.webhook.url.startswith("https://"):
                raise ValueError(
                    "telegram.webhook.url must be https:// (Telegram calls webhooks over "
                    "HTTPS only; put a reverse proxy with a certificate in front)"
                )
            secret = (
                self.webhook.secret_token.get_secret_value() if self.webhook.secret_token else ""
            )
            if not secret:
                raise ValueError("webhook mode needs telegram.webhook.secret_token")
            if not all(c.isalnum() or c in "_-" for c in secret) or len(secret) > 256:
                raise ValueError(
                    "telegram.webhook.secret_token may hold only A-Z, a-z, 0-9, _ and - (1-256)"
                )
        return self


class SandboxSettings(Section):
    group_title: str = "沙盒群 Sandbox group"
    #: The sandbox user you type as at first; they own the sandbox group (a moderator).
    operator: str = "operator"


class SchedulerSettings(Section):
    #: How often due work (housekeeping now; onboarding and topics later) is swept.
    sweep_seconds: int = Field(30, ge=1)
    #: How long update keys are kept for de-duplication.
    dedup_days: int = Field(7, ge=1)


class LoggingSettings(Section):
    #: ``text`` for people, ``json`` (one object per line) for a log collector.
    format: Literal["text", "json"] = "text"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="SHEQUN_",
        env_nested_delimiter="__",
        extra="forbid",
        nested_model_default_partial_update=True,
    )

    data_dir: Path = Path("data")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    community: Community = Field(default_factory=Community)
    staff: DeskSettings = Field(default_factory=DeskSettings)
    database: DatabaseSettings = Field(default_factory=DatabaseSettings)
    telegram: TelegramSettings = Field(default_factory=TelegramSettings)
    http: HttpSettings = Field(default_factory=HttpSettings)
    console: ConsoleSettings = Field(default_factory=ConsoleSettings)
    onboarding: OnboardingSettings = Field(default_factory=OnboardingSettings)
    faq: FaqSettings = Field(default_factory=FaqSettings)
    points: PointsSettings = Field(default_factory=PointsSettings)
    privacy: PrivacySettings = Field(default_factory=PrivacySettings)
    topics: TopicsSettings = Field(default_factory=TopicsSettings)
    escalation: EscalationSettings = Field(default_factory=EscalationSettings)
    texts: TextsSettings = Field(default_factory=TextsSettings)
    keywords: KeywordSettings = Field(default_factory=KeywordSettings)
    wechat: WeChatSettings = Field(default_factory=WeChatSettings)
    wecom: WeComAppSettings = Field(default_factory=WeComAppSettings)
    sandbox: SandboxSettings = Field(default_factory=SandboxSettings)
    scheduler: SchedulerSettings = Field(default_factory=SchedulerSettings)
    redis: RedisSettings = Field(default_factory=RedisSettings)
    logging: LoggingSettings = Field(default_factory=LoggingSettings)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # The TOML file arrives as init values; the environment overrides it.
        return (env_settings, init_settings)

    @model_validator(mode="after")
    def _desk_from_telegram_keys(self) -> Settings:
        """``telegram.staff_chat_id`` / ``leads_chat_id`` (the keys before ``[staff]``)
        still name the staff desk's rooms."""
        desk, telegram = self.staff, self.telegram
        update = {}
        if desk.chat is None and telegram.staff_chat_id is not None:
            update["chat"] = f"telegram:{telegram.staff_chat_id}"
        if desk.leads_chat is None and telegram.leads_chat_id is not None:
            update["leads_chat"] = f"telegram:{telegram.leads_chat_id}"
        if update:
            self.staff = DeskSettings(**{**desk.model_dump(), **update})
        return self

    @model_validator(mode="after")
    def _http_from_webhook_keys(self) -> Settings:
        """``telegram.webhook.listen`` / ``port`` (the webhook's own server before the
        shared one) still set where the web server listens, unless ``[http]`` says
        otherwise; :func:`deprecated_settings` warns about them."""
        hook, http = self.telegram.webhook, self.http
        update: dict[str, Any] = {}
        for old, new in (("listen", "host"), ("port", "port")):
            value = getattr(hook, old)
            if value is None:
                continue
            if new in http.model_fields_set and getattr(http, new) != value:
                raise ValueError(
                    f"telegram.webhook.{old} ({value}) and http.{new} ({getattr(http, new)}) "
                    f"disagree; telegram.webhook.{old} is replaced by http.{new}: remove it"
                )
            update[new] = value
        if update:
            self.http = HttpSettings(**{**http.model_dump(), **update})
        return self

    @model_validator(mode="after")
    def _wecom_rooms(self) -> Settings:
        """A desk room in WeCom is one of the app's two rooms, and needs the app; 微信客服
        and the Official Account have no chat staff could share."""
        for key, address in (("chat", self.staff.chat), ("leads_chat", self.staff.leads_chat)):
            platform, _, room = (address or "").partition(":")
            if platform in ONE_TO_ONE_PLATFORMS:
                raise ValueError(
                    f"staff.{key} = {address!r}: WeChat members are reached one to one, with "
                    "no chat for staff; put the desk on Telegram (telegram:-1001234567890) or "
                    "in WeCom (wecom:staff)"
                )
            if platform != "wecom":
                continue
            if room not in ("staff", "leads"):
                raise ValueError(
                    f"staff.{key} = {address!r}: a WeCom room is wecom:staff or wecom:leads"
                )
            if not self.wecom.configured:
                raise ValueError(
                    f"staff.{key} = {address!r} needs the WeCom app: set wecom.corp_id, "
                    "wecom.agent_id, wecom.secret, wecom.token, wecom.aes_key and wecom.staff"
                )
        return self

    @property
    def database_url(self) -> str:
        return self.database.url or f"sqlite+aiosqlite:///{self.data_dir / 'shequn.db'}"

    @property
    def telegram_token(self) -> str | None:
        token = self.telegram.token.get_secret_value() if self.telegram.token else ""
        return token or None


def config_path(explicit: Path | None, environ: dict[str, str] | None = None) -> Path | None:
    """Which file to read, or None when there is none (defaults and environment only)."""
    env = os.environ if environ is None else environ
    if explicit is not None:
        return explicit
    if env.get("SHEQUN_CONFIG"):
        return Path(env["SHEQUN_CONFIG"])
    default = Path(DEFAULT_CONFIG_FILE)
    return default if default.is_file() else None


def load_settings(path: Path | None = None, **overrides: Any) -> Settings:
    """Read the settings or raise :class:`ConfigError` with a one-line reason."""
    chosen = config_path(path)
    values: dict[str, Any] = {}
    if chosen is not None:
        try:
            values = tomllib.loads(chosen.read_text("utf-8"))
        except FileNotFoundError as error:
            raise ConfigError(f"config file {chosen} does not exist") from error
        except tomllib.TOMLDecodeError as error:
            raise ConfigError(f"config file {chosen} is not valid TOML: {error}") from error
    values.update(overrides)
    try:
        settings = Settings(**values)
    except ValidationError as error:
        raise ConfigError(one_line(error, chosen, Settings)) from error
    except SettingsError as error:  # an environment variable for a list or table is not JSON
        raise ConfigError(not_json(error, Settings, os.environ)) from error
    _check_database_url(settings, chosen)
    return settings


def _check_database_url(settings: Settings, source: Path | None) -> None:
    """An unsupported database URL stops Shequn here, with the key named."""
    if not settings.database.url:
        return
    from storage.database import UnsupportedDatabase, engine_url

    try:
        engine_url(settings.database.url)
    except UnsupportedDatabase as error:
        origin = where_set("database.url", source)
        raise ConfigError(f"config error: database.url: {error} (set in {origin})") from None


def deprecated_settings(settings: Settings) -> list[str]:
    """One warning per deprecated key in use, naming the key that replaces it."""
    hook = settings.telegram.webhook
    warnings = []
    for old, new in (("listen", "host"), ("port", "port")):
        if getattr(hook, old) is not None:
            warnings.append(
                f"warning: telegram.webhook.{old} is deprecated: write http.{new} "
                f"({env_name('http.' + new)}) instead; {getattr(settings.http, new)} is used"
            )
    return warnings


def unknown_settings_variables(environ: Mapping[str, str] | None = None) -> list[str]:
    """One warning per ``SHEQUN_*`` variable no setting reads (a typo such as
    ``SHEQUN_TELEGRAM_TOKEN`` is otherwise silently ignored)."""
    return unknown_variables(Settings, environ)


__all__ = [
    "ConfigError",
    "Settings",
    "deprecated_settings",
    "env_name",
    "load_settings",
    "where_set",
]


def console_url(settings: Settings) -> str | None:
    """Where staff open the console (``console.public_url``, else this machine's web
    server), or None when it is switched off."""
    console = settings.console
    if not console.enabled:
        return None
    if console.public_url is not None:
        return console.public_url
    host = settings.http.host
    if host in ("0.0.0.0", "::", ""):
        host = "localhost"
    elif ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{settings.http.port}"
