"""One process or several: real ``shequn run`` processes on one database.

SQLite and PostgreSQL without Redis refuse a second process; with Redis,
three replicas in webhook mode share PostgreSQL behind the fake Bot API,
updates posted round-robin (some twice, to different replicas) and one
replica killed with SIGKILL midway. ``/healthz``, ``/readyz`` and
``/metrics`` are asked as a load balancer and Prometheus would.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import re
import signal
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from tests.conftest import create_pg_database, drop_pg_database
from tests.fake_telegram import FakeBotApiThread
from tests.test_telegram_e2e import GROUP, MOD, BotProcess, free_port
from tests.test_web import wait_until

SECRET = "replica-secret"
REDIS = "redis://127.0.0.1:6379/0"


def exited(bot: BotProcess, timeout: float = 30) -> int:
    try:
        return bot.process.wait(timeout)
    except Exception:
        bot.process.kill()
        raise AssertionError(f"still running:\n{bot.output()}") from None


def one_line(bot: BotProcess) -> str:
    output = bot.output()
    assert "Traceback" not in output, output
    [line] = [entry for entry in output.strip().splitlines() if entry]
    return line


@pytest.fixture
def fake() -> Iterator[FakeBotApiThread]:
    with FakeBotApiThread() as server:
        server.add_chat(GROUP, "supergroup", "Replicas")
        server.set_admins(GROUP, owner=MOD)
        yield server


@pytest.fixture
def postgres() -> Iterator[str]:
    name, url = asyncio.run(create_pg_database())
    yield url
    asyncio.run(drop_pg_database(name))


@pytest.fixture
def processes() -> Iterator[list[BotProcess]]:
    running: list[BotProcess] = []
    yield running
    for bot in running:
        bot.stop()


def test_a_second_process_on_one_sqlite_file_is_refused(
    fake: FakeBotApiThread, tmp_path: Path, processes: list[BotProcess]
) -> None:
    first = BotProcess(fake, tmp_path)
    processes.append(first)
    assert fake.wait_for_call("getUpdates", timeout=30), first.output()
    second = BotProcess(fake, _directory(tmp_path / "second"), SHEQUN_DATA_DIR=str(tmp_path))
    processes.append(second)
    assert exited(second) == 2
    line = one_line(second)
    assert line.endswith(
        f"the SQLite database {tmp_path / 'shequn.db'} is in use by another Shequn process; "
        "SQLite serves one process: stop the other one, or run replicas on PostgreSQL with Redis"
    ), line
    assert first.process.poll() is None  # the first one goes on
    assert first.stop() == 0


def test_postgres_without_redis_takes_one_process_and_one_poller(
    fake: FakeBotApiThread, tmp_path: Path, postgres: str, processes: list[BotProcess]
) -> None:
    first = BotProcess(fake, _directory(tmp_path / "a"), SHEQUN_DATABASE__URL=postgres)
    processes.append(first)
    assert fake.wait_for_call("getUpdates", timeout=30), first.output()
    second = BotProcess(fake, _directory(tmp_path / "b"), SHEQUN_DATABASE__URL=postgres)
    processes.append(second)
    assert exited(second) == 2
    database = postgres.rsplit("/", 1)[1]
    assert one_line(second).endswith(
        f"another Shequn process is running on the database 127.0.0.1:5432/{database}; "
        "without Redis only one may: stop it, or set SHEQUN_REDIS__URL to run replicas"
    )
    assert first.stop() == 0
    # With Redis replicas are welcome, but Telegram takes one poller per bot.
    redis = {"SHEQUN_REDIS__URL": REDIS, "SHEQUN_REDIS__PREFIX": f"t{uuid.uuid4().hex[:8]}:"}
    polling = BotProcess(fake, _directory(tmp_path / "c"), SHEQUN_DATABASE__URL=postgres, **redis)
    processes.append(polling)
    wait_until(lambda: "Shequn is running" in polling.output(), "the polling replica up")
    third = BotProcess(fake, _directory(tmp_path / "d"), SHEQUN_DATABASE__URL=postgres, **redis)
    processes.append(third)
    assert exited(third) == 2
    assert "only one may poll, and none beside webhook replicas: stop it" in one_line(third)
    # A webhook replica's start would end the polling (Telegram serves one or the other).
    hooked = Replica(fake, tmp_path, 1, **replica_settings(postgres, **redis))
    processes.append(hooked.process)
    assert exited(hooked.process) == 2
    assert one_line(hooked.process).endswith(
        f"a Shequn process is polling Telegram for the database 127.0.0.1:5432/{database}; "
        "a webhook replica beside it would end its polling: stop it, or set "
        "SHEQUN_TELEGRAM__MODE to webhook there too"
    )
    assert polling.stop() == 0
    # And a poller's start would delete the webhook replicas' webhook.
    hooked = Replica(fake, tmp_path, 2, **replica_settings(postgres, **redis))
    processes.append(hooked.process)
    wait_until(lambda: "Shequn is running" in hooked.process.output(), "the webhook replica up")
    late = BotProcess(fake, _directory(tmp_path / "e"), SHEQUN_DATABASE__URL=postgres, **redis)
    processes.append(late)
    assert exited(late) == 2
    assert "only one may poll, and none beside webhook replicas" in one_line(late)
    assert fake.api.webhook["url"] == "https://bot.example.com/hooks/telegram"
    assert hooked.process.stop() == 0


def test_a_process_without_redis_and_replicas_refuse_each_other(
    fake: FakeBotApiThread, tmp_path: Path, postgres: str, processes: list[BotProcess]
) -> None:
    """A replica forgetting SHEQUN_REDIS__URL would run unshared caches and limits
    beside the others, and its start would close their sends in flight as failed."""
    database = postgres.rsplit("/", 1)[1]
    sole = BotProcess(fake, _directory(tmp_path / "a"), SHEQUN_DATABASE__URL=postgres)
    processes.append(sole)
    assert fake.wait_for_call("getUpdates", timeout=30), sole.output()
    replica = Replica(fake, tmp_path, 1, **replica_settings(postgres)).process
    processes.append(replica)
    assert exited(replica) == 2
    assert one_line(replica).endswith(
        f"a Shequn process without Redis is running on the database 127.0.0.1:5432/{database}; "
        "replicas cannot run beside it: stop it, or restart it with SHEQUN_REDIS__URL set"
    )
    assert sole.stop() == 0
    first = Replica(fake, tmp_path, 2, **replica_settings(postgres))
    processes.append(first.process)
    wait_until(
        lambda: httpx.get(f"{first.base}/readyz", timeout=5).status_code == 200,
        f"the replica ready\n{first.process.output()}",
        timeout=60,
    )
    late = BotProcess(fake, _directory(tmp_path / "b"), SHEQUN_DATABASE__URL=postgres)
    processes.append(late)
    assert exited(late) == 2
    assert one_line(late).endswith(
        f"another Shequn process is running on the database 127.0.0.1:5432/{database}; "
        "without Redis only one may: stop it, or set SHEQUN_REDIS__URL to run replicas"
    )
    assert first.process.process.poll() is None  # the replica goes on


def test_redis_with_sqlite_is_refused_in_one_line(fake: FakeBotApiThread, tmp_path: Path) -> None:
    bot = BotProcess(fake, tmp_path, SHEQUN_REDIS__URL=REDIS)
    assert exited(bot) == 2
    assert "SHEQUN_REDIS__URL is set, but replicas need PostgreSQL" in one_line(bot)


class TcpProxy:
    """A TCP forwarder to PostgreSQL (or Redis) that the test can cut and restore: the
    server 'down' for Shequn without stopping the one the other tests use."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.port = free_port()
        self._listener: socket.socket | None = None
        self._open: list[socket.socket] = []
        self._lock = threading.Lock()

    def up(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def down(self) -> None:
        """Refuse new connections and cut the open ones."""
        if self._listener is not None:
            with contextlib.suppress(OSError):  # wakes the accepting thread: the port is free
                self._listener.shutdown(socket.SHUT_RDWR)
            self._listener.close()
            self._listener = None
        with self._lock:
            for sock in self._open:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                    sock.close()
            self._open.clear()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            server = socket.create_connection(self.target)
            with self._lock:
                self._open += [client, server]
            for a, b in ((client, server), (server, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := source.recv(65536):
                sink.sendall(data)
        with contextlib.suppress(OSError):
            sink.shutdown(socket.SHUT_WR)


def metric(text: str, name: str, **labels: str) -> float:
    """A sample's value from the exposition text (0 when absent)."""
    wanted = ",".join(f'{k}="{v}"' for k, v in labels.items())
    pattern = rf"^{re.escape(name)}{re.escape('{' + wanted + '}') if labels else ''} (\S+)$"
    found = re.search(pattern, text, re.MULTILINE)
    return float(found.group(1)) if found else 0.0


def test_readiness_metrics_and_a_clean_sigterm(
    fake: FakeBotApiThread, tmp_path: Path, postgres: str, processes: list[BotProcess]
) -> None:
    """Polling mode serves /healthz, /readyz and /metrics too; /readyz is false while
    the database is away and true again after; SIGTERM exits 0 within ten seconds;
    logs can be JSON."""
    proxy = TcpProxy(("127.0.0.1", 5432))
    proxy.up()
    url = postgres.replace("127.0.0.1:5432", f"127.0.0.1:{proxy.port}")
    port = free_port()
    bot = BotProcess(
        fake,
        tmp_path,
        SHEQUN_DATABASE__URL=url,
        SHEQUN_HTTP__PORT=str(port),
        SHEQUN_LOGGING__FORMAT="json",
    )
    processes.append(bot)
    base = f"http://127.0.0.1:{port}"
    ready = wait_until(
        lambda: (r := httpx.get(f"{base}/readyz", timeout=5)).status_code == 200 and r,
        f"/readyz answering 200\n{bot.output()}",
    )
    assert ready.json() == {
        "ready": True,
        "checks": {"database": "ok", "migrations": "ok", "telegram": "ok"},
    }

    fake.push_update(fake.message_update(GROUP, MOD, "/rules"))
    fake.wait_for_messages(1, GROUP)
    page = wait_until(
        lambda: (
            (r := httpx.get(f"{base}/metrics", timeout=5)).status_code == 200
            and metric(r.text, "shequn_sends_total", channel="telegram", outcome="ok") >= 1
            and r
        ),
        "a send counted",
    )
    assert page.headers["content-type"].startswith("text/plain")
    text = page.text
    assert metric(text, "shequn_updates_total", channel="telegram", outcome="handled") == 1
    assert metric(text, "shequn_update_handling_seconds_count", channel="telegram") == 1
    assert metric(text, "shequn_leader") == 1
    assert metric(text, "shequn_replicas") == 1
    assert metric(text, "shequn_outbox_due") == 0
    assert "# TYPE shequn_open_tickets gauge" in text

    proxy.down()
    down = wait_until(
        lambda: (
            (r := httpx.get(f"{base}/readyz", timeout=10)).status_code == 503
            and r.json()["checks"]["database"] != "ok"
            and r
        ),
        "/readyz answering 503 for the database",
    )
    assert down.json()["ready"] is False
    assert httpx.get(f"{base}/healthz", timeout=5).status_code == 200  # alive all the same
    proxy.up()
    wait_until(
        lambda: httpx.get(f"{base}/readyz", timeout=10).status_code == 200,
        "/readyz answering 200 again",
    )

    started = time.monotonic()
    bot.process.send_signal(signal.SIGTERM)
    assert exited(bot, timeout=15) == 0
    assert time.monotonic() - started < 10
    assert "Traceback" not in bot.output()
    proxy.down()
    # Logged as one JSON object per line, for a log collector.
    records = [json.loads(line) for line in bot.output().splitlines() if line.strip()]
    assert {"time", "level", "logger", "message"} <= set(records[0])
    assert any(r["message"] == "stopping" and r["logger"] == "bot.runtime" for r in records)


def replica_settings(postgres: str, **extra: str) -> dict[str, str]:
    """A replica's environment: PostgreSQL, Redis (a prefix of the test's own), webhook."""
    return {
        "SHEQUN_DATABASE__URL": postgres,
        "SHEQUN_REDIS__URL": REDIS,
        "SHEQUN_REDIS__PREFIX": f"t{uuid.uuid4().hex[:8]}:",
        "SHEQUN_TELEGRAM__MODE": "webhook",
        "SHEQUN_TELEGRAM__WEBHOOK__URL": "https://bot.example.com/hooks/telegram",
        "SHEQUN_TELEGRAM__WEBHOOK__SECRET_TOKEN": SECRET,
        **extra,
    }


class Replica:
    def __init__(self, fake: FakeBotApiThread, root: Path, index: int, **env: str) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.process = BotProcess(
            fake, _directory(root / f"replica{index}"), SHEQUN_HTTP__PORT=str(self.port), **env
        )

    def post(self, update: dict[str, Any]) -> int:
        response = httpx.post(
            f"{self.base}/hooks/telegram",
            json=update,
            headers={"X-Telegram-Bot-Api-Secret-Token": SECRET},
            timeout=30,
        )
        return response.status_code


def _directory(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path


async def _replica_rows(url: str) -> list[tuple[str, int, bool]]:
    connection = await asyncpg.connect(url.replace("+asyncpg", ""))
    try:
        rows = await connection.fetch("SELECT id, pid, leader FROM replicas ORDER BY id")
    finally:
        await connection.close()
    return [(row["id"], row["pid"], row["leader"]) for row in rows]


def test_three_replicas_answer_every_update_once_in_order_within_the_limits(
    fake: FakeBotApiThread, tmp_path: Path, postgres: str, processes: list[BotProcess]
) -> None:
    groups = [GROUP] + [-1009000000000 - n for n in range(1, 8)]
    for chat in groups[1:]:
        fake.add_chat(chat, "supergroup", f"Group {chat}")
        fake.set_admins(chat, owner=MOD)
    # Telegram's overall limit lowered, so that three replicas that did not share one
    # budget (3 a second each: 9) would be caught by the fake within a few seconds.
    # Shequn is set under the platform's limit, as in production: a permit taken in
    # Redis reaches Telegram a few milliseconds later, not always in order.
    fake.set_flood_limits(global_per_second=5)
    env = replica_settings(
        postgres,
        SHEQUN_TELEGRAM__RATE_LIMIT__OVERALL_PER_SECOND="3",
        SHEQUN_TELEGRAM__RATE_LIMIT__MAX_RETRIES="0",
    )
    replicas = [Replica(fake, tmp_path, n, **env) for n in range(3)]
    processes.extend(r.process for r in replicas)
    for replica in replicas:
        wait_until(
            lambda r=replica: httpx.get(f"{r.base}/readyz", timeout=5).status_code == 200,
            f"replica ready\n{replica.process.output()}",
            timeout=60,
        )
    leaders = [row for row in asyncio.run(_replica_rows(postgres)) if row[2]]
    assert len(leaders) == 1
    assert asyncio.run(_replica_rows(postgres)).__len__() == 3

    alive = list(replicas)
    turn = itertools.count()

    def deliver(update: dict[str, Any], twice: bool = False) -> None:
        """As a load balancer: round-robin, the next replica when one fails."""
        tries = 0
        while True:
            replica = alive[next(turn) % len(alive)]
            if replica.process.process.poll() is None:
                try:
                    if replica.post(update) == 200:
                        break
                except httpx.TransportError:
                    pass
            tries += 1
            assert tries < 20, "no replica took the update"
        if twice:  # Telegram or the balancer sends it again, to another replica
            other = alive[next(turn) % len(alive)]
            if other.process.process.poll() is None:
                assert other.post(update) == 200

    commands: dict[int, list[int]] = {chat: [] for chat in groups}
    update_ids = itertools.count(1000)

    def command_round(twice_every: int) -> None:
        for n, chat in enumerate(groups):
            update = {"update_id": next(update_ids), **fake.message_update(chat, MOD, "/rules")}
            commands[chat].append(update["message"]["message_id"])
            deliver(update, twice=n % twice_every == 0)

    # Newcomers, each join delivered twice: one welcome each, whoever handles it.
    newcomers = [fake.make_user(7000 + n, f"新人{n}号") for n in range(3)]
    for user in newcomers:
        join = {"update_id": next(update_ids), **fake.new_chat_members_update(GROUP, [user])}
        deliver(join, twice=True)
    for _ in range(2):
        command_round(twice_every=3)

    # The leader dies mid-run, without a word, between two calls: a reply it was
    # still sending would be lost with it (at most once, as for scheduled messages).
    answered = sum(len(ids) for ids in commands.values())
    _settle(fake, answered, replicas)
    leader_pid = leaders[0][1]
    victim = next(r for r in replicas if r.process.process.pid == leader_pid)
    victim.process.process.send_signal(signal.SIGKILL)
    victim.process.process.wait(10)
    alive.remove(victim)
    killed_at = time.monotonic()
    # What it was sending when it died (a row it had claimed): recovered after its lease.
    victim_id = next(row[0] for row in asyncio.run(_replica_rows(postgres)) if row[1] == leader_pid)
    asyncio.run(_claimed_by(postgres, victim_id))
    for _ in range(3):
        command_round(twice_every=2)

    # Every /rules answered exactly once, in order, in every group.
    total = sum(len(ids) for ids in commands.values())
    _settle(fake, total, replicas)
    for chat, ids in commands.items():
        replies = [
            int(m["reply_to_message_id"])
            for m in fake.sent_messages(chat)
            if m.get("reply_to_message_id") is not None
        ]
        assert replies == ids, (chat, replies, ids)
    # Within the limits as the fake counts them: nothing refused with 429.
    sends = fake.calls("sendMessage")
    assert [c for c in sends if c.status == 429] == []
    # A new leader within 30 s (the database frees a dead holder's lock at once).
    new_leader = wait_until(
        lambda: [
            row for row in asyncio.run(_replica_rows(postgres)) if row[2] and row[1] != leader_pid
        ],
        "a new leader",
        timeout=30,
    )
    assert time.monotonic() - killed_at < 30 and len(new_leader) == 1
    # The dead replica's claimed row is closed, not resent, once its 30 s lease ran out.
    closed = wait_until(
        lambda: (
            (status := asyncio.run(_delivery(postgres, "cut-off-by-sigkill"))) != "sending"
            and status
        ),
        "recovery",
        50,
    )
    assert closed == "failed" and time.monotonic() - killed_at >= 25
    # One welcome per newcomer, though each join came twice.
    wait_until(
        lambda: all(
            sum(u["first_name"] in (m["text"] or "") for m in fake.sent_messages(GROUP)) >= 1
            for u in newcomers
        ),
        "the newcomers welcomed",
        timeout=30,
    )
    time.sleep(2)  # a second welcome, if there were one, would have come by now
    for user in newcomers:
        welcomes = sum(user["first_name"] in (m["text"] or "") for m in fake.sent_messages())
        assert welcomes == 1, (user["first_name"], welcomes)
    for replica in alive:
        assert replica.process.stop() == 0
    # Stopping replicas never takes the webhook away from the others.
    assert fake.api.webhook["url"] == "https://bot.example.com/hooks/telegram"
    assert fake.calls("deleteWebhook") == []
    for replica in alive:
        assert "Traceback" not in replica.process.output(), replica.process.output()
    # The stopped ones gave their lease up; only the killed one's row is still there.
    assert [row[1] for row in asyncio.run(_replica_rows(postgres))] == [leader_pid]


async def _claimed_by(url: str, holder: str) -> None:
    connection = await asyncpg.connect(url.replace("+asyncpg", ""))
    try:
        await connection.execute(
            "INSERT INTO deliveries (key, kind, audience, payload, due_at, status, attempts,"
            " created_at, holder) VALUES ('cut-off-by-sigkill', 'test', 'group', '{}', now(),"
            " 'sending', 1, now(), $1)",
            holder,
        )
    finally:
        await connection.close()


async def _delivery(url: str, key: str) -> str:
    connection = await asyncpg.connect(url.replace("+asyncpg", ""))
    try:
        return await connection.fetchval("SELECT status FROM deliveries WHERE key = $1", key)
    finally:
        await connection.close()


def _settle(fake: FakeBotApiThread, total: int, replicas: list[Replica]) -> None:
    """Wait until ``total`` commands have their reply; else fail with what was seen."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        got = sum(1 for m in fake.sent_messages() if m.get("reply_to_message_id") is not None)
        if got >= total:
            return
        time.sleep(0.5)
    calls = fake.calls("sendMessage")
    logs = "\n\n".join(r.process.output()[-3000:] for r in replicas)
    raise AssertionError(f"{got} of {total}; statuses {[c.status for c in calls]}\n{logs}")


def test_a_change_through_one_replica_is_seen_by_the_others_at_once(
    fake: FakeBotApiThread, tmp_path: Path, postgres: str, processes: list[BotProcess]
) -> None:
    """Each replica caches chats (their rules) and the FAQ index; a change made through
    one is told to the others through Redis, well within 5 s."""
    # Sweeps (which also refresh the FAQ index) far apart: only the notice can do it.
    env = replica_settings(postgres, SHEQUN_SCHEDULER__SWEEP_SECONDS="600")
    first, second = (Replica(fake, tmp_path, n, **env) for n in range(2))
    processes.extend([first.process, second.process])
    for replica in (first, second):
        wait_until(
            lambda r=replica: httpx.get(f"{r.base}/readyz", timeout=5).status_code == 200,
            f"replica ready\n{replica.process.output()}",
            timeout=60,
        )
    update_ids = itertools.count(5000)

    def command(replica: Replica, text: str) -> str:
        update = {"update_id": next(update_ids), **fake.message_update(GROUP, MOD, text)}
        before = len(fake.sent_messages(GROUP))
        assert replica.post(update) == 200
        fake.wait_for_messages(before + 1, GROUP)
        time.sleep(0.3)  # a reply in several messages
        return "\n".join(str(m["text"]) for m in fake.sent_messages(GROUP)[before:])

    no_rules = command(second, "/rules")  # the second replica now caches the group
    command(first, "/setrules 一、友善交流；二、不发广告")
    changed_at = time.monotonic()
    seen = wait_until(
        lambda: "不发广告" in (text := command(second, "/rules")) and text,
        "the new rules seen by the other replica",
        timeout=5,
    )
    assert seen != no_rules and time.monotonic() - changed_at < 5

    question = "积分可以换什么奖品"
    command(first, f"/addfaq {question} | 积分可以在 /shop 兑换周边和会员月卡")
    answer = wait_until(
        lambda: "兑换周边" in (text := command(second, f"/ask {question}")) and text,
        "the new FAQ entry answered by the other replica",
        timeout=5,
    )
    assert "会员月卡" in answer


def test_the_sole_process_stops_when_another_took_its_lock_during_an_outage(
    fake: FakeBotApiThread, tmp_path: Path, postgres: str, processes: list[BotProcess]
) -> None:
    """Without Redis: the lock's connection lost (the database restarted) and a second
    process started meanwhile — the first notices at its next beat and stops."""
    proxy = TcpProxy(("127.0.0.1", 5432))
    proxy.up()
    via_proxy = postgres.replace("127.0.0.1:5432", f"127.0.0.1:{proxy.port}")
    first = BotProcess(fake, _directory(tmp_path / "a"), SHEQUN_DATABASE__URL=via_proxy)
    processes.append(first)
    assert fake.wait_for_call("getUpdates", timeout=30), first.output()
    proxy.down()  # the first process's connections are cut: PostgreSQL frees its lock
    second = BotProcess(fake, _directory(tmp_path / "b"), SHEQUN_DATABASE__URL=postgres)
    processes.append(second)
    try:
        wait_until(lambda: "Shequn is running" in second.output(), "the second process up")
    except AssertionError:
        raise AssertionError(second.output() + "\n----\n" + first.output()) from None
    proxy.up()
    assert exited(first, timeout=40) == 0
    assert "another Shequn process took this database's lock" in first.output()
    assert "Traceback" not in first.output()  # the outage: one line per fault
    assert second.process.poll() is None  # the second one goes on
    proxy.down()


def test_redis_down_at_start_is_waited_for_then_one_line_before_migrating(
    fake: FakeBotApiThread, tmp_path: Path, postgres: str, processes: list[BotProcess]
) -> None:
    """As the database: a Redis that is not up yet is waited for about 15 s, saying
    so, then one line and exit code 1 — before the schema is touched."""
    port = free_port()
    env = replica_settings(postgres, SHEQUN_REDIS__URL=f"redis://127.0.0.1:{port}/0")
    replica = Replica(fake, tmp_path, 1, **env).process
    processes.append(replica)
    started = time.monotonic()
    assert exited(replica, timeout=40) == 1
    lines = replica.output().strip().splitlines()
    assert "Traceback" not in replica.output()
    down = f"cannot reach Redis at 127.0.0.1:{port} (connection refused)"
    retries = [line.split("WARNING bot.startup: ")[-1] for line in lines if "retrying" in line]
    assert retries == [f"{down}; retrying in {seconds} s" for seconds in (1, 2, 4, 8)], lines
    assert lines[-1] == f"{down}; start Redis, or fix SHEQUN_REDIS__URL"
    assert time.monotonic() - started >= 15
    assert asyncio.run(_tables(postgres)) == []  # no migration ran


def test_a_replica_waits_for_redis_then_serves_through_its_outage(
    fake: FakeBotApiThread, tmp_path: Path, postgres: str, processes: list[BotProcess]
) -> None:
    """Redis that comes up late is waited for; one that goes away while the replica
    runs costs no reply (Telegram's limits are counted in the replica meanwhile), and
    /readyz reports it as degraded without taking the replica out of rotation."""
    proxy = TcpProxy(("127.0.0.1", 6379))
    env = replica_settings(postgres, SHEQUN_REDIS__URL=f"redis://127.0.0.1:{proxy.port}/0")
    replica = Replica(fake, tmp_path, 1, **env)
    processes.append(replica.process)
    try:
        wait_until(lambda: "retrying in 1 s" in replica.process.output(), "a retry")
        proxy.up()
        ready = wait_until(
            lambda: (r := httpx.get(f"{replica.base}/readyz", timeout=5)).status_code == 200 and r,
            f"the replica ready\n{replica.process.output()}",
            timeout=30,
        )
        assert ready.json()["checks"]["redis"] == "ok"
        update_ids = itertools.count(7000)

        def rules() -> None:
            before = len(fake.sent_messages(GROUP))
            update = {"update_id": next(update_ids), **fake.message_update(GROUP, MOD, "/rules")}
            assert replica.post(update) == 200, replica.process.output()
            fake.wait_for_messages(before + 1, GROUP)

        rules()
        proxy.down()
        rules()  # answered, counted in this replica
        page = httpx.get(f"{replica.base}/readyz", timeout=10)
        assert page.status_code == 200, page.text
        assert page.json()["ready"] is True
        assert page.json()["checks"]["redis"].startswith("degraded: "), page.json()
        rules()
        proxy.up()
        time.sleep(5.5)  # the limiter asks Redis again every 5 s
        rules()
        wait_until(
            lambda: (
                httpx.get(f"{replica.base}/readyz", timeout=5).json()["checks"]["redis"] == "ok"
            ),
            "Redis reported ok again",
        )
        assert replica.process.stop() == 0
    finally:
        proxy.down()
    output = replica.process.output()
    assert "Traceback" not in output, output
    # One warning each for what it costs (limits, caches), one line each when it is back.
    lines = output.splitlines()
    gone = sorted(line.split("); ", 1)[1] for line in lines if "Redis is unreachable (" in line)
    assert gone == [
        "counting Telegram's limits in this replica alone until it is back",
        "this replica hears of the others' changes again once it is back",
    ], output
    back = sorted(line.split(" s; ", 1)[1] for line in lines if "Redis is back after " in line)
    assert back == [
        "Telegram's limits are shared again",
        "this replica's caches were dropped, in case it missed a change",
    ], output


async def _tables(url: str) -> list[str]:
    connection = await asyncpg.connect(url.replace("+asyncpg", ""))
    try:
        rows = await connection.fetch(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"
        )
    finally:
        await connection.close()
    return [row["tablename"] for row in rows]
