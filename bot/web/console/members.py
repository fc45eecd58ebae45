"""Finding a member: by name, username or id, leading to their page."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.web.console.section import Section


class MembersPage(Section):
    def routes(self) -> list[Route]:
        return [Route("/members", self.search, methods=["GET"])]

    async def search(self, request: Request) -> Response:
        site = self.site
        viewer = await site.staff(request)
        if isinstance(viewer, Response):
            return viewer
        needle = request.query_params.get("q", "").strip()[:100]
        found = (
            await site.app.storage.run(lambda repos: repos.users.search(needle)) if needle else []
        )
        rows = [
            {
                "account": f"{u.platform}:{u.external_id}",
                "name": u.display_name,
                "username": u.username,
                "platform": u.platform,
            }
            for u in found
        ]
        return site.page("members.html", viewer=viewer, needle=needle, rows=rows)
