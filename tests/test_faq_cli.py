"""``shequn faq import|export|misses|eval`` against a real SQLite file."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from pathlib import Path

import openpyxl

from storage.database import Storage

DATA = Path(__file__).parent / "data" / "faq_eval"


def stored_questions(tmp_path: Path, database: str = "shequn.db") -> list[str]:
    async def read() -> list[str]:
        storage = Storage.from_url(f"sqlite+aiosqlite:///{tmp_path / 'data' / database}")
        try:
            async with storage.transaction() as repos:
                return [entry.question for entry in await repos.faq.entries()]
        finally:
            await storage.close()

    return asyncio.run(read())


def test_import_is_idempotent_and_export_round_trips(run, tmp_path: Path) -> None:
    code, out = run("faq", "import", str(DATA / "base.jsonl"))
    assert code == 0 and "118 added" in out
    code, out = run("faq", "import", str(DATA / "base.jsonl"))
    assert code == 0 and "0 added, 0 updated, 118 unchanged" in out
    for name in ("export.yaml", "export.csv", "export.jsonl", "export.xlsx"):
        code, out = run("faq", "export", str(tmp_path / name))
        assert code == 0 and "exported 118 entries" in out
        code, out = run("faq", "import", str(tmp_path / name))
        assert "0 added, 0 updated, 118 unchanged" in out, name
    assert len(stored_questions(tmp_path)) == 118


def test_an_exported_answer_reads_as_it_was_written(run, tmp_path: Path) -> None:
    """Answers are stored as Telegram-safe HTML ("Settings &gt; Membership"); a file
    an operator opens in Excel shows them as typed, tags kept, and reads back the same."""
    typed = 'Settings > Membership & "Q&A", <b>重要</b> it\'s 5 &lt; 6'
    source = tmp_path / "in.jsonl"
    source.write_text(json.dumps({"id": "a", "question": "在哪里设置会员？", "answer": typed}))
    assert run("faq", "import", str(source))[0] == 0
    for name in ("out.csv", "out.jsonl"):
        assert run("faq", "export", str(tmp_path / name))[0] == 0
        written = (tmp_path / name).read_text("utf-8-sig")
        assert "Settings > Membership &" in written and "<b>重要</b>" in written, written
        assert "&amp;" not in written and "&gt;" not in written
        assert "0 added, 0 updated, 1 unchanged" in run("faq", "import", str(tmp_path / name))[1]


def test_a_bad_row_stops_the_import_unless_skipped(run, tmp_path: Path) -> None:
    path = tmp_path / "mixed.csv"
    path.write_text(
        "id,question,answer,alternatives\n"
        "a,积分怎么兑换？,在商城兑换,怎么换礼品|礼品在哪换\n"
        "b,,没有问题的答案,\n"
        "c,忘记密码怎么办？,找回密码,\n",
        "utf-8",
    )
    code, out = run("faq", "import", str(path))
    assert code == 1
    assert "line 3: question is missing or empty" in out and "nothing imported" in out
    assert stored_questions(tmp_path) == []
    code, out = run("faq", "import", str(path), "--skip-bad")
    assert code == 0 and "2 added" in out and "1 skipped" in out
    assert stored_questions(tmp_path) == ["积分怎么兑换？", "忘记密码怎么办？"]


def test_a_teams_excel_sheet_imports_with_its_chinese_columns(run, tmp_path: Path) -> None:
    """A sheet kept in Excel/WPS: Chinese column names, an id typed as a number, a
    disabled row, a row left blank; a bad row is named by the row number Excel shows."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["编号", "问题", "答案", "相似问法", "启用"])
    sheet.append([7, "积分怎么兑换？", "在商城兑换", "怎么换礼品|礼品在哪换", "是"])
    sheet.append([])
    sheet.append([8, "旧活动还有吗？", "已结束", None, "否"])
    sheet.append([9, "", "没有问题的答案"])
    book.save(tmp_path / "团队FAQ.xlsx")
    code, out = run("faq", "import", str(tmp_path / "团队FAQ.xlsx"))
    assert code == 1 and "line 5: question is missing or empty" in out
    code, out = run("faq", "import", str(tmp_path / "团队FAQ.xlsx"), "--skip-bad")
    assert code == 0 and "2 added" in out
    assert stored_questions(tmp_path) == ["积分怎么兑换？", "旧活动还有吗？"]
    assert run("faq", "export", str(tmp_path / "out.xlsx"))[0] == 0
    exported = openpyxl.load_workbook(tmp_path / "out.xlsx").active
    rows = [[cell.value for cell in row] for row in exported.iter_rows()]
    assert rows[0] == ["id", "question", "answer", "alternatives", "tags", "enabled"]
    assert rows[1][:4] == ["7", "积分怎么兑换？", "在商城兑换", "怎么换礼品|礼品在哪换"]
    assert rows[2][-1] == "false"


