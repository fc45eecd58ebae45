"""Configuration: a TOML file overridden by ``SHEQUN_*`` environment variables.

Where the file comes from: ``--config PATH``, else ``$SHEQUN_CONFIG``, else
``shequn.toml`` in the working directory if present. Nested keys use ``__`` in
the environment (``SHEQUN_TELEGRAM__TOKEN``). ``shequn.example.toml`` documents
every key.
"""

from __future__ import annotations

import difflib
import json
import os
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from types import UnionType
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import (
    BaseModel,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    SettingsError,
)

from handlers.community import Community
from handlers.config import Section
from handlers.desk import DeskSettings
from handlers.escalation.settings import EscalationSettings
from handlers.faq.settings import FaqSettings
from handlers.onboarding.settings import OnboardingSettings
from handlers.points.settings import PointsSettings
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
    url: str = ""
    listen: str = "0.0.0.0"
    port: int = Field(8443, ge=1, le=65535)
    path: str = "telegram"
    secret_token: SecretStr | None = None


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
    onboarding: OnboardingSettings = Field(default_factory=OnboardingSettings)
    faq: FaqSettings = Field(default_factory=FaqSettings)
    points: PointsSettings = Field(default_factory=PointsSettings)
    topics: TopicsSettings = Field(default_factory=TopicsSettings)
    escalation: EscalationSettings = Field(default_factory=EscalationSettings)
    texts: TextsSettings = Field(default_factory=TextsSettings)
    sandbox: SandboxSettings = Field(default_factory=SandboxSettings)
    scheduler: SchedulerSettings = Field(default_factory=SchedulerSettings)

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
        raise ConfigError(_one_line(error, chosen)) from error
    except SettingsError as error:  # an environment variable for a list or table is not JSON
        raise ConfigError(_not_json(error, os.environ)) from error
    _check_database_url(settings, chosen)
    return settings


def _one_line(error: ValidationError, source: Path | None) -> str:
    first = error.errors()[0]
    loc = [str(part) for part in first["loc"]]
    key = ".".join(loc) or "(root)"
    message = first["msg"].removeprefix("Value error, ")
    origin = where_set(key, source)
    more = f" (+{error.error_count() - 1} more)" if error.error_count() > 1 else ""
    if first["type"] == "extra_forbidden":
        known = _model_at(loc[:-1])
        hint = _did_you_mean(loc[-1], list(known.model_fields) if known else [])
        hint = f" (did you mean '{'.'.join([*loc[:-1], hint])}'?)" if hint else ""
        return f"config error: unknown key '{key}' in {origin}{hint}{more}"
    return f"config error: {key}: {message} (set in {origin}){more}"


# -- helpers for the one-line messages above and for start-up ---------------------------

#: ``SHEQUN_`` variables Shequn reads that are not settings.
OTHER_VARIABLES = frozenset({"SHEQUN_CONFIG", "SHEQUN_TEST_PG_DSN"})


def env_name(key: str) -> str:
    """``telegram.token`` → ``SHEQUN_TELEGRAM__TOKEN``."""
    return "SHEQUN_" + "__".join(part.upper() for part in key.split("."))


def where_set(key: str, source: Path | None, environ: Mapping[str, str] | None = None) -> str:
    """Where to fix ``key``: its environment variable when set (it wins), else the
    config file (or the variable, the file being unsure), else the variable."""
    env = os.environ if environ is None else environ
    name = env_name(key)
    if any(variable.upper() == name for variable in env):
        return name
    return f"{source} or {name}" if source else name


def unknown_variables(environ: Mapping[str, str] | None = None) -> list[str]:
    """One warning per ``SHEQUN_*`` variable no setting reads (a misspelling such as
    ``SHEQUN_TELEGRAM_TOKEN`` is otherwise silently ignored), with a suggestion."""
    env = os.environ if environ is None else environ
    known, open_prefixes, model_prefixes = _variables()
    warnings = []
    for variable in sorted(env):
        name = variable.upper()
        if not name.startswith("SHEQUN_") or name in known or name in OTHER_VARIABLES:
            continue
        if name.startswith(open_prefixes):  # a key of a table, e.g. ESCALATION__REPLIES__REFUND
            continue
        if name.startswith(model_prefixes):  # inside a section: loading names the bad key
            continue
        hint = _did_you_mean(name, sorted(known | OTHER_VARIABLES)) or _same_key(name, known)
        hint = f" (did you mean {hint}?)" if hint else ""
        warnings.append(f"warning: {variable} is not a Shequn setting and is ignored{hint}")
    return warnings


def _variables() -> tuple[set[str], tuple[str, ...], tuple[str, ...]]:
    """Every variable name the settings read; prefixes under which any name is a table
    key; prefixes of the sections (models)."""
    known: set[str] = set()
    open_prefixes: list[str] = []
    model_prefixes: list[str] = []

    def walk(model: type[BaseModel], prefix: str) -> None:
        for name, info in model.model_fields.items():
            variable = f"{prefix}{name.upper()}"
            known.add(variable)
            section = _model_class(info.annotation)
            if section is not None:
                model_prefixes.append(variable + "__")
                walk(section, variable + "__")
            elif _origin_of(info.annotation) is dict:
                open_prefixes.append(variable + "__")

    walk(Settings, "SHEQUN_")
    return known, tuple(open_prefixes), tuple(model_prefixes)


