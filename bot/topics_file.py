"""Topic pool files for ``shequn topics import``: YAML (a list of {pool, text})
or CSV (columns pool, text), every problem reported with its line."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import yaml

from faq.formats import FormatError, Problem, read_text

MAX_TOPIC = 3500


def read_topics(path: Path) -> tuple[list[tuple[int, str, str]], list[Problem]]:
    """(line, pool, text) rows and problems; raises FormatError if the file is unusable."""
    suffix = path.suffix.lower()
    if suffix not in (".yaml", ".yml", ".csv"):
        raise FormatError(f"{path.name}: unknown format; use .yaml, .yml or .csv")
    text = read_text(path)
    raw = _yaml(text) if suffix in (".yaml", ".yml") else _csv(text)
    rows: list[tuple[int, str, str]] = []
    problems: list[Problem] = []
    seen: dict[tuple[str, str], int] = {}
    for line, record in raw:
        pool = str(record.get("pool") or "").strip().lower() if isinstance(record, dict) else ""
        topic = str(record.get("text") or "").strip() if isinstance(record, dict) else ""
        if not pool or not topic:
            problems.append(Problem(line, "needs a pool and a text"))
        elif len(pool) > 32 or not pool.replace("_", "").isalnum():
            problems.append(Problem(line, "pool must be a short name (letters, digits, _)"))
        elif len(topic) > MAX_TOPIC:
            problems.append(Problem(line, f"text is longer than {MAX_TOPIC} characters"))
        elif (pool, topic) in seen:
            problems.append(Problem(line, f"duplicate of line {seen[(pool, topic)]}"))
        else:
            seen[(pool, topic)] = line
            rows.append((line, pool, topic))
    return rows, problems


def _yaml(text: str) -> list[tuple[int, Any]]:
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as error:
        raise FormatError(f"not valid YAML: {error}") from None
    if root is None:
        return []
    if not isinstance(root, yaml.SequenceNode):
        raise FormatError("YAML must be a list of {pool, text}")
    loader = yaml.SafeLoader("")
    return [(node.start_mark.line + 1, loader.construct_document(node)) for node in root.value]


#: Header names people write for the two columns (as Excel users in China would).
HEADERS = {"pool": "pool", "话题池": "pool", "池": "pool", "text": "text", "内容": "text",
           "话题": "text", "话题内容": "text", "topic": "text"}  # fmt: skip


def _csv(text: str) -> list[tuple[int, Any]]:
    reader = csv.DictReader(io.StringIO(text))
    names = reader.fieldnames or []
    columns = [HEADERS.get((name or "").strip().lower()) for name in names]
    if not {"pool", "text"} <= set(columns):
        raise FormatError(
            f"the first row must name the columns pool,text (or 话题池,内容); it is "
            f"{','.join(names)!r}"
        )
    reader.fieldnames = [column or name for column, name in zip(columns, names, strict=True)]
    rows: list[tuple[int, Any]] = []
    start = 2
    for record in reader:
        line, start = start, reader.line_num + 1
        rows.append((line, record))
    return rows
