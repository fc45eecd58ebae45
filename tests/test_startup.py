"""Start-up failures a user can cause, on a real ``python -m bot run`` process: one
line naming the fix and an exit code, never a traceback; outages at start are
retried (and said so), outages while running cost one log line each."""

from __future__ import annotations

import asyncio
import os
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import make_url

from bot.fleet.shared import ping
from bot.startup import StartupError, using_redis
from storage.migrate import head_revision
from tests.conftest import PG_ADMIN_DSN, create_pg_database, drop_pg_database
from tests.fake_telegram import FakeBotApiThread
from tests.test_telegram_e2e import GROUP, MOD, BotProcess, free_port, say

PG_BASE = PG_ADMIN_DSN.rsplit("/", 1)[0]  # postgresql://user@host:port, no +asyncpg
PG = make_url(PG_ADMIN_DSN)


def shequn_run(tmp_path: Path, timeout: float = 60, **env: str) -> subprocess.CompletedProcess:
    """``python -m bot run`` without a terminal (stdin is /dev/null), as under systemd."""
    environment = {k: v for k, v in os.environ.items() if not k.upper().startswith("SHEQUN_")}
    environment.update({"SHEQUN_DATA_DIR": str(tmp_path / "data"), **env})
    return subprocess.run(
        [sys.executable, "-m", "bot", "run"],
        cwd=tmp_path,
        env=environment,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def the_line(result: subprocess.CompletedProcess) -> str:
    """The single line on stderr (and no traceback anywhere)."""
    assert "Traceback" not in result.stdout + result.stderr, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


#: A token so that ``run`` goes on to the database; Telegram is never reached.
TELEGRAM = {"SHEQUN_TELEGRAM__TOKEN": "1:x", "SHEQUN_TELEGRAM__BASE_URL": "http://127.0.0.1:9"}


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        (
            "missing database",
            'database "{db}" does not exist on {host}:{port}; create it: createdb -h {host} '
            "-p {port} -U {user} {db} (or fix the name in SHEQUN_DATABASE__URL)",
        ),
        ("unknown role", "refused user 'nobody_{tag}'"),
        ("mysql", "config error: database.url: Shequn works with PostgreSQL and SQLite, not"),
        ("psycopg2", "Shequn talks to postgresql through asyncpg, not psycopg2"),
        (
            "sqlite under a file",
            "{tmp}/a-file is a file, not a directory; point SHEQUN_DATABASE__URL at a file",
        ),
        ("sqlite file is a directory", "cannot open the SQLite database {tmp}: it is a directory"),
        ("data dir under a file", "cannot create the data directory {tmp}/a-file/data:"),
        ("list not json", 'SHEQUN_FAQ__SYNONYMS must be JSON, e.g. [["a", "b"]]'),
    ],
)
def test_a_bad_configuration_is_one_line_and_exit_code_2(
    tmp_path: Path, case: str, expected: str
) -> None:
    (tmp_path / "a-file").write_text("not a directory", "utf-8")
    tag = uuid.uuid4().hex[:8]
    db = f"shequn_missing_{tag}"
    host = f"{PG.host}:{PG.port or 5432}"
    env = {
        "missing database": {"SHEQUN_DATABASE__URL": f"{PG_BASE}/{db}"},  # no +asyncpg: accepted
        "unknown role": {"SHEQUN_DATABASE__URL": f"postgres://nobody_{tag}@{host}/postgres"},
        "mysql": {"SHEQUN_DATABASE__URL": "mysql://shequn@127.0.0.1/shequn"},
        "psycopg2": {"SHEQUN_DATABASE__URL": f"postgresql+psycopg2://x@{host}/x"},
        "sqlite under a file": {
            "SHEQUN_DATABASE__URL": f"sqlite+aiosqlite:///{tmp_path}/a-file/data/shequn.db"
        },
        "sqlite file is a directory": {"SHEQUN_DATABASE__URL": f"sqlite:///{tmp_path}"},
        "data dir under a file": {"SHEQUN_DATA_DIR": str(tmp_path / "a-file" / "data")},
        "list not json": {"SHEQUN_FAQ__SYNONYMS": "积分,分数"},
    }[case]
    result = shequn_run(tmp_path, **TELEGRAM, **env)
    assert result.returncode == 2, result.stderr
    line = the_line(result)
    expected = expected.format(
        db=db, tag=tag, tmp=tmp_path, host=PG.host, port=PG.port or 5432, user=PG.username
    )
    assert expected in line, line


