"""Configuration: TOML file, environment overrides, one-line errors."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.settings import ConfigError, load_settings

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in list(os.environ):
        if name.startswith("SHEQUN_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


def test_defaults_need_no_configuration() -> None:
    settings = load_settings()
    assert settings.database_url == "sqlite+aiosqlite:///data/shequn.db"
    assert (
        str(settings.community.timezone) == "Asia/Shanghai" and settings.community.language == "zh"
    )
    assert settings.telegram_token is None and settings.telegram.mode == "polling"
    assert settings.telegram.base_url == "https://api.telegram.org"


def test_toml_file_then_environment_override(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "custom.toml"
    config.write_text(
        '[community]\nname = "开发者社区"\nlanguage = "en"\n'
        '[telegram]\nbase_url = "http://127.0.0.1:8081/"\nstaff_chat_id = -1001\n'
        "[telegram.rate_limit]\ngroup_per_minute = 10\n",
        "utf-8",
    )
    monkeypatch.setenv("SHEQUN_TELEGRAM__TOKEN", "123:abc")
    monkeypatch.setenv("SHEQUN_COMMUNITY__LANGUAGE", "zh")
    monkeypatch.setenv("SHEQUN_TELEGRAM__RATE_LIMIT__MAX_RETRIES", "2")
    settings = load_settings(config)
    assert settings.community.name == "开发者社区"
    assert settings.community.language == "zh"  # the environment wins
    assert settings.telegram.base_url == "http://127.0.0.1:8081"
    assert settings.telegram.staff_chat_id == -1001
    assert settings.telegram.rate_limit.group_per_minute == 10  # the file's nested value survives
    assert settings.telegram.rate_limit.max_retries == 2
    assert settings.telegram_token == "123:abc"


def test_config_found_via_environment_and_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "shequn.toml").write_text('[community]\nname = "Local"\n', "utf-8")
    assert load_settings().community.name == "Local"
    other = tmp_path / "other.toml"
    other.write_text('[community]\nname = "Other"\n', "utf-8")
    monkeypatch.setenv("SHEQUN_CONFIG", str(other))
    assert load_settings().community.name == "Other"


@pytest.mark.parametrize(
    ("env", "value", "expected"),
    [
        ("SHEQUN_COMMUNITY__TIMEZONE", "Mars/Olympus", "community.timezone: unknown time zone"),
        ("SHEQUN_COMMUNITY__LANGUAGE", "fr", "community.language"),
        ("SHEQUN_TELEGRAM__MODE", "webhook", "webhook mode needs telegram.webhook.url"),
        ("SHEQUN_TELEGRAM__BASE_URL", "ftp://x", "telegram.base_url: must start with http"),
        ("SHEQUN_ONBOARDING", "[]", "onboarding: must be a table of settings"),
        ("SHEQUN_TELEGRAM__STAFF_CHAT_ID", "staff", "telegram.staff_chat_id"),
        ("SHEQUN_COMMUNITY__MODERATORS", '["12345"]', "should look like telegram:12345"),
        ("SHEQUN_FAQ__MAX_FALSE_ANSWER_RATE", "5", "a share between 0 and 1: 5 % is 0.05"),
        ("SHEQUN_FAQ__MAX_FALSE_ANSWER_RATE", "0", "faq.max_false_answer_rate: Input should be"),
        # A list of sections: the item's key, and the one variable that sets the list.
        ("SHEQUN_TOPICS__SCHEDULES", '[{"name": "x", "cron": "0 12 31 2 *", "pool": "qa"}]',
         'topics.schedules.0.cron: "0 12 31 2 *" never fires (no such day, e.g. 31 February); '
         'e.g. "0 20 * * sat" is Saturdays at 20:00 (set in SHEQUN_TOPICS__SCHEDULES)'),
        ("SHEQUN_TOPICS__SCHEDULES", '{"name": "x"}',
         "topics.schedules: Input should be a valid tuple (set in SHEQUN_TOPICS__SCHEDULES)"),
    ],
)  # fmt: skip
def test_bad_values_name_the_key(
    monkeypatch: pytest.MonkeyPatch, env: str, value: str, expected: str
) -> None:
    monkeypatch.setenv(env, value)
    with pytest.raises(ConfigError) as error:
        load_settings()
    assert expected in str(error.value)
    assert "\n" not in str(error.value)


def test_webhook_needs_a_valid_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHEQUN_TELEGRAM__MODE", "webhook")
    monkeypatch.setenv("SHEQUN_TELEGRAM__WEBHOOK__URL", "https://bot.example.com/telegram")
    with pytest.raises(ConfigError, match="secret_token"):
        load_settings()
    monkeypatch.setenv("SHEQUN_TELEGRAM__WEBHOOK__SECRET_TOKEN", "bad secret!")
    with pytest.raises(ConfigError, match="A-Z"):
        load_settings()
    monkeypatch.setenv("SHEQUN_TELEGRAM__WEBHOOK__SECRET_TOKEN", "good_secret-1")
    assert load_settings().telegram.mode == "webhook"
    # Telegram only calls webhooks over TLS: a plain http URL would never receive a thing.
    monkeypatch.setenv("SHEQUN_TELEGRAM__WEBHOOK__URL", "http://bot.example.com/telegram")
    with pytest.raises(ConfigError, match="must be https://"):
        load_settings()


def test_unknown_key_and_broken_toml(tmp_path: Path) -> None:
    config = tmp_path / "bad.toml"
    config.write_text("[telegram]\ntokn = 'x'\n", "utf-8")
    with pytest.raises(ConfigError, match=r"unknown key 'telegram\.tokn'"):
        load_settings(config)
    # Every misspelt key at once, each with what was probably meant.
    config.write_text("[telegram]\ntokn = 'x'\n[databse]\nurl = 'x'\n", "utf-8")
    with pytest.raises(ConfigError) as several:
        load_settings(config)
    assert str(several.value) == (
        f"config error: unknown keys 'telegram.tokn' in {config} (did you mean "
        f"'telegram.token'?), 'databse' in {config} (did you mean 'database'?)"
    )
    config.write_text("[telegram\n", "utf-8")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_settings(config)
    with pytest.raises(ConfigError, match="does not exist"):
        load_settings(tmp_path / "missing.toml")


def test_cli_prints_one_line_and_exits_2(tmp_path: Path) -> None:
    env = {**os.environ, "SHEQUN_COMMUNITY__TIMEZONE": "Nowhere/Town"}
    result = subprocess.run(
        [sys.executable, "-m", "bot", "run"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "config error: community.timezone: unknown time zone 'Nowhere/Town' "
        "(example: Asia/Shanghai) (set in SHEQUN_COMMUNITY__TIMEZONE)"
    ]
    assert "Traceback" not in result.stdout + result.stderr


def test_example_config_is_valid_and_complete(monkeypatch: pytest.MonkeyPatch) -> None:
    """shequn.example.toml documents every key and loads as it is."""
    example = ROOT / "shequn.example.toml"
    settings = load_settings(example)
    text = example.read_text("utf-8")

    def keys(model: object, prefix: str = "") -> list[str]:
        from pydantic import BaseModel

        found = []
        for name, _field in type(model).model_fields.items():
            value = getattr(model, name)
            if isinstance(value, BaseModel):
                found += keys(value, f"{prefix}{name}.")
            else:
                found.append(f"{prefix}{name}")
        return found

    for key in keys(settings):
        assert key.rsplit(".", 1)[-1] in text, f"{key} is not documented in shequn.example.toml"


@pytest.mark.parametrize(
    ("env", "value", "expected"),
    [
        (
            "SHEQUN_ESCALATION__OWNERS",
            "high=@li",
            'config error: SHEQUN_ESCALATION__OWNERS must be JSON, e.g. {"high": "@li"} '
            "(got 'high=@li')",
        ),
        (
            "SHEQUN_POINTS__STREAK_BONUSES",
            "3=5, 7=20",
            'config error: SHEQUN_POINTS__STREAK_BONUSES must be JSON, e.g. {"3": 5, "7": 20} '
            "(got '3=5, 7=20')",
        ),
        (
            "SHEQUN_FAQ__SYNONYMS",
            '[["积分", "分数"]',
            "config error: SHEQUN_FAQ__SYNONYMS is not valid JSON: Expecting ',' delimiter",
        ),
    ],
)
def test_a_list_variable_that_is_not_json_names_the_variable(
    monkeypatch: pytest.MonkeyPatch, env: str, value: str, expected: str
) -> None:
    monkeypatch.setenv(env, value)
    with pytest.raises(ConfigError) as error:
        load_settings()
    assert str(error.value).startswith(expected) and "\n" not in str(error.value)


@pytest.mark.parametrize(
    ("value", "people"),
    [
        ("telegram:123", {"telegram:123"}),  # one person, as operators write it
        ("telegram:1, telegram:2", {"telegram:1", "telegram:2"}),
        ('["telegram:1", "Telegram:2"]', {"telegram:1", "telegram:2"}),
    ],
)
def test_people_lists_read_plainly_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, value: str, people: set[str]
) -> None:
    monkeypatch.setenv("SHEQUN_COMMUNITY__MODERATORS", value)
    assert load_settings().community.moderators == people


def test_a_misspelt_key_suggests_the_right_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHEQUN_TELEGRAM__TOKN", "1:x")
    with pytest.raises(ConfigError, match=r"did you mean 'telegram\.token'\?"):
        load_settings()


def test_unknown_variables_are_found_with_suggestions() -> None:
    from bot.settings import unknown_settings_variables as unknown_variables

    environ = {
        "SHEQUN_TELEGRAM_TOKEN": "1:x",  # single underscore
        "SHEQUN_TIMEZONE": "Asia/Tokyo",  # the section left out
        "SHEQUN_NONSENSE": "1",
        "SHEQUN_TELEGRAM__TOKEN": "1:x",  # known
        "SHEQUN_TELEGRAM__RATE_LIMIT__MAX_RETRIES": "2",  # known, nested
        "SHEQUN_ESCALATION__REPLIES__REFUND": "退款三天到账",  # a key of a table
        "SHEQUN_CONFIG": "shequn.toml",
        "PATH": "/bin",
    }
    assert unknown_variables(environ) == [
        "warning: SHEQUN_NONSENSE is not a Shequn setting and is ignored",
        "warning: SHEQUN_TELEGRAM_TOKEN is not a Shequn setting and is ignored "
        "(did you mean SHEQUN_TELEGRAM__TOKEN?)",
        "warning: SHEQUN_TIMEZONE is not a Shequn setting and is ignored "
        "(did you mean SHEQUN_COMMUNITY__TIMEZONE?)",
    ]


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgresql://u:p%40ss@db:5432/shequn", "postgresql+asyncpg://u:p%40ss@db:5432/shequn"),
        ("postgres://u@db/shequn", "postgresql+asyncpg://u@db/shequn"),
        ("postgresql+asyncpg://u@db/shequn", "postgresql+asyncpg://u@db/shequn"),
        ("sqlite:///data/x.db", "sqlite+aiosqlite:///data/x.db"),
        # libpq's sslmode, as managed PostgreSQL services hand it out, is asyncpg's ssl.
        (
            "postgresql://u@db/shequn?sslmode=require",
            "postgresql+asyncpg://u@db/shequn?ssl=require",
        ),
        (
            "postgres://u@db/shequn?ssl=verify-full",
            "postgresql+asyncpg://u@db/shequn?ssl=verify-full",
        ),
    ],
)
def test_common_database_urls_get_the_async_driver(url: str, expected: str) -> None:
    from storage.database import engine_url

    assert engine_url(url).render_as_string(hide_password=False) == expected


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("mysql://u@db/shequn", "Shequn works with PostgreSQL and SQLite, not 'mysql'"),
        ("postgresql+psycopg://u@db/x", "through asyncpg, not psycopg"),
        ("sqlite+pysqlite:///x.db", "through aiosqlite, not pysqlite"),
        ("db.example.com/shequn", "not a database URL"),
        ("postgresql://u@db/x?sslmode=on", "sslmode=on is none of disable, allow, prefer"),
        ("postgresql://u@db/x?application_name=bot", "parameter application_name is not"),
    ],
)
def test_unsupported_database_urls_stop_at_load(
    monkeypatch: pytest.MonkeyPatch, url: str, expected: str
) -> None:
    monkeypatch.setenv("SHEQUN_DATABASE__URL", url)
    with pytest.raises(ConfigError) as error:
        load_settings()
    assert str(error.value).startswith("config error: database.url: ")
    assert expected in str(error.value)
    assert str(error.value).endswith("(set in SHEQUN_DATABASE__URL)")


@pytest.mark.parametrize(
    ("room", "error"),
    [("wecom:staff", "needs the WeCom app"), ("wecom:desk", "wecom:staff or wecom:leads")],
)
def test_a_wecom_desk_room_needs_the_app(
    monkeypatch: pytest.MonkeyPatch, room: str, error: str
) -> None:
    monkeypatch.setenv("SHEQUN_STAFF__CHAT", room)
    with pytest.raises(ConfigError) as refused:
        load_settings(None)
    assert error in str(refused.value) and "\n" not in str(refused.value).strip()


@pytest.mark.parametrize("room", ["wechat:wkShequnKF", "wechat_oa:oAbc"])
def test_a_desk_room_cannot_be_on_wechat(monkeypatch: pytest.MonkeyPatch, room: str) -> None:
    """A 微信客服 or Official Account member is reached one to one: staff notices sent
    there would fail, one by one, with every ticket."""
    monkeypatch.setenv("SHEQUN_STAFF__LEADS_CHAT", room)
    with pytest.raises(ConfigError) as refused:
        load_settings(None)
    assert "no chat for staff" in str(refused.value) and "wecom:staff" in str(refused.value)


async def test_an_sslmode_url_reaches_postgresql() -> None:
    """The URL a managed service gives (``?sslmode=…``) connects; the server here has no
    SSL, so ``require`` is refused in one line that says what to write instead."""
    from sqlalchemy.exc import DBAPIError

    from bot.startup import _postgres_problem
    from storage.database import create_engine, engine_url
    from tests.conftest import create_pg_database, drop_pg_database

    name, url = await create_pg_database()
    plain = url.replace("postgresql+asyncpg://", "postgresql://")
    try:
        engine = create_engine(f"{plain}?sslmode=disable")
        async with engine.connect() as connection:
            assert (await connection.exec_driver_sql("select 1")).scalar() == 1
        await engine.dispose()
        engine = create_engine(f"{plain}?sslmode=require")
        with pytest.raises((DBAPIError, OSError, ConnectionError)) as refused:
            async with engine.connect():
                pass
        await engine.dispose()
        required = engine_url(f"{plain}?sslmode=require")
        problem = _postgres_problem(required, "database.url", refused.value)
        assert problem is not None
        assert "does not offer SSL; use sslmode=prefer or sslmode=disable" in problem.line()
    finally:
        await drop_pg_database(name)


def test_a_start_up_line_names_the_key_in_the_config_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """ "set shequn.toml to a free port" named the file, not what to change in it."""
    from bot.cli.base import where_set

    config = tmp_path / "shequn.toml"
    config.write_text("[http]\nport = 8080\n", "utf-8")
    monkeypatch.delenv("SHEQUN_HTTP__PORT", raising=False)
    where = where_set(config)
    assert where("http.port") == f"http.port in {config} or SHEQUN_HTTP__PORT"
    monkeypatch.setenv("SHEQUN_HTTP__PORT", "8081")  # the variable wins: it is the one to fix
    assert where("http.port") == "SHEQUN_HTTP__PORT"
