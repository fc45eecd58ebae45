"""The knowledge base: search and list entries, create, edit, switch off, import
and export files, the misses grouped by similarity (each a click from becoming an
entry), how the bot currently decides to answer, and the members' and staff's
verdicts it learns that from (each one can be left out and taken back).

Changes go through the moderators' own commands (``/addfaq``, ``/editfaq``) from
the signed-in account, so the checks (length, duplicates, safe answer HTML) are
the chat's; imports use the command line's import plan.
"""

from __future__ import annotations

import secrets
import tempfile
from pathlib import Path
from typing import Any

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from bot.web.console.section import Section
from faq.answer_html import as_typed
from faq.formats import LIST_SEPARATOR, FormatError, read_entries, write_entries
from handlers.commands import LARGEST_NUMBER
from handlers.faq.confidence import measure_text
from handlers.faq.library import FaqLibrary
from handlers.faq.manage import MISSES_DAYS, top_misses
from handlers.faq.transfer import apply_import, export_rows, plan_import
from storage.records import FaqEntryRecord
from storage.repositories import Repositories

SHOWN = 200
#: The newest verdicts shown beside the calibration.
FEEDBACK_SHOWN = 20
#: The fields of an entry the edit form changes, as ``/editfaq`` names them.
EDITABLE = {"question": "question", "answer": "answer", "alternatives": "alt", "tags": "tags"}
MAX_UPLOAD = 5 * 1024 * 1024


