"""Shared fixtures: real databases (an SQLite file and a fresh PostgreSQL
database per test), an app with a manual clock, and a fake platform."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import asyncpg
import pytest
from typer.testing import CliRunner

from bot.app import App, build_app
from bot.cli import cli
from bot.settings import Settings
from handlers.capabilities import Capabilities
from handlers.clock import ManualClock
from handlers.events import ChatRef, UserRef
from storage.database import Storage
from storage.migrate import upgrade

# Opt in to python-telegram-bot's coming timedelta ``retry_after`` (no deprecation noise).
os.environ.setdefault("PTB_TIMEDELTA", "1")

PG_ADMIN_DSN = os.environ.get("SHEQUN_TEST_PG_DSN", "postgresql://postgres@127.0.0.1:5432/postgres")
REPO_ROOT = Path(__file__).resolve().parent.parent


async def create_pg_database() -> tuple[str, str]:
    name = f"shequn_test_{uuid.uuid4().hex[:12]}"
    try:
        connection = await asyncpg.connect(PG_ADMIN_DSN, timeout=5)
    except (OSError, asyncpg.PostgresError) as error:
        pytest.fail(
            f"PostgreSQL is required for the storage tests ({PG_ADMIN_DSN}): {error}. "
            "Start it (see .ci/run) or set SHEQUN_TEST_PG_DSN."
        )
    try:
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()
    base = PG_ADMIN_DSN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
    return name, f"{base}/{name}"


async def drop_pg_database(name: str) -> None:
    connection = await asyncpg.connect(PG_ADMIN_DSN, timeout=5)
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await connection.close()


@pytest.fixture(params=["sqlite", "postgresql"])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """A fresh, empty database on each backend."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'shequn.db'}"
        return
    name, url = await create_pg_database()
    try:
        yield url
    finally:
        await drop_pg_database(name)


@asynccontextmanager
async def migrated(url: str) -> AsyncIterator[Storage]:
    store = Storage.from_url(url)
    await upgrade(store.engine)
    try:
        yield store
    finally:
        await store.close()


@pytest.fixture
async def storage(database_url: str) -> AsyncIterator[Storage]:
    """A migrated database on each backend."""
    async with migrated(database_url) as store:
        yield store


@pytest.fixture
async def sqlite_storage(tmp_path: Path) -> AsyncIterator[Storage]:
    """SQLite only, for handler tests where the backend does not matter."""
    async with migrated(f"sqlite+aiosqlite:///{tmp_path / 'shequn.db'}") as store:
        yield store


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


def make_settings(tmp_path: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {"data_dir": tmp_path}
    telegram = overrides.get("telegram")
    if not (isinstance(telegram, dict) and "staff_chat_id" in telegram):
        # The staff chat the chat harness posts staff notices in (tests.chat_harness.STAFF_CHAT).
        values["staff"] = {"chat": "testnet:-900"}
    values.update(overrides)
    return Settings(**values)


@pytest.fixture
async def app(tmp_path: Path, sqlite_storage: Storage, clock: ManualClock) -> App:
    return build_app(make_settings(tmp_path), clock=clock, storage=sqlite_storage)


class FakePlatform:
    """A :class:`PlatformAccess` test double: admins are whoever the test says."""

    def __init__(self, name: str = "testnet", capabilities: Capabilities | None = None) -> None:
        self.name = name
        self.capabilities = capabilities or Capabilities(invite_links=True)
        self.admins: set[str] = set()
        self.admin_lookups = 0

    @property
    def bot_username(self) -> str | None:
        return "shequn_bot"

    async def is_chat_admin(self, chat: ChatRef, user: UserRef) -> bool:
        self.admin_lookups += 1
        return user.id in self.admins

    def community_of(self, chat: ChatRef) -> ChatRef | None:
        return None  # members meet in groups here

    def describe(self) -> dict[str, str]:
        return {"mode": "test"}


@pytest.fixture
def platform() -> FakePlatform:
    return FakePlatform()


@pytest.fixture
def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[..., tuple[int, str]]:
    """``shequn ARGS`` in-process, on an SQLite file of its own; returns (exit code, output)."""
    for name in list(os.environ):
        if name.startswith("SHEQUN_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("SHEQUN_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()

    def invoke(*args: str) -> tuple[int, str]:
        result = runner.invoke(cli, list(args))
        return result.exit_code, result.output

    return invoke
