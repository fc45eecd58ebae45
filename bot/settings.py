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
from datetime import time
from itertools import pairwise
from pathlib import Path
from types import UnionType
from typing import Annotated, Any, Literal, Union, get_args, get_origin
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    ConfigDict,
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

DEFAULT_CONFIG_FILE = "shequn.toml"


class ConfigError(Exception):
    """A bad configuration, explained in one line that names the key."""


def _platform_ids(values: list[str]) -> list[str]:
    for value in values:
        platform, _, user_id = str(value).partition(":")
        if not platform or not user_id:
            raise ValueError(f"{value!r} should look like telegram:12345")
    return [str(v) for v in values]


class Section(BaseModel):
    """A config section; a misspelt key is an error, not silently ignored."""

    model_config = ConfigDict(extra="forbid")


class CommunitySettings(Section):
    name: str = "Shequn community"
    timezone: str = "Asia/Shanghai"
    language: Literal["zh", "en"] = "zh"
    #: Extra moderators beyond chat admins, as ``platform:user_id`` (e.g. ``telegram:12345``).
    moderators: list[str] = Field(default_factory=list)
    #: Staff members, as ``platform:user_id``; they may use staff commands anywhere.
    staff: list[str] = Field(default_factory=list)

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise ValueError(f"unknown time zone {value!r} (example: Asia/Shanghai)") from error
        return value

    _check_people = field_validator("moderators", "staff")(_platform_ids)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


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


def _duration(value: str) -> str:
    from handlers.clock import parse_duration

    try:
        parse_duration(value)
    except ValueError as error:
        raise ValueError(f"{error} (examples: 0m, 90m, 3d, 1d12h)") from None
    return value


class StepSettings(Section):
    """One onboarding step; see shequn.example.toml."""

    id: str = Field(pattern=r"^[a-z0-9_]{1,32}$")
    offset: str = "0m"
    audience: Literal["private", "group", "staff"] = "private"
    template: str = ""
    text: str | None = None
    stale_after: str = "1d"
    fallback_to_group: bool = False
    skip_if_active: bool = False
    start_button: bool = False

    _check_offset = field_validator("offset", "stale_after")(_duration)


class ContentLink(Section):
    title: str
    url: str = Field(pattern=r"^(https?|tg)://")


class OnboardingSettings(Section):
    enabled: bool = True
    #: Empty: the built-in 3-day / 7-day / 14-day flow.
    steps: list[StepSettings] = Field(default_factory=list)
    activation_days: int = Field(14, ge=1, le=90)
    activation_signals: list[Literal["message", "topic_answer", "checkin", "start_button"]] = Field(
        default_factory=lambda: ["message", "topic_answer", "checkin", "start_button"]
    )
    restart_on_rejoin: bool = False
    welcome_batch_seconds: int = Field(60, ge=0, le=3600)
    welcomers: list[str] = Field(default_factory=list)
    #: Local times; "" switches quiet hours off.
    quiet_hours: str = "22:00-08:00"
    essential_content: list[ContentLink] = Field(default_factory=list)

    _check_welcomers = field_validator("welcomers")(_platform_ids)

    @field_validator("quiet_hours")
    @classmethod
    def _quiet_hours(cls, value: str) -> str:
        if value and quiet_hours(value) is None:
            raise ValueError('use HH:MM-HH:MM, e.g. 22:00-08:00, or "" to switch quiet hours off')
        return value

    @property
    def quiet(self) -> tuple[time, time] | None:
        return quiet_hours(self.quiet_hours) if self.quiet_hours else None


def quiet_hours(value: str) -> tuple[time, time] | None:
    """``22:00-08:00`` → (22:00, 08:00); None when malformed."""
    try:
        start, end = (time.fromisoformat(part.strip()) for part in value.split("-"))
    except ValueError:
        return None
    return start, end