def test_an_unreachable_database_is_retried_then_one_line(tmp_path: Path) -> None:
    port = free_port()
    started = time.monotonic()
    url = f"postgresql://postgres@127.0.0.1:{port}/shequn"
    result = shequn_run(tmp_path, **TELEGRAM, SHEQUN_DATABASE__URL=url)
    assert result.returncode == 1, result.stderr
    lines = result.stderr.strip().splitlines()
    retries = [line.split("WARNING bot.startup: ")[-1] for line in lines if "retrying" in line]
    assert retries == [
        f"cannot reach the database server at 127.0.0.1:{port} (connection refused); "
        f"retrying in {seconds} s"
        for seconds in (1, 2, 4, 8)
    ], lines
    assert "Traceback" not in result.stderr
    assert lines[-1] == (
        f"cannot reach the database server at 127.0.0.1:{port} (connection refused); "
        "start PostgreSQL, or fix the host and port in SHEQUN_DATABASE__URL"
    )
    assert time.monotonic() - started >= 15  # 1 + 2 + 4 + 8 seconds of patience


def test_a_database_from_a_newer_version_is_one_line(tmp_path: Path) -> None:
    """An older image started on a schema a newer one migrated (a rollback, an old
    replica restarting mid-upgrade): one line saying so, not Alembic's traceback."""
    (tmp_path / "data").mkdir()
    with sqlite3.connect(tmp_path / "data" / "shequn.db") as database:
        database.execute("CREATE TABLE alembic_version (version_num VARCHAR(32) PRIMARY KEY)")
        database.execute("INSERT INTO alembic_version VALUES ('9999')")
    expected = (
        "the database's schema is at 9999, from a newer version of Shequn (this one knows "
        f"up to {head_revision()}): run that version or a newer one, or restore the backup "
        "taken before the upgrade"
    )
    result = shequn_run(tmp_path, **TELEGRAM)
    assert result.returncode == 2 and the_line(result) == expected
    upgrade = subprocess.run(
        [sys.executable, "-m", "bot", "db", "upgrade"],
        cwd=tmp_path,
        env={
            **{k: v for k, v in os.environ.items() if not k.upper().startswith("SHEQUN_")},
            "SHEQUN_DATA_DIR": str(tmp_path / "data"),
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert upgrade.returncode == 2 and the_line(upgrade) == expected


class TcpForwarder:
    """Forwards a local port to another (the database server coming up late)."""

    def __init__(self, port: int, target: tuple[str, int]) -> None:
        self.port, self.target = port, target
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)

    def start(self) -> None:
        self._thread.start()

        async def serve() -> asyncio.Server:
            return await asyncio.start_server(self._pipe_both, "127.0.0.1", self.port)

        self._server = asyncio.run_coroutine_threadsafe(serve(), self._loop).result(10)

    def stop(self) -> None:
        async def close() -> None:
            self._server.close()

        asyncio.run_coroutine_threadsafe(close(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)

    async def _pipe_both(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        upstream_reader, upstream_writer = await asyncio.open_connection(*self.target)
        await asyncio.gather(
            self._pipe(reader, upstream_writer), self._pipe(upstream_reader, writer)
        )

    @staticmethod
    async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except ConnectionError:
            pass
        finally:
            writer.close()


@pytest.fixture
def fake() -> Iterator[FakeBotApiThread]:
    with FakeBotApiThread() as server:
        server.add_chat(GROUP, "supergroup", "群")
        server.set_admins(GROUP, owner=MOD)
        yield server


def wait_for(condition: Callable[[], Any], what: str, timeout: float = 30) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if found := condition():
            return found
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def stop_cleanly(bot: BotProcess) -> str:
    code = bot.stop()
    output = bot.output()
    assert code == 0, output
    assert "Traceback" not in output, output
    return output


def test_a_database_server_that_comes_up_late_is_waited_for(
    fake: FakeBotApiThread, tmp_path: Path
) -> None:
    name, url = asyncio.run(create_pg_database())
    try:
        target = url.rsplit("@", 1)[-1].split("/", 1)[0]  # host:port of the real server
        host, _, server_port = target.partition(":")
        port = free_port()
        late = url.replace(f"@{target}/", f"@127.0.0.1:{port}/")
        bot = BotProcess(fake, tmp_path, SHEQUN_DATABASE__URL=late)
        wait_for(lambda: "retrying in" in bot.output(), "a retry")
        forwarder = TcpForwarder(port, (host, int(server_port or 5432)))
        forwarder.start()
        try:
            wait_for(lambda: fake.api.calls("getUpdates"), "getUpdates")
            say(fake, MOD, "/rules")
            [answer] = fake.wait_for_messages(1, GROUP)
            assert "还没有设置群规" in answer["text"]
            output = stop_cleanly(bot)
        finally:
            forwarder.stop()
        assert "cannot reach the database server at 127.0.0.1" in output
    finally:
        asyncio.run(drop_pg_database(name))


def test_telegram_unreachable_at_start_is_retried_until_it_answers(tmp_path: Path) -> None:
    port = free_port()
    fake = FakeBotApiThread(port=port)
    bot = BotProcess(fake, tmp_path, SHEQUN_TELEGRAM__BASE_URL=f"http://127.0.0.1:{port}")
    try:
        wait_for(lambda: "Telegram is unreachable" in bot.output(), "the first retry")
        with fake:
            fake.add_chat(GROUP, "supergroup", "群")
            fake.set_admins(GROUP, owner=MOD)
            wait_for(lambda: fake.api.calls("getUpdates"), "getUpdates")
            say(fake, MOD, "/rules")
            [answer] = fake.wait_for_messages(1, GROUP)
            assert "还没有设置群规" in answer["text"]
            output = stop_cleanly(bot)
    finally:
        bot.stop()
    retries = [line for line in output.splitlines() if "Telegram is unreachable" in line]
    assert retries and all(line.endswith(" s") for line in retries), output
    assert "retrying in 1 s" in retries[0]


def test_a_stop_while_telegram_is_unreachable_is_prompt(tmp_path: Path) -> None:
    port = free_port()
    bot = BotProcess(
        FakeBotApiThread(port=port), tmp_path, SHEQUN_TELEGRAM__BASE_URL=f"http://127.0.0.1:{port}"
    )
    wait_for(lambda: "retrying in 2 s" in bot.output(), "two retries")
    started = time.monotonic()
    stop_cleanly(bot)
    assert time.monotonic() - started < 5


def test_an_invalid_token_is_one_line_and_exit_code_2(
    fake: FakeBotApiThread, tmp_path: Path
) -> None:
    result = shequn_run(
        tmp_path,
        SHEQUN_TELEGRAM__TOKEN="999:not-the-token",
        SHEQUN_TELEGRAM__BASE_URL=fake.base_url,
    )
    assert result.returncode == 2, result.stderr
    line = the_line(result)
    assert line == (
        f"Telegram at {fake.base_url} rejected the bot token (Unauthorized); copy it again "
        "from @BotFather into SHEQUN_TELEGRAM__TOKEN"
    )
    assert "not-the-token" not in result.stderr  # secrets stay out of logs


def test_a_webhook_port_in_use_is_one_line(fake: FakeBotApiThread, tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        webhook = {
            "SHEQUN_TELEGRAM__TOKEN": fake.api.token,
            "SHEQUN_TELEGRAM__BASE_URL": fake.base_url,
            "SHEQUN_TELEGRAM__MODE": "webhook",
            "SHEQUN_TELEGRAM__WEBHOOK__URL": "https://bot.example.com/telegram",
            "SHEQUN_TELEGRAM__WEBHOOK__SECRET_TOKEN": "s3cret",
        }
        result = shequn_run(tmp_path, **webhook, SHEQUN_HTTP__PORT=str(port))
        # The keys of the webhook's own server before the shared one still work, warned.
        deprecated = shequn_run(
            tmp_path,
            **webhook,
            SHEQUN_TELEGRAM__WEBHOOK__LISTEN="127.0.0.1",
            SHEQUN_TELEGRAM__WEBHOOK__PORT=str(port),
        )
    line = (
        f"cannot listen on 127.0.0.1:{port} (address already in use); "
        "set SHEQUN_HTTP__PORT to a free port"
    )
    assert result.returncode == 2
    assert the_line(result) == line
    assert deprecated.returncode == 2 and "Traceback" not in deprecated.stderr
    assert deprecated.stderr.strip().splitlines() == [
        "warning: telegram.webhook.listen is deprecated: write http.host "
        "(SHEQUN_HTTP__HOST) instead; 127.0.0.1 is used",
        "warning: telegram.webhook.port is deprecated: write http.port "
        f"(SHEQUN_HTTP__PORT) instead; {port} is used",
        line,
    ]
    assert not fake.api.calls("setWebhook")  # stopped before Telegram was told anything


def test_a_network_error_while_polling_is_one_line(fake: FakeBotApiThread, tmp_path: Path) -> None:
    bot = BotProcess(fake, tmp_path)
    try:
        wait_for(lambda: fake.api.calls("getUpdates"), "getUpdates")
        fake.go_down()
        wait_for(
            lambda: bot.output().count("Telegram is unreachable while polling") >= 2,
            "two failed polls",
        )
        fake.come_back()
        say(fake, MOD, "/rules")
        [answer] = fake.wait_for_messages(1, GROUP, timeout=30)
        assert "还没有设置群规" in answer["text"]
    finally:
        output = stop_cleanly(bot)
    lines = output.splitlines()
    failures = [i for i, line in enumerate(lines) if "unreachable while polling" in line]
    for index in failures:  # each failure is its own line, with nothing hanging under it
        following = lines[index + 1] if index + 1 < len(lines) else "2000-01-01"
        assert following[:2].isdigit(), lines[index : index + 3]


def test_no_channel_and_no_terminal_refuses_in_one_line(tmp_path: Path) -> None:
    result = shequn_run(tmp_path)
    assert result.returncode == 2
    assert the_line(result) == (
        "no channel to run: set SHEQUN_TELEGRAM__TOKEN to run on Telegram, the wechat.kf "
        "keys (SHEQUN_WECHAT__KF__CORP_ID …) to run on 微信客服, the wechat.oa keys "
        "(SHEQUN_WECHAT__OA__APP_ID …) for an Official Account, "
        "or run `shequn sandbox` in a terminal to try Shequn locally"
    )
    assert result.stdout == ""  # no sandbox banner without a terminal
    assert not (tmp_path / "data").exists()


def test_a_misspelt_variable_is_warned_about(tmp_path: Path) -> None:
    result = shequn_run(tmp_path, SHEQUN_TELEGRAM_TOKEN="123:abc", SHEQUN_CONFIG_FILE="x.toml")
    assert result.returncode == 2  # the token was not taken: no channel
    lines = result.stderr.strip().splitlines()
    assert lines[:2] == [
        "warning: SHEQUN_CONFIG_FILE is not a Shequn setting and is ignored "
        "(did you mean SHEQUN_CONFIG?)",
        "warning: SHEQUN_TELEGRAM_TOKEN is not a Shequn setting and is ignored "
        "(did you mean SHEQUN_TELEGRAM__TOKEN?)",
    ]
    assert lines[2].startswith("no channel to run")


@pytest.mark.parametrize(
    ("url", "code", "expected"),
    [
        (
            "redis://bob:wrong@127.0.0.1:6379/0",
            2,
            "Redis at 127.0.0.1:6379 refused the credentials",
        ),
        ("redis://127.0.0.1:6379/99", 2, "Redis at 127.0.0.1:6379 answered: DB index is out of"),
        ("redis://127.0.0.1:9/0", 1, "cannot reach Redis at 127.0.0.1:9 (connection refused)"),
    ],
)
async def test_a_redis_that_cannot_serve_replicas_is_one_line(
    url: str, code: int, expected: str
) -> None:
    """What only the operator can fix is told at once; an outage is worth waiting for."""
    with pytest.raises(StartupError) as raised:
        await using_redis(url, lambda: ping(url))
    assert raised.value.code == code and raised.value.transient == (code == 1)
    assert raised.value.line().startswith(expected), raised.value.line()
    assert raised.value.line().endswith("SHEQUN_REDIS__URL")
