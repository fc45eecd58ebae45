"""Topics: every group's schedules with their next slots, the pools, pause and
resume (the ``/schedule`` command's own rule), and how many took part in each of
the latest topics."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from bot.web.console.section import Section
from handlers.desk import community_groups
from handlers.topics.commands import UPCOMING, change_schedule
from handlers.topics.slots import CronError, next_slots
from handlers.topics.titles import title
from storage.repositories import Repositories

CHANGES = ("pause", "resume")


class TopicsPage(Section):
    def routes(self) -> list[Route]:
        return [
            Route("/topics", self.page, methods=["GET"]),
            Route("/topics/schedules/{number:int}", self.change, methods=["POST"]),
        ]

    async def page(self, request: Request) -> Response:
        site = self.site
        viewer = await site.owner(request, groups=True)
        if isinstance(viewer, Response):
            return viewer
        zone, now, texts = site.app.community.timezone, site.now(), site.texts

        def upcoming(cron: str) -> str:
            try:
                slots = next_slots(cron, zone, now, UPCOMING)
            except CronError:
                return "—"
            return ", ".join(site.shown_time(slot) for slot in slots) or "—"

        async def read(repos: Repositories) -> dict[str, Any]:
            sizes = await repos.topics.pool_sizes()
            groups = []
            for chat in await community_groups(repos, site.app.settings.staff, one_to_one=True):
                if not viewer.sees(chat.id):
                    continue
                schedules = await repos.topics.schedules(chat.id)
                posts = await repos.topics.posts(chat.id, limit=10)
                if not schedules and not posts:
                    continue
                recent = []
                for post in posts:
                    topic = await repos.topics.get_topic(post.topic_id) if post.topic_id else None
                    recent.append(
                        {
                            "at": site.shown_time(post.posted_at or post.slot_at),
                            "text": topic.text[:120] if topic else "—",
                            "status": post.status,
                            "participants": post.participants,
                        }
                    )
                groups.append(
                    {
                        "chat": chat.title or chat.external_id,
                        "schedules": [
                            {
                                "id": s.id,
                                "name": title(texts, s.name),
                                "cron": s.cron,
                                "pool": title(texts, s.pool),
                                "size": sizes.get(s.pool, 0),
                                "paused": s.paused,
                                "next": "—" if s.paused else upcoming(s.cron),
                            }
                            for s in schedules
                        ],
                        "recent": recent,
                    }
                )
            pools = [(title(texts, name), size) for name, size in sorted(sizes.items())]
            return {"groups": groups, "pools": pools}

        found = await site.app.storage.run(read)
        return site.page("topics.html", viewer=viewer, zone=str(zone), **found)

    async def change(self, request: Request) -> Response:
        site = self.site
        outcome = await site.changed(request, groups=True)
        if isinstance(outcome, Response):
            return outcome
        viewer, form = outcome
        number, action = request.path_params["number"], form.get("action", "")
        if action in CHANGES:
            now = site.now()

            async def apply(repos: Repositories) -> bool:
                schedule = next((s for s in await repos.topics.schedules() if s.id == number), None)
                if schedule is None or not viewer.sees(schedule.chat_id):
                    return False
                return await change_schedule(repos, number, schedule.chat_id, action, now)

            if await site.app.storage.run(apply):
                await site.audit_change(viewer, f"schedule_{action}", f"schedule:{number}")
        return RedirectResponse("/console/topics", 303)