def _did_you_mean(word: str, candidates: list[str]) -> str | None:
    close = difflib.get_close_matches(word, candidates, n=1, cutoff=0.75)
    return close[0] if close else None


def _same_key(name: str, known: set[str]) -> str | None:
    """``SHEQUN_TOKEN`` → ``SHEQUN_TELEGRAM__TOKEN``: the one setting with that key."""
    key = name.removeprefix("SHEQUN_").rsplit("__", 1)[-1]
    matches = [k for k in known if k.rsplit("__", 1)[-1] == key and k != "SHEQUN_" + key]
    return matches[0] if len(matches) == 1 else None


def _unwrap(annotation: Any) -> list[Any]:
    """The types an annotation allows: ``X | None`` → [X]; ``Annotated`` stripped."""
    if get_origin(annotation) is Annotated:
        return _unwrap(get_args(annotation)[0])
    if get_origin(annotation) in (Union, UnionType):
        return [t for arg in get_args(annotation) for t in _unwrap(arg) if t is not type(None)]
    return [annotation]


def _model_class(annotation: Any) -> type[BaseModel] | None:
    for candidate in _unwrap(annotation):
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            return candidate
    return None


def _origin_of(annotation: Any) -> Any:
    origins = [get_origin(t) or t for t in _unwrap(annotation)]
    return origins[0] if len(origins) == 1 else None


def _model_at(loc: list[str]) -> type[BaseModel] | None:
    """The settings model at ``loc`` (list indexes stepped over), for suggestions."""
    model: type[BaseModel] | None = Settings
    for part in loc:
        if model is None:
            return None
        if part.isdigit():
            continue
        info = model.model_fields.get(part)
        if info is None:
            return None
        model = _model_class(info.annotation)
        if model is None:  # a list of sections, e.g. onboarding.steps
            args = [a for t in _unwrap(info.annotation) for a in get_args(t)]
            model = next((m for a in args if (m := _model_class(a)) is not None), None)
    return model


def _annotation_for(variable: str) -> Any:
    """The type a ``SHEQUN_A__B`` variable sets, or None if no setting reads it."""
    parts = variable.upper().removeprefix("SHEQUN_").split("__")
    annotation: Any = Settings
    for index, part in enumerate(parts):
        model = _model_class(annotation)
        if model is None:
            if _origin_of(annotation) is dict and index == len(parts) - 1:
                return get_args(_unwrap(annotation)[0])[1]
            return None
        info = next((f for n, f in model.model_fields.items() if n.upper() == part), None)
        if info is None:
            return None
        annotation = info.annotation
    return annotation


def _expects_json(annotation: Any) -> bool:
    """Whether pydantic-settings parses this variable as JSON (lists, tables, sections)."""
    if get_origin(annotation) is Annotated and any(
        isinstance(meta, NoDecode) or meta is NoDecode for meta in get_args(annotation)[1:]
    ):
        return False
    return any(
        _model_class(t) is not None or (get_origin(t) or t) in (list, tuple, set, dict)
        for t in _unwrap(annotation)
    )


def _not_json(error: SettingsError, environ: Mapping[str, str]) -> str:
    """pydantic-settings names only the section; find the variable and show its JSON form."""
    for variable in sorted(environ):
        value = environ[variable]
        annotation = _annotation_for(variable) if variable.upper().startswith("SHEQUN_") else None
        if annotation is None or not _expects_json(annotation):
            continue
        try:
            json.loads(value)
        except ValueError as problem:
            if value.lstrip()[:1] in ("[", "{"):  # meant as JSON: say where it breaks
                return f"config error: {variable} is not valid JSON: {problem}"
            return (
                f"config error: {variable} must be JSON, e.g. {_json_example(annotation, value)}"
                f" (got {value!r})"
            )
    return f"config error: {error}: {error.__cause__} (lists and tables are written in JSON)"


def _json_example(annotation: Any, value: str) -> str:
    """The value as JSON, when it reads as a comma-separated list or ``k=v`` pairs."""
    kind = _origin_of(annotation)
    items = [item.strip() for item in value.split(",") if item.strip()]
    if kind in (list, tuple, set):
        element = [a for t in _unwrap(annotation) for a in get_args(t)][:1]
        if element and _expects_json(element[0]):  # a list of lists or of sections
            return '[{"key": "value"}]' if _model_class(element[0]) else '[["a", "b"]]'
        return json.dumps(items or ["…"], ensure_ascii=False)
    if kind is dict:
        pairs = [re.split(r"\s*[=:]\s*", item, maxsplit=1) for item in items]
        if pairs and all(len(pair) == 2 for pair in pairs):
            return json.dumps({k: _scalar(v) for k, v in pairs}, ensure_ascii=False)
        return '{"name": "value"}'
    return '{"key": "value"}'


def _scalar(text: str) -> int | float | str:
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


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