class FaqSettings(Section):
    enabled: bool = True
    #: Answer question-like group messages unprompted (mentions of the bot are always answered).
    group_replies: bool = True
    #: At least this long between unprompted answers in one group.
    cooldown_seconds: int = Field(60, ge=0)
    #: Confidence (0-1) needed to answer; below it the bot stays quiet in groups.
    answer_threshold: float = Field(0.38, ge=0, le=1)
    #: Between this and answer_threshold, private chats get "did you mean…" buttons.
    suggest_threshold: float = Field(0.25, ge=0, le=1)
    #: /ask below the threshold: tell staff ("tell_staff") or give the best guess ("best_match").
    ask_fallback: Literal["tell_staff", "best_match"] = "tell_staff"
    log_misses: bool = True
    #: Extra synonym groups, first word canonical: [["积分", "分数"], ["app", "客户端"]].
    synonyms: list[list[str]] = Field(default_factory=list)
    #: Replace the built-in synonym groups instead of adding to them.
    replace_default_synonyms: bool = False
    #: The community's own words, kept whole by the segmenter (product names, slang).
    user_words: list[str] = Field(default_factory=list)
    stop_words: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _thresholds(self) -> FaqSettings:
        if self.suggest_threshold > self.answer_threshold:
            raise ValueError("suggest_threshold must not be above answer_threshold")
        return self


class LevelSettings(Section):
    id: str = Field(pattern=r"^[a-z0-9_]{1,32}$")
    name: str = ""
    name_en: str = ""
    #: Points earned (lifetime) needed for this level.
    at: int = Field(ge=0)


class BadgeSettings(Section):
    id: str = Field(pattern=r"^[a-z0-9_]{1,32}$")
    name: str = ""
    name_en: str = ""
    #: messages, checkins, best_streak, helpful, topics, invites, early; omit for a manual badge.
    stat: (
        Literal["messages", "checkins", "best_streak", "helpful", "topics", "invites", "early"]
        | None
    ) = None
    at_least: int = Field(1, ge=1)


class RewardSettings(Section):
    id: str = Field(pattern=r"^[a-z0-9_]{1,32}$")
    name: str = ""
    name_en: str = ""
    cost: int = Field(ge=1)
    stock: int = Field(ge=0)


class PointsSettings(Section):
    enabled: bool = True
    message_points: int = Field(1, ge=0)
    message_cooldown_seconds: int = Field(60, ge=0)
    message_daily_cap: int = Field(20, ge=0)
    message_min_length: int = Field(5, ge=0)
    checkin_points: int = Field(5, ge=0)
    #: Streak day → bonus points, e.g. {"3" = 5, "7" = 20, "30" = 100}.
    streak_bonuses: dict[int, int] = Field(default_factory=lambda: {3: 5, 7: 20, 30: 100})
    helpful_points: int = Field(10, ge=0)
    #: This many people (not the author) reacting to a rewarded message earn its author
    #: helpful_points too; 0 switches reactions off.
    reactions_needed: int = Field(3, ge=0)
    topic_points: int = Field(5, ge=0)
    onboarding_points: int = Field(10, ge=0)
    #: An inviter earns invite_points once a friend who joined by their /invite link stayed.
    invite_points: int = Field(20, ge=0)
    invite_stay_days: int = Field(3, ge=0)
    early_days: int = Field(30, ge=0)
    max_manual_amount: int = Field(500, ge=1)
    moderator_daily_limit: int = Field(1000, ge=0)
    allow_self_grant: bool = False
    #: Empty: the built-in 新成员 / 活跃成员 / 核心成员 / 社区之星 at 0 / 100 / 500 / 2000.
    levels: list[LevelSettings] = Field(default_factory=list)
    #: Empty: the built-in badges.
    badges: list[BadgeSettings] = Field(default_factory=list)
    rewards: list[RewardSettings] = Field(default_factory=list)

    @field_validator("levels")
    @classmethod
    def _levels_ascend(cls, value: list[LevelSettings]) -> list[LevelSettings]:
        if value and (value[0].at != 0 or any(a.at >= b.at for a, b in pairwise(value))):
            raise ValueError("levels must start at 0 and rise strictly")
        return value


class ScheduleSettings(Section):
    name: str = Field(pattern=r"^[a-z0-9_]{1,32}$")
    #: Five-field cron in the community's timezone: minute hour day month weekday.
    cron: str
    pool: str = Field(pattern=r"^[a-z0-9_]{1,32}$")

    @field_validator("cron")
    @classmethod
    def _cron(cls, value: str) -> str:
        from apscheduler.triggers.cron import CronTrigger

        try:
            CronTrigger.from_crontab(value)
        except ValueError as error:
            raise ValueError(f'{error}; e.g. "0 20 * * sat" is Saturdays at 20:00') from None
        return value


