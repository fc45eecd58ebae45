"""Points: each group's leaders, the rewards and their stock, and redemptions
waiting for staff (Fulfilled / Refuse with refund, through the same handler as
the buttons on the staff chat's redemption card)."""

from __future__ import annotations

import secrets
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from bot.web.console.section import Section
from handlers.desk import community_groups
from handlers.points.rewards import PREFIX
from storage.repositories import Repositories


class PointsPage(Section):
    def routes(self) -> list[Route]:
        return [
            Route("/points", self.page, methods=["GET"]),
            Route("/points/redemptions/{number:int}", self.decide, methods=["POST"]),
        ]

    async def page(self, request: Request) -> Response:
        site = self.site
        viewer = await site.owner(request)
        if isinstance(viewer, Response):
            return viewer
        config = site.app.settings.points
        texts = site.texts

        async def read(repos: Repositories) -> dict[str, Any]:
            leaders = []
            for chat in await community_groups(repos, site.app.settings.staff, one_to_one=True):
                top = await repos.points.top(chat.id, limit=10)
                if top:
                    leaders.append({"chat": chat.title or chat.external_id, "top": top})
            rewards = [
                {
                    "id": r.id,
                    "name": r.label(texts),
                    "cost": r.cost,
                    "left": await repos.points.stock(r.id, r.stock),
                }
                for r in config.rewards
            ]
            waiting = []
            for redemption in await repos.points.redemptions_waiting():
                member = await repos.users.get_by_id(redemption.user_id)
                reward = config.reward(redemption.item)
                waiting.append(
                    {
                        "id": redemption.id,
                        "member": member.display_name if member else "—",
                        "account": f"{member.platform}:{member.external_id}" if member else "",
                        "item": reward.label(texts) if reward else redemption.item,
                        "cost": redemption.cost,
                        "at": site.shown_time(redemption.created_at),
                    }
                )
            return {"leaders": leaders, "rewards": rewards, "waiting": waiting}

        found = await site.app.storage.run(read)
        notes = site.channel.take_notes(viewer.account)
        return site.page(
            "points.html", viewer=viewer, notes=notes, nonce=secrets.token_urlsafe(16), **found
        )

    async def decide(self, request: Request) -> Response:
        site = self.site
        outcome = await site.changed(request)
        if isinstance(outcome, Response):
            return outcome
        viewer, form = outcome
        number = request.path_params["number"]
        decision = form.get("decision", "")
        if decision in ("done", "refuse"):
            nonce = form.get("nonce", "") or secrets.token_urlsafe(16)
            await site.press(viewer, f"{PREFIX}{decision}:{number}", nonce)
            await site.audit_change(viewer, f"redemption_{decision}", f"redemption:{number}")
        return RedirectResponse("/console/points", 303)