def test_an_answer_that_looks_like_a_formula_stays_text(run, tmp_path: Path) -> None:
    path = tmp_path / "kb.jsonl"
    path.write_text('{"question": "怎么算折扣？", "answer": "=原价×0.8"}\n', "utf-8")
    assert run("faq", "import", str(path))[0] == 0
    assert run("faq", "export", str(tmp_path / "out.xlsx"))[0] == 0
    cell = openpyxl.load_workbook(tmp_path / "out.xlsx").active["C2"]
    assert cell.value == "=原价×0.8" and cell.data_type == "s"


def test_a_question_owned_by_another_id_is_a_conflict(run, tmp_path: Path) -> None:
    first = tmp_path / "first.jsonl"
    first.write_text('{"id": "x1", "question": "发票怎么开？", "answer": "订单页"}\n', "utf-8")
    assert run("faq", "import", str(first))[0] == 0
    clash = tmp_path / "clash.jsonl"
    clash.write_text('{"id": "x2", "question": "发票怎么开", "answer": "别处"}\n', "utf-8")
    code, out = run("faq", "import", str(clash))
    assert code == 1 and "line 1: question already exists as entry #1 with id x1" in out


def test_unreadable_files_get_one_clear_line(run, tmp_path: Path) -> None:
    code, out = run("faq", "import", str(tmp_path / "base.docx"))
    assert code == 2 and "unknown format" in out
    (tmp_path / "broken.xlsx").write_bytes(b"PK\x03\x04 not a workbook")
    code, out = run("faq", "import", str(tmp_path / "broken.xlsx"))
    assert code == 2 and "not an Excel workbook (.xlsx)" in out and "\n" not in out.rstrip()
    code, out = run("faq", "export", str(tmp_path / "out.txt"))
    assert code == 2 and "unknown format" in out
    missing = tmp_path / "no such folder" / "out.yaml"
    assert run("db", "upgrade")[0] == 0
    code, out = run("faq", "export", str(missing))
    assert code == 2 and out == f"cannot export: {missing}: No such file or directory\n"
    code, out = run(
        "faq", "eval", "--base", str(DATA / "base.jsonl"), "--queries",
        str(DATA / "queries.jsonl"), "--predictions", str(missing.with_suffix(".jsonl")),
    )  # fmt: skip
    assert code == 2 and out.startswith("cannot evaluate: ") and "\n" not in out.rstrip()
    for name in ("empty.jsonl", "empty.csv", "empty.yaml"):
        (tmp_path / name).write_text("", "utf-8")
        code, out = run("faq", "import", str(tmp_path / name))
        assert (
            code == 2
            and out == f"cannot import: {tmp_path / name} has no entries; nothing imported\n"
        )


def test_the_sandbox_option_works_on_the_sandboxs_own_database(run, tmp_path: Path) -> None:
    """The sandbox keeps its own database: ``shequn --sandbox faq import`` loads a base to
    try there, and leaves the real bot's alone; without the option, the real one."""
    code, out = run("--sandbox", "faq", "import", str(DATA / "base.jsonl"))
    assert code == 0 and "118 added" in out
    assert not (tmp_path / "data" / "shequn.db").exists()
    assert len(stored_questions(tmp_path, "sandbox.db")) == 118
    single = tmp_path / "one.jsonl"
    single.write_text('{"id": "x1", "question": "发票怎么开？", "answer": "订单页"}\n', "utf-8")
    assert run("faq", "import", str(single))[0] == 0
    assert stored_questions(tmp_path) == ["发票怎么开？"]
    code, out = run("faq", "export", str(tmp_path / "back.jsonl"))
    assert out == f"exported 1 entry to {tmp_path / 'back.jsonl'}\n"


def test_misses_are_listed_grouped(run, tmp_path: Path) -> None:
    assert run("db", "upgrade")[0] == 0  # the database a start would have made
    now = datetime.now(UTC)

    async def add_misses() -> None:
        storage = Storage.from_url(f"sqlite+aiosqlite:///{tmp_path / 'data' / 'shequn.db'}")
        try:
            async with storage.transaction() as repos:
                for text in ["发票怎么开？", "怎么开发票", "周末有活动吗？"]:
                    await repos.faq.record_miss(text, "unanswered", now)
        finally:
            await storage.close()

    asyncio.run(add_misses())
    code, out = run("faq", "misses", "--json")
    assert code == 0
    assert json.loads(out) == [
        {"count": 2, "example": "怎么开发票"},  # the newest of its group
        {"count": 1, "example": "周末有活动吗？"},
    ]


