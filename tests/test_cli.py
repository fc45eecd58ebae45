"""The command line in-process: ``--version``, ``db upgrade`` saying what it did,
CSV files saved by Excel in GBK, and start-up errors of one-shot commands."""

from __future__ import annotations

from collections.abc import Callable
from importlib import metadata
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory

from storage.migrate import alembic_config

Cli = Callable[..., tuple[int, str]]
HEAD = ScriptDirectory.from_config(alembic_config()).get_current_head()


def test_version(run: Cli) -> None:
    code, out = run("--version")
    assert code == 0 and out.strip() == f"shequn {metadata.version('shequn')}"


def test_db_upgrade_says_what_it_did(run: Cli, tmp_path: Path) -> None:
    database = tmp_path / "data" / "shequn.db"
    code, out = run("db", "upgrade")
    assert code == 0 and out.strip() == f"migrated 0000 → {HEAD} (sqlite+aiosqlite:///{database})"
    code, out = run("db", "upgrade")
    assert code == 0 and out.strip() == f"already at {HEAD} (sqlite+aiosqlite:///{database})"


def test_db_upgrade_on_a_missing_postgresql_database_is_one_line(
    run: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.conftest import PG_ADMIN_DSN

    monkeypatch.setenv("SHEQUN_DATABASE__URL", PG_ADMIN_DSN.rsplit("/", 1)[0] + "/shequn_nowhere")
    code, out = run("db", "upgrade")
    assert code == 2
    [line] = out.strip().splitlines()  # what is missing, and the command that creates it
    assert 'database "shequn_nowhere" does not exist' in line and "createdb" in line


GBK_FAQ = "id,question,answer\nf1,积分怎么兑换？,在积分商城兑换。\nf2,直播有回放吗？,有。\n"
GBK_TOPICS = "pool,text\nweekend,你最近读了什么书？\nweekend,周末去哪儿玩？\n"


@pytest.mark.parametrize("encoding", ["gbk", "gb18030", "utf-8-sig", "utf-8"])
def test_csv_saved_by_excel_in_gbk_or_utf8_is_read(run: Cli, tmp_path: Path, encoding: str) -> None:
    faq = tmp_path / "问答.csv"
    faq.write_bytes(GBK_FAQ.encode(encoding))
    code, out = run("faq", "import", str(faq))
    assert code == 0 and "2 added" in out, out
    topics = tmp_path / "话题.csv"
    topics.write_bytes(GBK_TOPICS.encode(encoding))
    code, out = run("topics", "import", str(topics))
    assert code == 0 and "imported 2 topics" in out, out
    code, out = run("faq", "export", str(tmp_path / "back.jsonl"))
    assert "积分怎么兑换？" in (tmp_path / "back.jsonl").read_text("utf-8")


@pytest.mark.parametrize("command", [("faq", "import"), ("topics", "import")])
def test_a_file_in_another_encoding_says_to_save_it_as_utf8(
    run: Cli, tmp_path: Path, command: tuple[str, str]
) -> None:
    path = tmp_path / "table.csv"
    path.write_bytes("pool,text\nweekend,Café crème brûlée\n".encode("latin-1"))
    code, out = run(*command, str(path))
    assert code == 2
    assert out.strip() == (
        "cannot import: table.csv: not UTF-8 or GBK text; save it as UTF-8 "
        "(in Excel: Save As → CSV UTF-8 / 另存为 → CSV UTF-8（逗号分隔）)"
    )


def test_an_unknown_variable_is_warned_about_in_every_command(
    run: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SHEQUN_DATABASE_URL", "postgresql://elsewhere/db")
    code, out = run("config")
    assert code == 0
    assert out.splitlines()[0] == (
        "warning: SHEQUN_DATABASE_URL is not a Shequn setting and is ignored "
        "(did you mean SHEQUN_DATABASE__URL?)"
    )


def test_config_hides_the_database_password(run: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    import json

    url = "postgresql+asyncpg://shequn:s3cret-pw@db.example.com:5432/shequn"
    monkeypatch.setenv("SHEQUN_DATABASE__URL", url)
    code, out = run("config")
    assert code == 0 and "s3cret-pw" not in out
    assert json.loads(out)["database"]["url"] == (
        "postgresql://shequn:***@db.example.com:5432/shequn"
    )


def test_config_shows_the_database_a_start_would_open(
    run: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No database set is the embedded SQLite file, shown as such rather than ""."""
    import json

    monkeypatch.delenv("SHEQUN_DATABASE__URL", raising=False)
    code, out = run("config")
    assert code == 0
    assert json.loads(out)["database"]["url"].startswith("sqlite:///")
    assert json.loads(out)["database"]["url"].endswith("/shequn.db")


def test_config_refuses_what_a_start_refuses_and_creates_nothing(run: Cli, tmp_path: Path) -> None:
    """A keyword naming no command passes the settings' own checks but not the wiring:
    `shequn config` says so in the start's one line, and leaves no database behind."""
    (tmp_path / "shequn.toml").write_text('[keywords.aliases]\n"冒泡" = "chekin"\n', "utf-8")
    code, out = run("config")
    assert (code, out) == (2, "config error: keywords.aliases: '冒泡' names no command /chekin\n")
    (tmp_path / "shequn.toml").write_text('[keywords.aliases]\n"冒泡" = "checkin"\n', "utf-8")
    code, out = run("config")
    assert code == 0 and '"冒泡": "checkin"' in out
    assert not (tmp_path / "data").exists()


def test_config_shows_the_built_in_defaults_that_apply(run: Cli) -> None:
    """Not `[]` where the built-in flow, levels, badges and schedules are in effect."""
    import json

    code, out = run("config")
    assert code == 0
    shown = json.loads(out)
    assert [step["id"] for step in shown["onboarding"]["steps"]] == [
        "welcome_private", "buddy", "intro", "checkin", "digest", "topic",
    ]  # fmt: skip
    assert shown["onboarding"]["steps"][3]["offset"] == "3d"
    assert shown["onboarding"]["quiet_hours"] == "22:00-08:00"
    assert [level["at"] for level in shown["points"]["levels"]] == [0, 100, 500, 2000]
    assert {badge["id"] for badge in shown["points"]["badges"]} >= {"first_message", "mvp"}
    assert [s["name"] for s in shown["topics"]["schedules"]] == ["weekend", "qa", "expert"]
    assert shown["escalation"]["staff_hours"] == "09:00-21:00"
    assert shown["community"]["timezone"] == "Asia/Shanghai"
