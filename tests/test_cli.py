"""Knowledge-base and topic files as Excel saves them: UTF-8 with or without BOM,
or GBK on Chinese Windows; anything else is one line saying what to do."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

Cli = Callable[..., tuple[int, str]]


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
