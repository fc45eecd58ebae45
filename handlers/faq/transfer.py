"""Importing and exporting the knowledge base (``shequn faq import|export``).

An import is planned against the stored entries first, so a conflict is
reported like any bad row and, without ``--skip-bad``, nothing is written.
Rows are matched to stored entries by ``id`` (key), else by question, so
importing the same file twice changes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from faq.answer_html import sanitize_answer
from faq.formats import EntryRow, Problem, fold_question
from storage.records import FaqEntryRecord
from storage.repositories import Repositories


@dataclass(slots=True)
class ImportPlan:
    new: list[EntryRow] = field(default_factory=list)
    changed: list[tuple[FaqEntryRecord, EntryRow]] = field(default_factory=list)
    unchanged: int = 0
    problems: list[Problem] = field(default_factory=list)


def plan_import(stored: Sequence[FaqEntryRecord], rows: Sequence[EntryRow]) -> ImportPlan:
    by_key = {entry.key: entry for entry in stored if entry.key}
    by_question = {fold_question(entry.question): entry for entry in stored}
    plan = ImportPlan()
    for row in rows:
        same_question = by_question.get(fold_question(row.question))
        target = by_key.get(row.key) if row.key else None
        if target is None and same_question is not None:
            if row.key and same_question.key not in (None, row.key):
                plan.problems.append(
                    Problem(
                        row.line,
                        f"question already exists as entry #{same_question.id}"
                        f" with id {same_question.key}",
                    )
                )
                continue
            target = same_question
        if same_question is not None and target is not None and same_question.id != target.id:
            plan.problems.append(
                Problem(row.line, f"question already belongs to entry #{same_question.id}")
            )
            continue
        if target is None:
            plan.new.append(row)
        elif _differs(target, row):
            plan.changed.append((target, row))
        else:
            plan.unchanged += 1
    return plan


async def apply_import(repos: Repositories, plan: ImportPlan, at: datetime) -> list[FaqEntryRecord]:
    """Write the plan; returns the stored records (for an in-process index)."""
    records: list[FaqEntryRecord] = []
    for row in plan.new:
        records.append(
            await repos.faq.add(
                row.question,
                sanitize_answer(row.answer),
                at,
                alternatives=row.alternatives,
                tags=row.tags,
                key=row.key,
                enabled=row.enabled,
            )
        )
    for entry, row in plan.changed:
        updated = await repos.faq.update(
            entry.id,
            at,
            question=row.question,
            answer=sanitize_answer(row.answer),
            alternatives=row.alternatives,
            tags=row.tags,
            enabled=row.enabled,
            key=row.key or entry.key,
        )
        if updated is not None:
            records.append(updated)
    return records


def export_rows(entries: Sequence[FaqEntryRecord]) -> list[EntryRow]:
    """Stored entries as file rows; entries without a key get ``#ID`` as theirs."""
    return [
        EntryRow(
            line=0,
            question=entry.question,
            answer=entry.answer,
            key=entry.key or str(entry.id),
            alternatives=entry.alternatives,
            tags=entry.tags,
            enabled=entry.enabled,
        )
        for entry in entries
    ]


def _differs(entry: FaqEntryRecord, row: EntryRow) -> bool:
    return (
        entry.question != row.question
        or entry.answer != sanitize_answer(row.answer)
        or entry.alternatives != row.alternatives
        or entry.tags != row.tags
        or entry.enabled != row.enabled
        or (row.key is not None and entry.key != row.key)
    )