def test_eval_prints_the_figures_and_writes_predictions(run, tmp_path: Path) -> None:
    out_file = tmp_path / "predictions.jsonl"
    code, out = run(
        "faq", "eval", "--base", str(DATA / "base.jsonl"), "--queries",
        str(DATA / "queries.jsonl"), "--predictions", str(out_file), "--json",
    )  # fmt: skip
    assert code == 0
    figures = json.loads(out)
    counted = figures["in_scope"] + figures["out_of_scope"] + figures["small_talk"]
    assert counted == len(out_file.read_text().splitlines())
    assert 0 < figures["top1_accuracy"] <= figures["recall_at_3"] <= 1
    first = json.loads(out_file.read_text("utf-8").splitlines()[0])
    assert set(first) >= {"query", "predicted_id", "score"}


def test_eval_refuses_what_would_make_its_figures_wrong(run, tmp_path: Path) -> None:
    """A misspelt key, an id the base lacks, an empty file: one line each, exit code 2,
    rather than figures that look measured."""
    base = tmp_path / "base.jsonl"
    base.write_text(
        '{"id": "p1", "question": "发票怎么开？", "answer": "在订单页申请。"}\n'
        '{"id": "p2", "question": "退款多久到账？", "answer": "3 到 5 个工作日。"}\n',
        "utf-8",
    )
    queries = tmp_path / "queries.jsonl"
    empty = tmp_path / "empty.jsonl"
    empty.write_text("", "utf-8")
    cases = {
        '{"query": "怎么开发票", "expectedid": "p1"}\n': "queries.jsonl line 1: needs 'expected_id",
        '{"query": "怎么开发票", "expected_id": "p1"}\n{"query": "x", "expected_id": "p9"}\n': (
            "queries.jsonl line 2: expected_id 'p9' is no entry of the base"
        ),
        "": "queries.jsonl has no queries",
    }
    for text, said in cases.items():
        queries.write_text(text, "utf-8")
        code, out = run("faq", "eval", "--base", str(base), "--queries", str(queries))
        assert code == 2 and out.startswith(f"cannot evaluate: {said}"), text
        assert out.count("\n") == 1
    queries.write_text('{"query": "怎么开发漂", "expected_id": "p1"}\n', "utf-8")
    code, out = run("faq", "eval", "--base", str(empty), "--queries", str(queries))
    assert code == 2 and out == "cannot evaluate: empty.jsonl has no entries\n"
    code, out = run("faq", "eval", "--base", str(base), "--queries", str(queries))
    assert code == 0
    assert "(uncertain: too few entries to calibrate (fewer than 40))" in out
    assert "top-1 accuracy (in scope): 100.0%" in out  # 发漂 read as 发票
    assert "no out-of-scope questions (expected_id null), so false answers are not measured" in out
    code, out = run("faq", "calibrate", "--base", str(empty))
    assert code == 0 and out.startswith("FAQ calibration: the base is empty")


def test_feedback_is_listed_and_a_verdict_left_out_and_taken_back(run, tmp_path: Path) -> None:
    """The verdicts the calibration learns from, newest first; one left out no longer
    counts in `shequn faq calibrate`, and comes back with --restore."""
    code, out = run("faq", "import", str(DATA / "base.jsonl"))
    assert code == 0
    code, out = run("faq", "feedback")
    assert code == 0 and "no feedback yet" in out
    now = datetime.now(UTC)

    async def add_feedback() -> None:
        storage = Storage.from_url(f"sqlite+aiosqlite:///{tmp_path / 'data' / 'shequn.db'}")
        try:
            async with storage.transaction() as repos:
                user = await repos.users.upsert(
                    "testnet", "1", display_name="A", username=None, language=None,
                    is_bot=False, at=now,
                )  # fmt: skip
                answer = await repos.faq.record_answer(
                    3, now, question="积分能换什么礼品", confidence=0.8, via="group"
                )
                await repos.faq.vote(answer, user.id, 1, now)
                await repos.faq.record_miss("积分怎么兑换礼品呀", "human", now, entry_id=3)
        finally:
            await storage.close()

    asyncio.run(add_feedback())
    code, out = run("faq", "feedback", "--json")
    rows = json.loads(out)
    assert code == 0 and [row["kind"] for row in rows] == ["wrong", "helpful"]
    wrong = rows[0]["ref"]
    assert "2 of them from members' feedback" in run("faq", "calibrate")[1]
    code, out = run("faq", "feedback", "--exclude", wrong.upper())
    assert code == 0 and "(left out)" in out and "1 of these count" in out
    assert "1 of them from members' feedback" in run("faq", "calibrate")[1]
    code, out = run("faq", "feedback", "--restore", wrong, "--exclude", "m424242")
    assert code == 2 and "no verdict m424242" in out and "2 of these count" in out