class FaqPage(Section):
    def routes(self) -> list[Route]:
        return [
            Route("/faq", self.page, methods=["GET"]),
            Route("/faq/new", self.create, methods=["POST"]),
            Route("/faq/export.jsonl", self.export, methods=["GET"]),
            Route("/faq/import", self.import_file, methods=["POST"]),
            Route("/faq/feedback", self.feedback, methods=["POST"]),
            Route("/faq/{number:int}", self.entry, methods=["GET"]),
            Route("/faq/{number:int}", self.edit, methods=["POST"]),
        ]

    @property
    def library(self) -> FaqLibrary:
        return self.site.app.faq

    async def page(self, request: Request) -> Response:
        site = self.site
        viewer = await site.owner(request)
        if isinstance(viewer, Response):
            return viewer
        needle = request.query_params.get("q", "").strip()[:200]
        now = site.now()

        async def read(repos: Repositories) -> dict[str, Any]:
            await self.library.ensure_loaded(repos)
            if needle:
                ids = [int(m.key) for m in self.library.search(needle, limit=10)]
                ids += [e.id for e in await repos.faq.search_text(needle, limit=20)]
                entries = await repos.faq.by_ids(list(dict.fromkeys(ids)))
                order = {entry_id: n for n, entry_id in enumerate(dict.fromkeys(ids))}
                entries.sort(key=lambda e: order[e.id])
            else:
                entries = await repos.faq.entries()
            total = len(entries)
            entries = entries[:SHOWN]
            usage = await repos.faq.usage([e.id for e in entries])
            misses = await top_misses(self.library, repos, now, MISSES_DAYS)
            verdicts = await repos.faq.feedback(FEEDBACK_SHOWN, with_excluded=True)
            return {
                "verdicts": [
                    {
                        "ref": v.ref,
                        "kind": v.kind,
                        "entry": v.entry_id,
                        "question": v.question,
                        "at": site.shown_time(v.at),
                        "excluded": v.excluded,
                    }
                    for v in verdicts
                ],
                "total": total,
                "entries": [
                    {
                        "id": e.id,
                        "question": e.question,
                        "enabled": e.enabled,
                        "uses": usage.get(e.id, (0, 0, 0)),
                    }
                    for e in entries
                ],
                "misses": misses,
            }

        found = await site.app.storage.run(read)
        in_force = self.library.in_force()
        rule, calibration = in_force.rule, in_force.calibration
        measure, values = measure_text(rule)
        figures = {
            "threshold": f"{rule.threshold:.2f}",
            "measure": site.texts.plain(measure, **values),
            "state": in_force.state.value,
            "configured_risk": f"{self.library.config.max_false_answer_rate:.0%}",
            "correct": f"{calibration.correct:.0%}" if calibration else "—",
            "false": f"{calibration.false_bound:.1%}" if calibration else "—",
            "risk": f"{calibration.max_false:.0%}" if calibration else "—",
        }
        return site.page(
            "faq.html",
            viewer=viewer,
            needle=needle,
            figures=figures,
            days=MISSES_DAYS,
            notes=site.channel.take_notes(viewer.account),
            nonce=secrets.token_urlsafe(16),
            prefill=request.query_params.get("question", "")[:200],
            **found,
        )

    async def create(self, request: Request) -> Response:
        site = self.site
        outcome = await site.changed(request)
        if isinstance(outcome, Response):
            return outcome
        viewer, form = outcome
        question = " ".join(form.get("question", "").split())
        answer = form.get("answer", "").strip()
        if question and answer and viewer.role.value == "owner":
            nonce = form.get("nonce", "") or secrets.token_urlsafe(16)
            await site.command(viewer, "addfaq", f"{question} {LIST_SEPARATOR} {answer}", nonce)
            await site.audit_change(viewer, "faq_add", "faq", {"question": question})
        return RedirectResponse("/console/faq", 303)

    async def _stored(self, number: int) -> FaqEntryRecord | None:
        """The entry a page's number names; a number beyond any id (a typed URL) is
        simply not found, not a database error."""
        if number > LARGEST_NUMBER:
            return None
        return await self.site.app.storage.run(lambda repos: repos.faq.get(number))

    async def entry(self, request: Request) -> Response:
        site = self.site
        viewer = await site.owner(request)
        if isinstance(viewer, Response):
            return viewer
        number = request.path_params["number"]
        entry = await self._stored(number)
        if entry is None:
            message = site.texts.plain("faq.not_found", id=number)
            return site.page("message.html", 404, viewer=viewer, message=message)
        return site.page(
            "faq_entry.html",
            viewer=viewer,
            entry=entry,
            answer=as_typed(entry.answer),  # as its author typed it, not as stored HTML
            alternatives=f" {LIST_SEPARATOR} ".join(entry.alternatives),
            tags=f" {LIST_SEPARATOR} ".join(entry.tags),
            notes=site.channel.take_notes(viewer.account),
            nonce=secrets.token_urlsafe(16),
        )

    async def edit(self, request: Request) -> Response:
        """Each changed field is one ``/editfaq``; on/off switches the entry."""
        site = self.site
        outcome = await site.changed(request)
        if isinstance(outcome, Response):
            return outcome
        viewer, form = outcome
        number = request.path_params["number"]
        here = RedirectResponse(f"/console/faq/{number}", 303)
        entry = await self._stored(number)
        if entry is None or viewer.role.value != "owner":
            return here
        nonce = form.get("nonce", "") or secrets.token_urlsafe(16)
        switch = form.get("switch", "")
        if switch in ("on", "off"):
            await site.command(viewer, "editfaq", f"{number} {switch}", f"{nonce}-{switch}")
            await site.audit_change(viewer, f"faq_{switch}", f"faq:{number}")
            return here
        stored = {
            "question": entry.question,
            "answer": as_typed(entry.answer),
            "alternatives": f" {LIST_SEPARATOR} ".join(entry.alternatives),
            "tags": f" {LIST_SEPARATOR} ".join(entry.tags),
        }
        for field, command_field in EDITABLE.items():
            value = form.get(field, "").strip()
            if field in form and value != stored[field].strip():
                # An emptied list is written as "-", which /editfaq reads as none.
                value = value or ("-" if field in ("alternatives", "tags") else "")
                if value:
                    args = f"{number} {command_field} {value}"
                    await site.command(viewer, "editfaq", args, f"{nonce}-{field}")
                    await site.audit_change(viewer, "faq_edit", f"faq:{number}", {"field": field})
        return here

    async def feedback(self, request: Request) -> Response:
        """Leave one verdict out of the calibration, or take it back in (owners)."""
        site = self.site
        outcome = await site.changed(request)
        if isinstance(outcome, Response):
            return outcome
        viewer, form = outcome
        ref, leave_out = form.get("ref", "")[:24], form.get("action") == "exclude"
        if viewer.role.value == "owner" and form.get("action") in ("exclude", "restore"):
            at = site.now() if leave_out else None
            changed = await site.app.storage.run(lambda repos: repos.faq.exclude_feedback(ref, at))
            if changed:
                action = "faq_feedback_exclude" if leave_out else "faq_feedback_restore"
                await site.audit_change(viewer, action, f"feedback:{ref}")
        return RedirectResponse("/console/faq#feedback", 303)

    async def export(self, request: Request) -> Response:
        site = self.site
        viewer = await site.owner(request)
        if isinstance(viewer, Response):
            return viewer
        entries = await site.app.storage.run(lambda repos: repos.faq.entries())
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "faq.jsonl"
            write_entries(path, export_rows(entries))
            body = path.read_bytes()
        await site.audit_change(viewer, "faq_export", "faq")
        return Response(
            body,
            media_type="application/x-ndjson; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="faq.jsonl"'},
        )

    async def import_file(self, request: Request) -> Response:
        """A .jsonl, .csv, .yaml or .xlsx file, as ``shequn faq import`` reads it: any bad row
        and nothing is imported, with the rows' problems shown."""
        site = self.site
        viewer = await site.viewer(request)
        if viewer is None:
            return site.to_signin()
        async with request.form(max_part_size=MAX_UPLOAD) as form:
            if not secrets.compare_digest(str(form.get("csrf", "")), viewer.csrf):
                return site.page("message.html", 403, message=site.texts.plain("console_ui.csrf"))
            upload = form.get("file")
            if viewer.role.value != "owner" or not isinstance(upload, UploadFile):
                return RedirectResponse("/console/faq", 303)
            name = Path(upload.filename or "faq.jsonl").name
            data = await upload.read(MAX_UPLOAD + 1)
        texts = site.texts
        if len(data) > MAX_UPLOAD:
            return site.page(
                "message.html", 413, viewer=viewer, message=texts.plain("console_ui.too_big")
            )
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / name
            path.write_bytes(data)
            try:
                result = read_entries(path)
            except FormatError as error:
                return site.page("message.html", 400, viewer=viewer, message=str(error))
        now = site.now()

        async def apply(repos: Repositories) -> tuple[list[str], dict[str, int]]:
            plan = plan_import(await repos.faq.entries(), result.rows)
            problems = sorted([*result.problems, *plan.problems], key=lambda p: p.line)
            if problems:
                return [str(p) for p in problems], {}
            await apply_import(repos, plan, now)
            counts = {"added": len(plan.new), "updated": len(plan.changed), "same": plan.unchanged}
            return [], counts

        problems, counts = await site.app.storage.run(apply)
        if problems:
            return site.page("faq_import.html", 400, viewer=viewer, problems=problems[:50])
        await site.app.storage.run(self.library.refresh)  # answer from it at once
        await site.audit_change(viewer, "faq_import", "faq", counts)
        message = texts.plain("console_ui.imported", **counts)
        return site.page("message.html", viewer=viewer, message=message)
