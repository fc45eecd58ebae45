"""``shequn db copy``: a community piloted on the embedded SQLite file moves to
PostgreSQL with every row and id, and the copy refuses what would lose or mix data."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from filelock import FileLock
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.app import build_app
from handlers.clock import ManualClock
from handlers.events import Incoming
from storage.database import Storage
from storage.migrate import upgrade
from storage.transfer import community_tables
from tests.conftest import FakePlatform, create_pg_database, drop_pg_database, make_settings
from tests.helpers import command, joined, message, person, private_chat, shequn_on

NOW = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)


async def _pilot(url: str, data_dir: Path) -> None:
    """A few weeks of a pilot community: joins, messages, check-ins, a complaint, FAQ
    entries, a linked account that points to a later one, a console link."""
    clock = ManualClock(start=NOW)
    app = build_app(make_settings(data_dir), clock=clock, storage=Storage.from_url(url))
    await app.prepare()
    platform = FakePlatform()
    people = [person(str(700 + n), f"成员{n}") for n in range(5)]

    async def handle(*events: Any) -> None:
        await app.dispatcher.handle(Incoming(key=f"u{clock.now().timestamp()}", events=events),
                                    platform)  # fmt: skip

    for member in people:
        clock.advance(timedelta(minutes=3))
        await handle(joined(clock.now(), member))
    for n in range(30):
        clock.advance(timedelta(hours=5))
        member = people[n % 5]
        if n % 4 == 0:
            await handle(command(clock.now(), member, "/checkin"))
        else:
            await handle(message(clock.now(), member, f"第{n}条：今天的分享很有用，谢谢大家"))
    await handle(command(clock.now(), people[1], "/complain 退款三周了还没到账，客服也不回"))
    await handle(command(clock.now(), people[2], "/start", private_chat(people[2])))
    async with app.storage.transaction() as repos:
        for n in range(3):
            await repos.faq.add(f"问题{n}怎么办？", f"答案{n}", clock.now(), key=f"q{n}",
                                alternatives=[f"问法{n}"], tags=["标签"])  # fmt: skip
        first = await repos.users.get(people[0].platform, people[0].id)
        later = await repos.users.get(people[4].platform, people[4].id)
        assert first and later and first.id < later.id
        await repos.links.set_person(first.id, later.id, clock.now())
        await repos.console.issue_link("t0ken", "testnet:700", clock.now(),
                                       clock.now() + timedelta(hours=1))  # fmt: skip
    await app.close()


async def _rows(engine: AsyncEngine) -> dict[str, list[tuple[Any, ...]]]:
    async with engine.connect() as connection:
        return {
            table.name: [
                tuple(row)
                for row in await connection.execute(
                    select(table).order_by(*table.primary_key.columns)
                )
            ]
            for table in community_tables()
        }


def test_a_sqlite_pilot_moves_to_postgresql_with_every_row_and_id(tmp_path: Path) -> None:
    pilot = f"sqlite:///{tmp_path / 'pilot.db'}"
    asyncio.run(_pilot(pilot, tmp_path))
    name, production = asyncio.run(create_pg_database())
    try:
        copy = shequn_on("db", "copy", production, url=pilot, cwd=tmp_path)
        assert copy.returncode == 0, copy.stdout + copy.stderr
        assert "copied" in copy.stdout and "every table counted on both sides" in copy.stdout
        assert "password" not in copy.stdout

        async def compare() -> tuple[dict[str, list[tuple[Any, ...]]], dict[str, Any]]:
            source, target = Storage.from_url(pilot), Storage.from_url(production)
            try:
                return await _rows(source.engine), await _rows(target.engine)
            finally:
                await source.close()
                await target.close()

        before, after = asyncio.run(compare())
        held = {name for name, rows in before.items() if rows}
        assert {"users", "members", "points_ledger", "event_log", "tickets", "ticket_events",
                "faq_entries", "processed_updates", "console_links"} <= held  # fmt: skip
        assert after == before
        linked = [row for row in after["users"] if row[-1] is not None]
        assert len(linked) == 1  # the account pointing to a later one kept its link

        verify = shequn_on("points", "verify", url=production, cwd=tmp_path)
        assert verify.returncode == 0, verify.stdout + verify.stderr
        asyncio.run(_a_newcomer_after_the_move(production, tmp_path, before))
    finally:
        asyncio.run(drop_pg_database(name))


async def _a_newcomer_after_the_move(url: str, data_dir: Path, before: dict[str, Any]) -> None:
    """PostgreSQL hands out ids after the copied ones: the next member, ticket and
    ledger row are stored, not refused as duplicates."""
    clock = ManualClock(start=NOW + timedelta(days=30))
    app = build_app(make_settings(data_dir), clock=clock, storage=Storage.from_url(url))
    await app.prepare()
    newcomer = person("799", "新人")
    platform = FakePlatform()
    for n, event in enumerate(
        (
            joined(clock.now(), newcomer),
            command(clock.now(), newcomer, "/checkin"),
            command(clock.now(), newcomer, "/complain 新来的也想投诉一下配送太慢"),
        )
    ):
        await app.dispatcher.handle(Incoming(key=f"after{n}", events=(event,)), platform)
    async with app.storage.transaction() as repos:
        user = await repos.users.get(newcomer.platform, newcomer.id)
        ticket = await repos.tickets.get(2)
    await app.close()
    assert user is not None and user.id == max(row[0] for row in before["users"]) + 1
    assert ticket is not None and ticket.text.startswith("新来的也想投诉")


def test_a_copy_goes_back_from_postgresql_into_a_new_sqlite_file(tmp_path: Path) -> None:
    name, production = asyncio.run(create_pg_database())
    try:
        asyncio.run(_pilot(production, tmp_path))
        local = tmp_path / "copies" / "local.db"
        copy = shequn_on("db", "copy", f"sqlite:///{local}", url=production, cwd=tmp_path)
        assert copy.returncode == 0, copy.stdout + copy.stderr
        assert f"into {local}" in copy.stdout
        # The next step names the value database.url takes, which a bare path is not.
        assert f"set database.url (SHEQUN_DATABASE__URL) to sqlite:///{local} " in copy.stdout

        async def compare() -> bool:
            source, target = Storage.from_url(production), Storage.from_url(f"sqlite:///{local}")
            try:
                return await _rows(source.engine) == await _rows(target.engine)
            finally:
                await source.close()
                await target.close()

        assert asyncio.run(compare())
    finally:
        asyncio.run(drop_pg_database(name))


def test_a_copy_into_a_database_that_holds_data_is_refused_and_changes_nothing(
    tmp_path: Path,
) -> None:
    pilot, other = tmp_path / "pilot.db", tmp_path / "other.db"
    asyncio.run(_pilot(f"sqlite:///{pilot}", tmp_path))
    asyncio.run(_pilot(f"sqlite:///{other}", tmp_path))
    before = other.read_bytes()
    copy = shequn_on("db", "copy", f"sqlite:///{other}", url=f"sqlite:///{pilot}", cwd=tmp_path)
    assert copy.returncode == 2 and copy.stdout == ""
    [line] = copy.stderr.strip().splitlines()
    assert line.startswith(f"{other} already holds a community's data (faq_entries 3, members 5, ")
    assert "copy only into an empty database" in line
    assert other.read_bytes() == before


def test_a_copy_while_shequn_runs_on_either_database_is_refused(tmp_path: Path) -> None:
    pilot = tmp_path / "pilot.db"
    asyncio.run(_pilot(f"sqlite:///{pilot}", tmp_path))
    target = tmp_path / "copy.db"
    into_target = ("db", "copy", f"sqlite:///{target}")
    with FileLock(f"{pilot}.lock", timeout=0):  # what a running Shequn holds
        copy = shequn_on(*into_target, url=f"sqlite:///{pilot}", cwd=tmp_path)
    assert copy.returncode == 2
    assert copy.stderr.strip() == (
        f"Shequn is running on {pilot}: stop it first, so that nothing it writes during the "
        "copy is lost"
    )
    asyncio.run(_upgraded(f"sqlite:///{target}"))
    with FileLock(f"{target}.lock", timeout=0):
        copy = shequn_on(*into_target, url=f"sqlite:///{pilot}", cwd=tmp_path)
    assert copy.returncode == 2 and copy.stderr.strip().startswith(f"Shequn is running on {target}")


async def _upgraded(url: str) -> None:
    storage = Storage.from_url(url)
    try:
        await upgrade(storage.engine)
    finally:
        await storage.close()


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        (
            "mysql://root@127.0.0.1/shequn",
            "the target URL: Shequn works with PostgreSQL and SQLite",
        ),
        ("sqlite:///pilot.db", "pilot.db is the database Shequn uses now: name a new one"),
        (
            "postgresql://postgres@127.0.0.1:5432/shequn_no_such_db",
            'database "shequn_no_such_db" does not exist on 127.0.0.1:5432; create it: createdb',
        ),
        (
            "postgresql://postgres@127.0.0.1:1/shequn",
            "cannot reach the database server at 127.0.0.1:1 (connection refused); start "
            "PostgreSQL, or fix the host and port in the target URL",
        ),
    ],
)
def test_a_wrong_target_is_one_line(tmp_path: Path, target: str, expected: str) -> None:
    asyncio.run(_upgraded(f"sqlite:///{tmp_path / 'pilot.db'}"))
    copy = shequn_on("db", "copy", target, url="sqlite:///pilot.db", cwd=tmp_path)
    assert copy.returncode in (1, 2) and copy.stdout == ""
    [line] = copy.stderr.strip().splitlines()
    assert line.startswith(expected), line


def test_a_row_postgresql_refuses_leaves_the_target_empty(tmp_path: Path) -> None:
    """SQLite keeps a string longer than its column; PostgreSQL does not. The copy names
    the table, and commits nothing, so it can be run again once the row is fixed."""
    pilot = f"sqlite:///{tmp_path / 'pilot.db'}"
    asyncio.run(_pilot(pilot, tmp_path))

    async def lengthen(value: str) -> None:
        storage = Storage.from_url(pilot)
        async with storage.engine.begin() as connection:
            await connection.execute(
                text("UPDATE users SET display_name = :name WHERE id = 2"), {"name": value}
            )
        await storage.close()

    asyncio.run(lengthen("长" * 300))
    name, production = asyncio.run(create_pg_database())
    try:
        copy = shequn_on("db", "copy", production, url=pilot, cwd=tmp_path)
        assert copy.returncode == 2
        line = copy.stderr.strip().splitlines()[-1]
        assert "refused a row of users (value too long" in line and "nothing was copied" in line

        async def held() -> int:
            storage = Storage.from_url(production)
            try:
                async with storage.engine.connect() as connection:
                    return int(await connection.scalar(text("SELECT count(*) FROM users")) or 0)
            finally:
                await storage.close()

        assert asyncio.run(held()) == 0
        asyncio.run(lengthen("成员1"))
        again = shequn_on("db", "copy", production, url=pilot, cwd=tmp_path)
        assert again.returncode == 0, again.stderr
    finally:
        asyncio.run(drop_pg_database(name))