class TopicsSettings(Section):
    enabled: bool = True
    #: Empty: 周末话题 Sat 20:00 (pool weekend), 工作日答疑 Mon-Fri 12:00 (qa), and the
    #: first Monday's expert session at 19:00 (expert), in every group.
    schedules: list[ScheduleSettings] = Field(default_factory=list)
    #: Messages within this many minutes of a posted topic count as taking part.
    window_minutes: int = Field(180, ge=1)
    #: A slot missed while the bot was down is posted at start only within this many minutes.
    grace_minutes: int = Field(60, ge=0)
    #: Festivals replace the day's first topic; "" uses the built-in Chinese calendar.
    holidays: bool = True
    holidays_file: str = ""
    #: When a topic's window closes, thank the participants by name.
    summary: bool = True


class DetectorSettings(Section):
    """The complaint detector's thresholds and lexicon (added to the built-in one)."""

    #: Points a message needs to be a complaint, a serious one, and (from crisis terms) a crisis.
    complaint_threshold: float = Field(2.0, gt=0)
    high_threshold: float = Field(5.5, gt=0)
    crisis_threshold: float = Field(4.0, gt=0)
    #: A calm question's points are scaled by this ("退款几天到账？" is an inquiry).
    question_factor: float = Field(0.7, ge=0, le=1)
    #: Extra or re-weighted terms, e.g. {"割韭菜" = 3.0}; a weight of 0 removes a built-in term.
    complaint_terms: dict[str, float] = Field(default_factory=dict)
    crisis_terms: dict[str, float] = Field(default_factory=dict)
    positive_terms: dict[str, float] = Field(default_factory=dict)
    #: Extra words that cancel a term right after them ("不是要投诉").
    negations: list[str] = Field(default_factory=list)
    #: Extra signs of harm that make a complaint serious (重大): money, several people.
    harm_terms: list[str] = Field(default_factory=list)
    #: How far back a member's repeated complaints, and other members' complaints on
    #: the same subject, raise the grade.
    window_minutes: int = Field(30, ge=1)

    @model_validator(mode="after")
    def _ordered(self) -> DetectorSettings:
        if self.high_threshold < self.complaint_threshold:
            raise ValueError("high_threshold must not be below complaint_threshold")
        return self


class EscalationSettings(Section):
    #: First-response targets in minutes, by severity (the playbook: within 2 hours).
    crisis_minutes: int = Field(15, ge=1)
    high_minutes: int = Field(60, ge=1)
    low_minutes: int = Field(120, ge=1)
    #: Staff hours in community time (HH:MM-HH:MM); "" means around the clock.
    staff_hours: str = "09:00-21:00"
    #: Open tickets for complaints spotted in group messages, not only /complain.
    auto_detect: bool = True
    #: Named when a target is missed or a crisis comes in, e.g. ["telegram:123456789"].
    leads: list[str] = Field(default_factory=list)
    #: Owners per tier below crisis, e.g. {high = ["@li_ops"]}: named when such a ticket opens.
    owners: dict[Literal["low", "high"], list[str]] = Field(default_factory=dict)
    #: Standard wording (口径) for answers: staff write ":refund" to send the "refund" text.
    replies: dict[str, str] = Field(default_factory=dict)
    detector: DetectorSettings = Field(default_factory=DetectorSettings)

    @field_validator("staff_hours")
    @classmethod
    def _staff_hours(cls, value: str) -> str:
        if value and quiet_hours(value) is None:
            raise ValueError('use HH:MM-HH:MM, e.g. 09:00-21:00, or "" for around the clock')
        return value


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
    community: CommunitySettings = Field(default_factory=CommunitySettings)
    database: DatabaseSettings = Field(default_factory=DatabaseSettings)
    telegram: TelegramSettings = Field(default_factory=TelegramSettings)
    onboarding: OnboardingSettings = Field(default_factory=OnboardingSettings)
    faq: FaqSettings = Field(default_factory=FaqSettings)
    points: PointsSettings = Field(default_factory=PointsSettings)
    topics: TopicsSettings = Field(default_factory=TopicsSettings)
    escalation: EscalationSettings = Field(default_factory=EscalationSettings)
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
