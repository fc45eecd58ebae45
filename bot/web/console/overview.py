"""The overview page: the community's charts for a date range, one chat or all,
and each chart as CSV."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.web.console.charts import draw
from bot.web.console.section import Section
from handlers.desk import community_groups
from handlers.overview import MAX_DAYS, Chart, Period, as_csv_rows, overview
from storage.repositories import Repositories

if TYPE_CHECKING:
    from bot.web.console.site import Viewer


class OverviewPage(Section):
    def routes(self) -> list[Route]:
        return [
            Route("/overview", self.page, methods=["GET"]),
            Route("/overview/{chart:str}.csv", self.csv, methods=["GET"]),
        ]

    def period(self, request: Request) -> tuple[Period, bool]:
        """The range asked for, or the last twelve weeks; False when what was asked
        could not be read (the page says so and shows the default)."""
        zone = self.site.app.community.timezone
        today = self.site.now().astimezone(zone).date()
        default = Period.ending(today, zone)
        raw_first, raw_last = request.query_params.get("from"), request.query_params.get("to")
        if not raw_first and not raw_last:
            return default, True
        try:
            first = date.fromisoformat(raw_first) if raw_first else default.first
            last = date.fromisoformat(raw_last) if raw_last else today
        except ValueError:
            return default, False
        if last < first or (last - first).days >= MAX_DAYS:
            return default, False
        return Period(first, min(last, today + timedelta(days=1)), zone), True

    async def charts(
        self, request: Request, viewer: Viewer
    ) -> tuple[Period, bool, list[Any], int | None, list[Chart]]:
        """The charts asked for; a group's admin sees only their groups (the first of
        them unless they picked another)."""
        site = self.site
        period, understood = self.period(request)
        raw_chat = request.query_params.get("chat", "")
        asked = int(raw_chat) if raw_chat.isdigit() else None
        now = site.now()

        async def read(repos: Repositories) -> tuple[list[Any], int | None, list[Chart]]:
            groups = await community_groups(repos, site.app.settings.staff, one_to_one=True)
            chats = [c for c in groups if viewer.sees(c.id)]
            chosen = asked if any(c.id == asked for c in chats) else None
            if chosen is None and viewer.chats is not None:
                if not chats:
                    return chats, None, []
                chosen = chats[0].id
            return chats, chosen, await overview(repos, period, site.escalation, now, chosen)

        chats, chosen, charts = await site.app.storage.run(read)
        return period, understood, chats, chosen, charts

    def names(self) -> dict[str, str]:
        texts = self.site.texts
        return {
            key: texts.plain(f"console_ui.series_{key}")
            for key in (
                "joins",
                "leaves",
                "members",
                "activated_3",
                "activated_7",
                "activated_14",
                "messages",
                "answered",
                "suggested",
                "missed",
                "severity_crisis",
                "severity_high",
                "severity_low",
                "first_response_median",
                "within_target",
                "points",
            )
        }

    async def page(self, request: Request) -> Response:
        site = self.site
        viewer = await site.owner(request, groups=True)
        if isinstance(viewer, Response):
            return viewer
        period, understood, chats, chosen, charts = await self.charts(request, viewer)
        names, texts = self.names(), site.texts
        query = f"from={period.first}&to={period.last}" + (f"&chat={chosen}" if chosen else "")
        drawn = [
            {
                "key": chart.key,
                "title": texts.plain(f"console_ui.chart_{chart.key}"),
                "svg": draw(chart, names, texts.plain(f"console_ui.chart_{chart.key}")),
                "csv": f"/console/overview/{chart.key}.csv?{query}",
            }
            for chart in charts
        ]
        return site.page(
            "overview.html",
            viewer=viewer,
            charts=drawn,
            chats=[
                {"id": c.id, "title": c.title or c.external_id, "platform": c.platform}
                for c in chats
            ],
            chosen=chosen,
            first=period.first.isoformat(),
            last=period.last.isoformat(),
            understood=understood,
        )

    async def csv(self, request: Request) -> Response:
        site = self.site
        viewer = await site.owner(request, groups=True)
        if isinstance(viewer, Response):
            return viewer
        key = request.path_params["chart"]
        period, _, _, _, charts = await self.charts(request, viewer)
        chart = next((c for c in charts if c.key == key), None)
        if chart is None:
            return Response(status_code=404)
        out = io.StringIO()
        csv.writer(out).writerows(as_csv_rows(chart, self.names()))
        name = f"{key}-{period.first}-{period.last}.csv"
        return Response(
            "\ufeff" + out.getvalue(),  # a BOM, so spreadsheet programs read the Chinese right
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )
