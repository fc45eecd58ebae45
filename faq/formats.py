"""Reading and writing knowledge-base files: YAML, CSV, JSON Lines and Excel (.xlsx).

Every row is checked before anything is stored; each problem names its line,
so an operator can fix a 500-row spreadsheet in one pass.

Fields: ``id`` (optional, kept as the entry's stable key), ``question``,
``answer``, ``alternatives`` (list; in CSV and Excel separated by ``|``), ``tags``
(list; likewise), ``enabled`` (optional, default true). A spreadsheet's first row
names the columns; problems name its rows as the spreadsheet numbers them.
"""

from __future__ import annotations

import csv
import io
import json
import re
import unicodedata
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

import yaml

from faq.answer_html import as_typed

MAX_QUESTION = 300
MAX_ANSWER = 3500
MAX_ALTERNATIVES = 30
FIELDS = ("id", "question", "answer", "alternatives", "tags", "enabled")
#: Other names a file may use for a field: ``alt`` is what chat teaches
#: (``/editfaq 1 alt …``); a team's spreadsheet names its columns in Chinese.
FIELD_ALIASES = {
    "alt": "alternatives",
    "编号": "id",
    "问题": "question",
    "标准问题": "question",
    "答案": "answer",
    "回答": "answer",
    "相似问题": "alternatives",
    "相似问法": "alternatives",
    "其他问法": "alternatives",
    "标签": "tags",
    "启用": "enabled",
}
#: What ``enabled`` reads as false (anything else is true).
DISABLED = ("false", "0", "no", "off", "", "否", "停用")
FORMATS = {
    ".yaml": "yaml",
    ".yml": "yaml",
    ".csv": "csv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".xlsx": "xlsx",
}
LIST_SEPARATOR = "|"


class FormatError(ValueError):
    """The file as a whole cannot be read (unknown extension, not YAML, …)."""


@dataclass(frozen=True, slots=True)
class EntryRow:
    line: int
    question: str
    answer: str
    key: str | None = None
    alternatives: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    enabled: bool = True


@dataclass(frozen=True, slots=True)
class Problem:
    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


@dataclass(slots=True)
class ReadResult:
    rows: list[EntryRow] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def format_of(path: Path) -> str:
    try:
        return FORMATS[path.suffix.lower()]
    except KeyError:
        raise FormatError(
            f"{path.name}: unknown format; use one of {', '.join(sorted(FORMATS))}"
        ) from None


def read_entries(path: Path) -> ReadResult:
    """Rows and problems of a knowledge-base file; raises FormatError if unreadable."""
    kind = format_of(path)
    if kind == "xlsx":
        raw = _xlsx_rows(path)
    else:
        text = read_text(path)
        raw = {"yaml": _yaml_rows, "csv": _csv_rows, "jsonl": _jsonl_rows}[kind](text)
    result = ReadResult()
    seen_keys: dict[str, int] = {}
    seen_questions: dict[str, int] = {}
    for line, record in raw:
        if isinstance(record, Problem):
            result.problems.append(record)
            continue
        row = _validate(line, record, result.problems)
        if row is None:
            continue
        if row.key is not None:
            if row.key in seen_keys:
                result.problems.append(
                    Problem(line, f"id {row.key!r} used again (first on line {seen_keys[row.key]})")
                )
                continue
            seen_keys[row.key] = line
        folded = fold_question(row.question)
        if folded in seen_questions:
            result.problems.append(
                Problem(line, f"duplicate question (same as line {seen_questions[folded]})")
            )
            continue
        seen_questions[folded] = line
        result.rows.append(row)
    return result


def read_text(path: Path) -> str:
    """The text of a file as a spreadsheet or an editor saved it: UTF-8 (with or
    without BOM), else GB18030 — a superset of GBK, which Excel on Chinese Windows
    uses for "CSV" — when it reads as Chinese text; else FormatError saying what to do."""
    try:
        data = path.read_bytes()
    except OSError as error:
        raise FormatError(f"{path.name}: cannot read: {error.strerror or error}") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("gb18030")
    except UnicodeDecodeError:
        text = None
    if text is not None and _reads_as_chinese(text):
        return text
    raise FormatError(
        f"{path.name}: not UTF-8 or GBK text; save it as UTF-8 "
        "(in Excel: Save As → CSV UTF-8 / 另存为 → CSV UTF-8（逗号分隔）)"
    )


def _reads_as_chinese(text: str) -> bool:
    """Bytes of another encoding rarely decode as GB18030 into Chinese characters
    without control, private-use or unassigned characters among them."""
    has_hanzi = False
    for char in text:
        if "\u4e00" <= char <= "\u9fff":
            has_hanzi = True
        elif unicodedata.category(char) in ("Co", "Cn") or (
            unicodedata.category(char) == "Cc" and char not in "\t\r\n"
        ):
            return False
    return has_hanzi


def fold_question(question: str) -> str:
    """Questions differing only in case, spaces or final punctuation are duplicates."""
    return re.sub(r"[\s?？!！。.]+", "", question.casefold())


def _validate(line: int, record: Any, problems: list[Problem]) -> EntryRow | None:
    if not isinstance(record, dict):
        problems.append(Problem(line, "expected an object with question and answer"))
        return None
    errors: list[str] = []
    for alias, canonical in FIELD_ALIASES.items():
        if alias in record:
            if canonical in record:
                errors.append(f"both {alias} and {canonical}: write one of them")
            record = {**{k: v for k, v in record.items() if k != alias}, canonical: record[alias]}
    unknown = sorted(set(record) - set(FIELDS))
    if unknown:
        errors.append(f"unknown field(s) {', '.join(unknown)} (known: {', '.join(FIELDS)})")
    question = _text(record.get("question"), "question", errors)
    answer = _text(record.get("answer"), "answer", errors)
    if question == "":
        errors.append("question is missing or empty")
    elif question is not None and len(question) > MAX_QUESTION:
        errors.append(f"question is longer than {MAX_QUESTION} characters")
    if answer == "":
        errors.append("answer is missing or empty")
    elif answer is not None and len(answer) > MAX_ANSWER:
        errors.append(f"answer is longer than {MAX_ANSWER} characters")
    key = record.get("id")
    if (key is not None and not isinstance(key, str | int)) or isinstance(key, bool):
        errors.append("id must be text or a number")
        key = None
    key_text = str(key).strip() if key is not None else None
    if key_text is not None and len(key_text) > 64:
        errors.append("id is longer than 64 characters")
    alternatives = _list(record.get("alternatives"), "alternatives", errors)
    if len(alternatives) > MAX_ALTERNATIVES:
        errors.append(f"more than {MAX_ALTERNATIVES} alternatives")
    if any(len(a) > MAX_QUESTION for a in alternatives):
        errors.append(f"an alternative is longer than {MAX_QUESTION} characters")
    tags = _list(record.get("tags"), "tags", errors)
    enabled = record.get("enabled", True)
    if isinstance(enabled, str):
        enabled = enabled.strip().lower() not in DISABLED
    if not isinstance(enabled, bool):
        errors.append("enabled must be true or false")
    if errors or question is None or answer is None:
        problems.append(Problem(line, "; ".join(errors)))
        return None
    return EntryRow(
        line=line,
        question=question,
        answer=answer,
        key=key_text or None,
        alternatives=tuple(dict.fromkeys(a for a in alternatives if a != question)),
        tags=tuple(dict.fromkeys(tags)),
        enabled=bool(enabled),
    )


def _text(value: Any, name: str, errors: list[str]) -> str | None:
    """A field as text: a number reads as its digits (YAML's ``answer: 10``), absent is
    empty; anything else is named in ``errors`` (None), since "missing" would mislead."""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    if value is None:
        return ""
    kind = {list: "a list", dict: "a table", bool: "true/false"}.get(type(value), "that")
    errors.append(f"{name} must be text, not {kind} (put it in quotes)")
    return None


def _list(value: Any, name: str, errors: list[str]) -> list[str]:
    if value is None or value == "":
        return []
    if isinstance(value, str):
        value = value.split(LIST_SEPARATOR)
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        errors.append(f"{name} must be a list of texts")
        return []
    return [item.strip() for item in value if item.strip()]


# -- readers: (line, record | Problem) ----------------------------------------


def _jsonl_rows(text: str) -> Iterable[tuple[int, Any]]:
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            yield number, json.loads(line)
        except json.JSONDecodeError as error:
            yield number, Problem(number, f"not valid JSON: {error.msg}")


def _csv_rows(text: str) -> Iterable[tuple[int, Any]]:
    reader = csv.DictReader(io.StringIO(text), strict=True)
    if reader.fieldnames is None:
        return
    start = 2
    records = iter(reader)
    while True:
        try:
            record = next(records)
        except StopIteration:
            return
        except csv.Error as error:  # read leniently, an open quote eats the rest of the file
            said = str(error)
            if "end of data" in said:
                said = 'a quote (") opens here and is never closed'
            yield start, Problem(start, f"broken quoting: {said}")
            return
        line, start = start, reader.line_num + 1
        if None in record:
            yield line, Problem(line, "more cells than columns (is a comma unquoted?)")
            continue
        if not any((value or "").strip() for value in record.values()):
            continue
        yield line, {k.strip(): v for k, v in record.items() if k and (v or "").strip()}


def _xlsx_rows(path: Path) -> list[tuple[int, Any]]:
    """The first sheet's rows under its header row, as CSV's: a cell is text, a number
    or a date (read as written), empty cells are left out."""
    import openpyxl  # a fifth of a second: only for a spreadsheet

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (OSError, zipfile.BadZipFile, KeyError, ValueError) as error:
        raise FormatError(f"{path.name}: not an Excel workbook (.xlsx): {error}") from None
    try:
        rows = book.worksheets[0].iter_rows(values_only=True) if book.worksheets else iter(())
        header = [str(cell).strip() if cell is not None else "" for cell in next(rows, ())]
        found: list[tuple[int, Any]] = []
        for number, cells in enumerate(rows, start=2):
            values = [_cell(value) for value in cells]
            named = zip(header, values, strict=False)
            record = {name: value for name, value in named if name and value != ""}
            if record:
                found.append((number, record))
            elif any(value != "" for value in values[len(header) :]):
                found.append((number, Problem(number, "a cell outside the named columns")))
        return found
    finally:
        book.close()


def _cell(value: Any) -> Any:
    """A spreadsheet cell as a field: text stripped; a whole number typed as one (an id
    of 12 reads 12, not 12.0); a date as it reads; true/false kept."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, datetime | date | time):
        return value.isoformat(sep=" ") if isinstance(value, datetime) else value.isoformat()
    return value


def _yaml_rows(text: str) -> Iterable[tuple[int, Any]]:
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = mark.line + 1 if mark else 1
        problem = getattr(error, "problem", None) or error
        raise FormatError(f"line {line}: not valid YAML: {problem}") from None
    if root is None:
        return
    if isinstance(root, yaml.MappingNode):
        items = [value for key, value in root.value if key.value == "entries"]
        root = items[0] if items else root
    if not isinstance(root, yaml.SequenceNode):
        raise FormatError("YAML must be a list of entries (or a mapping with 'entries:')")
    loader = yaml.SafeLoader("")
    for node in root.value:
        yield node.start_mark.line + 1, loader.construct_document(node)


# -- writers ------------------------------------------------------------------


def write_entries(path: Path, rows: Iterable[EntryRow]) -> int:
    """Write ``rows`` in the format the extension names; returns how many."""
    kind = format_of(path)
    records = [_record(row) for row in rows]
    if kind == "xlsx":
        _write_xlsx(path, [_flat(record) for record in records])
        return len(records)
    if kind == "jsonl":
        text = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)
    elif kind == "yaml":
        text = yaml.safe_dump(records, allow_unicode=True, sort_keys=False, width=1000)
    else:
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=list(FIELDS))
        writer.writeheader()
        for record in records:
            writer.writerow(_flat(record))
        text = buffer.getvalue()
    # A CSV starts with a byte-order mark, so Excel and WPS read the Chinese right
    # (reading skips it).
    path.write_text(text, encoding="utf-8-sig" if kind == "csv" else "utf-8")
    return len(records)


def _flat(record: dict[str, Any]) -> dict[str, Any]:
    """A record as one spreadsheet row: lists joined by ``|``, enabled as a word."""
    return {
        **record,
        "alternatives": LIST_SEPARATOR.join(record["alternatives"]),
        "tags": LIST_SEPARATOR.join(record["tags"]),
        "enabled": "true" if record["enabled"] else "false",
    }


def _write_xlsx(path: Path, rows: list[dict[str, Any]]) -> None:
    """One sheet, the header row frozen and in bold, every cell text (an id such as
    ``007`` stays as written, an answer starting with ``=`` is no formula), answers
    wrapped in a wide column."""
    import openpyxl  # a fifth of a second: only for a spreadsheet
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Alignment, Font

    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "FAQ"
    sheet.append(list(FIELDS))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for number, row in enumerate(rows, start=2):
        for column, name in enumerate(FIELDS, start=1):
            value = "" if row[name] is None else str(row[name])
            cell = sheet.cell(number, column, ILLEGAL_CHARACTERS_RE.sub("", value))
            cell.data_type = "s"
    for column, width in zip("ABCDEF", (10, 40, 60, 40, 20, 10), strict=True):
        sheet.column_dimensions[column].width = width
    for cell in sheet["C"][1:]:
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    sheet.freeze_panes = "A2"
    book.save(path)


def _record(row: EntryRow) -> dict[str, Any]:
    return {
        "id": row.key,
        "question": row.question,
        "answer": as_typed(row.answer),
        "alternatives": list(row.alternatives),
        "tags": list(row.tags),
        "enabled": row.enabled,
    }
