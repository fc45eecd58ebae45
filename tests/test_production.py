"""What the README's "Production" section promises: the compose file means what it
says, and a backup taken with ``pg_dump`` restores into a working Shequn."""

from __future__ import annotations

import asyncio
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import yaml

from bot.app import build_app
from bot.settings import Settings, unknown_settings_variables
from handlers.clock import ManualClock
from handlers.events import (
    ChatKind,
    ChatRef,
    CommandIssued,
    Incoming,
    MessagePosted,
    MessageRef,
    UserRef,
)
from storage.database import Storage
from tests.conftest import FakePlatform, create_pg_database, drop_pg_database
from tests.helpers import shequn_on

ROOT = Path(__file__).resolve().parent.parent


def test_the_compose_file_runs_two_replicas_on_postgres_and_redis() -> None:
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text("utf-8"))
    services = compose["services"]
    replicas = [name for name in services if name.startswith("shequn-")]
    assert len(replicas) == 2 and {"postgres", "redis", "proxy"} <= set(services)
    for name in replicas:
        service = services[name]
        environment = service["environment"]
        # Every variable it sets is one Shequn reads (a typo would be silently ignored).
        assert unknown_settings_variables(dict.fromkeys(environment, "x")) == []
        assert environment["SHEQUN_DATABASE__URL"].startswith("postgresql://")
        assert environment["SHEQUN_REDIS__URL"].startswith("redis://redis:")
        assert service["volumes"] == ["./shequn.toml:/etc/shequn/shequn.toml:ro"]
        assert "/readyz" in " ".join(service["healthcheck"]["test"])
        assert service["depends_on"]["postgres"]["condition"] == "service_healthy"
    caddyfile = compose["configs"]["caddyfile"]["content"]
    assert (
        "shequn-1:8080 shequn-2:8080" in caddyfile
        and "/metrics" not in caddyfile.split("@shequn")[1].split("\n")[0]
    )


NOW = datetime(2026, 12, 1, 4, 0, tzinfo=UTC)
GROUP = ChatRef("telegram", "-1004000000000", ChatKind.GROUP, "备份群")


async def _community(url: str, data_dir: Path) -> None:
    """A few days of a community: messages (points), check-ins."""
    clock = ManualClock(start=NOW)
    app = build_app(Settings(data_dir=data_dir), clock=clock, storage=Storage.from_url(url))
    await app.prepare()
    platform = FakePlatform("telegram")
    for n in range(60):
        clock.advance(timedelta(minutes=7))
        user = UserRef("telegram", str(800 + n % 6), f"成员{n % 6}")
        ref = MessageRef(GROUP, str(n))
        event = (
            CommandIssued(chat=GROUP, occurred_at=clock.now(), sender=user, message=ref,
                          name="checkin", args="")
            if n % 5 == 0
            else MessagePosted(chat=GROUP, occurred_at=clock.now(), sender=user, message=ref,
                               text=f"第{n}条：今天的分享很有用，谢谢大家")
        )  # fmt: skip
        await app.dispatcher.handle(Incoming(key=f"b{n}", events=(event,)), platform)
    await app.close()


async def _counts(url: str) -> dict[str, int]:
    connection = await asyncpg.connect(url.replace("+asyncpg", ""))
    try:
        return {
            table: await connection.fetchval(f"SELECT count(*) FROM {table}")
            for table in ("users", "members", "points_ledger", "event_log", "processed_updates")
        }
    finally:
        await connection.close()


def test_a_pg_dump_backup_restores_into_a_workingshequn_on(tmp_path: Path) -> None:
    """The README's backup and restore commands, as written there."""
    source_name, source = asyncio.run(create_pg_database())
    target_name, target = asyncio.run(create_pg_database())
    try:
        asyncio.run(_community(source, tmp_path))
        before = asyncio.run(_counts(source))
        assert before["points_ledger"] > 0 and before["members"] == 6
        dump = tmp_path / "shequn.dump"
        plain = source.replace("+asyncpg", "")
        subprocess.run(["pg_dump", "--format=custom", f"--file={dump}", plain], check=True)
        restore = [
            "pg_restore",
            "--no-owner",
            "--exit-on-error",
            "-d",
            target.replace("+asyncpg", ""),
        ]
        subprocess.run([*restore, str(dump)], check=True)

        assert asyncio.run(_counts(target)) == before
        upgrade = shequn_on("db", "upgrade", url=target, cwd=tmp_path)
        assert upgrade.returncode == 0 and "already at" in upgrade.stdout, upgrade.stderr
        verify = shequn_on("points", "verify", url=target, cwd=tmp_path)
        assert verify.returncode == 0, verify.stdout + verify.stderr
    finally:
        for name in (source_name, target_name):
            asyncio.run(drop_pg_database(name))
