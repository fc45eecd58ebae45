"""The console's pages: sign-in by one-time link, the ticket queue, a ticket with its
history and the desk's actions, a member's data (export, erasure), the audit log.

Server-rendered (Jinja2, every value escaped), with no script or style from
anywhere but this server. Every change is a POST carrying the session's CSRF token
and a one-time form nonce (a resubmitted form changes nothing twice), and is written
to the audit log. Desk actions are not done here: they enter the dispatcher as
presses and commands from the signed-in account (:mod:`bot.web.console.channel`).
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from bot.app import App
from bot.web.console.channel import PLATFORM, ConsoleChannel
from bot.web.console.faq import FaqPage
from bot.web.console.members import MembersPage
from bot.web.console.overview import OverviewPage
from bot.web.console.points import PointsPage
from bot.web.console.topics import TopicsPage
from handlers.commands import LARGEST_NUMBER
from handlers.console import ConsoleRole, ConsoleSettings, console_role
from handlers.escalation.cards import PREFIX
from handlers.escalation.settings import EscalationSettings
from handlers.escalation.views import GRADE_CHANGES
from handlers.events import (
    ButtonPressed,
    ChatKind,
    ChatRef,
    CommandIssued,
    Incoming,
    MessageRef,
    UserRef,
)
from handlers.i18n import Texts, shortened
from handlers.privacy import export, forget
from storage.records import TicketRecord
from storage.repositories import Repositories

COOKIE = "shequn_console"
HERE = Path(__file__).parent
#: Desk actions a ticket page offers, as the card's button data.
DESK_ACTIONS = frozenset({"claim", "resolve", "escalate"})
SEVERITY_ORDER = {"crisis": 0, "high": 1, "low": 2}


@dataclass(frozen=True, slots=True)
class Viewer:
    """The signed-in account, what it may do, and its session's CSRF token."""

    account: str
    role: ConsoleRole
    csrf: str
    token: str
    #: The chats a group's admin may see; None: every chat.
    chats: frozenset[int] | None = None
    #: Whether the page was asked for over HTTPS (the cookie is then Secure).
    secure: bool = False

    def sees(self, chat_id: int | None) -> bool:
        return self.chats is None or chat_id in self.chats

    @property
    def platform(self) -> str:
        return self.account.split(":", 1)[0]

    @property
    def user_id(self) -> str:
        return self.account.split(":", 1)[1]


def over_https(request: Request) -> bool:
    """Asked for over HTTPS, directly or through a proxy that terminates it."""
    return request.url.scheme == "https" or (
        request.headers.get("x-forwarded-proto", "").lower() == "https"
    )


class ConsoleSite:
    def __init__(self, app: App, settings: ConsoleSettings) -> None:
        self.app = app
        self.settings = settings
        self.channel = ConsoleChannel(self.routes)
        self._labels: dict[tuple[Any, ...], str] = {}
        self.sections = [
            OverviewPage(self),
            MembersPage(self),
            PointsPage(self),
            TopicsPage(self),
            FaqPage(self),
        ]
        self._pages = Environment(
            loader=FileSystemLoader(HERE / "templates"),
            autoescape=select_autoescape(default=True),
        )
        # ISO times (a member's exported data) shown in the community's time.
        self._pages.filters["local"] = lambda iso: (
            self.shown_time(datetime.fromisoformat(iso)) if iso else "—"
        )

    # -- plumbing ------------------------------------------------------------

    @property
    def texts(self) -> Texts:
        return self.app.texts

    def label(self, key: str, **values: Any) -> str:
        """A plain text of the catalog, remembered: a queue of hundreds of tickets
        repeats the same few severities, states and minutes."""
        found = (key, *sorted(values.items()))
        text = self._labels.get(found)
        if text is None:
            if len(self._labels) > 10_000:
                self._labels.clear()
            text = self._labels[found] = self.texts.plain(key, **values)
        return text

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/console", lambda _: RedirectResponse("/console/", 308)),
            Mount(
                "/console",
                routes=[
                    Route("/", self.queue, methods=["GET"]),
                    Route("/signin", self.signin, methods=["GET"]),
                    Route("/login", self.login_page, methods=["GET"]),
                    Route("/login", self.login, methods=["POST"]),
                    Route("/logout", self.logout, methods=["POST"]),
                    Route("/state", self.state, methods=["GET"]),
                    Route("/tickets/{number:int}", self.ticket, methods=["GET"]),
                    Route("/tickets/{number:int}", self.act, methods=["POST"]),
                    Route("/members/{account:str}", self.member, methods=["GET"]),
                    Route("/members/{account:str}/export", self.member_export, methods=["GET"]),
                    Route("/members/{account:str}/forget", self.member_forget, methods=["POST"]),
                    Route("/audit", self.audit, methods=["GET"]),
                    *(route for section in self.sections for route in section.routes()),
                    Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
                ],
            ),
        ]

    def page(self, name: str, status: int = 200, **values: Any) -> HTMLResponse:
        html = self._pages.get_template(name).render(
            t=self.label, language=self.app.community.language, **values
        )
        viewer = values.get("viewer")
        headers = {
            "Content-Security-Policy": (
                "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; "
                "form-action 'self'; base-uri 'none'"
            ),
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer",
            "Cache-Control": "no-store",
        }
        response = HTMLResponse(html, status, headers=headers)
        if isinstance(viewer, Viewer):
            self.keep_cookie(response, viewer.token, secure=viewer.secure)
        return response

    def keep_cookie(self, response: Response, token: str, *, secure: bool) -> None:
        """The session's cookie, its lifetime counted again from this page: the browser
        keeps it as long as the server does (``idle_hours`` after the last page)."""
        response.set_cookie(
            COOKIE,
            token,
            max_age=self.settings.idle_hours * 3600,
            path="/console",
            httponly=True,
            samesite="lax",
            secure=secure,
        )

    def now(self) -> datetime:
        return self.app.clock.now()

    async def viewer(self, request: Request) -> Viewer | None:
        token = request.cookies.get(COOKIE)
        if not token:
            return None
        idle = timedelta(hours=self.settings.idle_hours)
        found = await self.app.storage.run(
            lambda repos: repos.console.session(token, self.now(), idle)
        )
        if found is None:
            return None
        role = console_role(self.app.community, found.account)
        secure = over_https(request)
        if found.chats is not None:  # a group's admin, signed in from that group
            chats = frozenset(found.chats)
            return Viewer(found.account, ConsoleRole.MODERATOR, found.csrf, token, chats, secure)
        if role is None:  # taken off the config's lists since signing in
            return None
        return Viewer(found.account, role, found.csrf, token, secure=secure)

    async def owner(self, request: Request, *, groups: bool = False) -> Viewer | Response:
        """The viewer of an owners' page, or the answer for anyone else: sign in first,
        or a page saying it is for owners. With ``groups``, a group's admin may see
        it too (limited to their groups by the page)."""
        viewer = await self.viewer(request)
        if viewer is None:
            return self.to_signin()
        allowed = {ConsoleRole.OWNER, ConsoleRole.MODERATOR} if groups else {ConsoleRole.OWNER}
        if viewer.role not in allowed:
            message = self.texts.plain("console_ui.owners_only")
            return self.page("message.html", 403, viewer=viewer, message=message)
        return viewer

    async def staff(self, request: Request) -> Viewer | Response:
        """The viewer of a desk page (tickets, members): staff and owners; a group's
        admin is taken to their group's overview."""
        viewer = await self.viewer(request)
        if viewer is None:
            return self.to_signin()
        if viewer.role is ConsoleRole.MODERATOR:
            return RedirectResponse("/console/overview", 303)
        return viewer

    def to_signin(self) -> Response:
        response = RedirectResponse("/console/signin", 303)
        response.delete_cookie(COOKIE, path="/console")
        return response

    async def changed(
        self, request: Request, *, groups: bool = False
    ) -> tuple[Viewer, dict[str, str]] | Response:
        """The viewer of a POST and its form, or the refusal: signed out, bad CSRF, or a
        group's admin changing what only staff may (unless ``groups``)."""
        viewer = await self.viewer(request)
        if viewer is None:
            return self.to_signin()
        if viewer.role is ConsoleRole.MODERATOR and not groups:
            return self.page(
                "message.html", 403, viewer=viewer, message=self.label("console_ui.owners_only")
            )
        form = {key: str(value) for key, value in (await request.form()).items()}
        if not secrets.compare_digest(form.get("csrf", ""), viewer.csrf):
            return self.page("message.html", 403, message=self.texts.plain("console_ui.csrf"))
        return viewer, form

    async def audit_change(
        self, viewer: Viewer, action: str, target: str, detail: dict[str, Any] | None = None
    ) -> None:
        await self.app.storage.run(
            lambda repos: repos.console.audit(viewer.account, action, target, self.now(), detail)
        )

    # -- signing in and out --------------------------------------------------

    async def signin(self, request: Request) -> Response:
        return self.page("signin.html")

    async def login_page(self, request: Request) -> Response:
        """A page with a button: opening the link (or a chat app fetching its preview)
        uses nothing; pressing the button signs in."""
        token = request.query_params.get("token", "")
        usable = bool(token) and await self.app.storage.run(
            lambda repos: repos.console.link_usable(token, self.now())
        )
        if not usable:
            return self.page("message.html", 403, message=self.texts.plain("console_ui.link_bad"))
        return self.page("login.html", token=token)

    async def login(self, request: Request) -> Response:
        token = str((await request.form()).get("token", ""))
        now = self.now()

        async def sign_in(repos: Repositories) -> tuple[str, str] | None:
            who = await repos.console.use_link(token, now) if token else None
            if who is None:
                return None
            if who.chats is None and console_role(self.app.community, who.account) is None:
                return None
            session, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
            await repos.console.open_session(session, who, csrf, now)
            detail = {"chats": list(who.chats)} if who.chats is not None else None
            await repos.console.audit(who.account, "sign_in", who.account, now, detail)
            return session, who.account

        signed = await self.app.storage.run(sign_in)
        if signed is None:
            return self.page("message.html", 403, message=self.texts.plain("console_ui.link_bad"))
        response = RedirectResponse("/console/", 303)
        self.keep_cookie(response, signed[0], secure=over_https(request))
        return response

    async def logout(self, request: Request) -> Response:
        outcome = await self.changed(request, groups=True)
        if isinstance(outcome, Response):
            return outcome
        viewer, _ = outcome
        await self.app.storage.run(
            lambda repos: repos.console.end_session(viewer.token, self.now())
        )
        await self.audit_change(viewer, "sign_out", viewer.account)
        response = self.page("message.html", message=self.texts.plain("console_ui.signed_out"))
        response.delete_cookie(COOKIE, path="/console")
        return response

    # -- tickets -------------------------------------------------------------

    @property
    def escalation(self) -> EscalationSettings:
        return self.app.settings.escalation

    def time_left(self, ticket: TicketRecord) -> timedelta | None:
        """Of the first-response target, in staff hours; None once answered."""
        if ticket.first_response_at is not None or ticket.status == "resolved":
            return None
        hours, zone = self.escalation.staff_hours, self.app.community.timezone
        now = self.now()
        waited = (
            hours.overlap(ticket.created_at, now, zone)
            if hours is not None
            else now - ticket.created_at
        )
        return self.escalation.target(ticket.severity) - waited

    def shown_time(self, value: datetime | None) -> str:
        if value is None:
            return "—"
        return value.astimezone(self.app.community.timezone).strftime("%Y-%m-%d %H:%M")

    def minutes(self, left: timedelta | None) -> str:
        if left is None:
            return self.label("console_ui.answered")
        total = int(left.total_seconds() // 60)
        if total < 0:
            return self.label("console_ui.overdue", minutes=-total)
        return self.label("console_ui.left", minutes=total)

    async def queue(self, request: Request) -> Response:
        viewer = await self.staff(request)
        if isinstance(viewer, Response):
            return viewer

        async def read(repos: Repositories) -> list[dict[str, Any]]:
            tickets = await repos.tickets.ongoing(limit=500)
            names = await repos.users.names([t.user_id for t in tickets])
            return [self._row(t, names.get(t.user_id, "—")) for t in tickets]

        rows = await self.app.storage.run(read)
        rows.sort(key=lambda row: (SEVERITY_ORDER.get(row["severity_code"], 9), row["opened"]))
        return self.page("queue.html", viewer=viewer, rows=rows)

    def _row(self, ticket: TicketRecord, member: str) -> dict[str, Any]:
        left = self.time_left(ticket)
        return {
            "id": ticket.id,
            "severity_code": ticket.severity,
            "severity": self.label(f"tickets.severity_{ticket.severity}"),
            "status": self.label(f"tickets.status_{ticket.status}"),
            "member": member,
            "text": ticket.text[:80],
            "opened": self.shown_time(ticket.created_at),
            "left": self.minutes(left),
            "overdue": left is not None and left.total_seconds() < 0,
        }

    async def state(self, request: Request) -> Response:
        """What the open pages poll: a fingerprint that changes whenever a ticket does."""
        viewer = await self.viewer(request)
        if viewer is None:
            return JSONResponse({"signed_in": False}, 401)

        async def read(repos: Repositories) -> str:
            tickets = await repos.tickets.ongoing(limit=500)
            return ",".join(f"{t.id}:{t.status}:{t.updated_at.isoformat()}" for t in tickets)

        state = await self.app.storage.run(read)
        fingerprint = hashlib.sha256(state.encode()).hexdigest()[:16]
        response = JSONResponse({"signed_in": True, "state": fingerprint})
        self.keep_cookie(response, viewer.token, secure=viewer.secure)  # an open page counts
        return response

    async def ticket(self, request: Request) -> Response:
        viewer = await self.staff(request)
        if isinstance(viewer, Response):
            return viewer
        number = request.path_params["number"]

        async def read(repos: Repositories) -> dict[str, Any] | None:
            # A number beyond any id (the URL is typed) is not found, not a database error.
            ticket = await repos.tickets.get(number) if number <= LARGEST_NUMBER else None
            if ticket is None:
                return None
            member = await repos.users.get_by_id(ticket.user_id)
            history = []
            texts = self.texts
            for event in await repos.tickets.history(ticket.id):
                actor = await repos.users.get_by_id(event.actor_id) if event.actor_id else None
                text = event.text or ""
                if event.kind in GRADE_CHANGES:  # the new grade, in the reader's language
                    severity = texts.plain(f"tickets.severity_{text}") if text else ""
                    text = texts.plain("tickets.raised_to", severity=severity)
                kind = f"tickets.event_{event.kind}"
                history.append(
                    {
                        "at": self.shown_time(event.at),
                        "kind": texts.plain(kind) if texts.has(kind) else event.kind,
                        "actor": actor.display_name if actor else texts.plain("tickets.actor_bot"),
                        "text": text,
                    }
                )
            earlier = await repos.tickets.of_person(member.person, limit=10) if member else []
            wallet = await repos.points.account(ticket.chat_id, member.person) if member else None
            levels = self.app.settings.points.levels
            standing = (
                self.label(
                    "console_ui.standing",
                    level=levels[min(wallet.level, len(levels) - 1)].label(texts),
                    points=wallet.balance,
                )
                if wallet is not None
                else ""
            )
            return {
                "ticket": self._row(ticket, member.display_name if member else "—"),
                "full_text": ticket.text,
                "member_account": f"{member.platform}:{member.external_id}" if member else "",
                "member_platform": member.platform if member else "",
                "standing": standing,
                "history": history,
                "earlier": [self._row(t, "") for t in earlier if t.id != ticket.id],
                "resolved": ticket.status == "resolved",
                # Someone has it: claiming again only says who (as the chat cards do).
                "claimed": ticket.assignee_id is not None,
            }

        found = await self.app.storage.run(read)
        if found is None:
            message = self.texts.plain("tickets.unknown", id=number)
            return self.page("message.html", 404, viewer=viewer, message=message)
        notes = self.channel.take_notes(viewer.account)
        nonce = secrets.token_urlsafe(16)
        return self.page("ticket.html", viewer=viewer, notes=notes, nonce=nonce, **found)

    async def act(self, request: Request) -> Response:
        """Claim, reply, resolve or escalate: the desk's own press or command, from the
        signed-in account, through the dispatcher."""
        outcome = await self.changed(request)
        if isinstance(outcome, Response):
            return outcome
        viewer, form = outcome
        number = request.path_params["number"]
        action = form.get("action", "")
        text = form.get("text", "").strip()
        nonce = form.get("nonce", "") or secrets.token_urlsafe(16)
        here = RedirectResponse(f"/console/tickets/{number}", 303)
        if action not in DESK_ACTIONS and not (action == "reply" and text):
            return here
        if action == "reply":
            await self.command(viewer, "reply", f"{number} {text}", nonce)
        else:
            await self.press(viewer, f"{PREFIX}{action}:{number}", nonce)
        detail = {"text": text} if action == "reply" else None
        await self.audit_change(viewer, f"ticket_{action}", f"ticket:{number}", detail)
        return here

    async def press(self, viewer: Viewer, data: str, nonce: str) -> None:
        """A button of the bot's own cards (``data``), pressed by the signed-in account:
        the same handler, rules and answers as a press in the staff chat."""
        origin = await self._origin(viewer, nonce)
        press_id = f"{viewer.account}#{nonce}"
        await self._dispatch(ButtonPressed(**origin, data=data, press_id=press_id), nonce)

    async def command(self, viewer: Viewer, name: str, args: str, nonce: str) -> None:
        """A command typed by the signed-in account, as if sent to the bot privately."""
        origin = await self._origin(viewer, nonce)
        await self._dispatch(CommandIssued(**origin, name=name, args=args), nonce)

    async def _origin(self, viewer: Viewer, nonce: str) -> dict[str, Any]:
        """Who acts, where and when: the account, in its private console chat."""
        chat = ChatRef(PLATFORM, viewer.account, ChatKind.PRIVATE, "console")
        return {
            "chat": chat,
            "occurred_at": self.now(),
            "sender": await self._user(viewer),
            "message": MessageRef(chat, nonce),
        }

    async def _dispatch(self, event: ButtonPressed | CommandIssued, nonce: str) -> None:
        # The nonce makes the update's key: a form sent twice is handled once.
        incoming = Incoming(key=f"console:{nonce}", events=(event,))
        await self.app.dispatcher.handle(incoming, self.channel, self.channel.deliver)

    async def _user(self, viewer: Viewer) -> UserRef:
        """The signed-in account as the platform would name it."""
        known = await self.app.storage.run(
            lambda repos: repos.users.get(viewer.platform, viewer.user_id)
        )
        name = known.display_name if known is not None else viewer.account
        return UserRef(viewer.platform, viewer.user_id, name)

    # -- members -------------------------------------------------------------

    async def _member_data(self, account: str) -> tuple[int, dict[str, Any]] | None:
        platform, _, external_id = account.partition(":")

        async def read(repos: Repositories) -> tuple[int, dict[str, Any]] | None:
            user = await repos.users.get(platform, external_id)
            if user is None:
                return None
            return user.id, await export(repos, user.id)

        return await self.app.storage.run(read)

    async def member(self, request: Request) -> Response:
        viewer = await self.staff(request)
        if isinstance(viewer, Response):
            return viewer
        account = request.path_params["account"]
        found = await self._member_data(account)
        if found is None:
            message = self.texts.plain("console_ui.no_member", account=account)
            return self.page("message.html", 404, viewer=viewer, message=message)
        _, data = found
        return self.page(
            "member.html", viewer=viewer, account=account, data=data, names=self._names()
        )

    def _names(self) -> dict[str, Callable[[Any], str]]:
        """The codes a member's data keeps (their export) as the chat words them: 待认领,
        not open; 初次发言, not first_message; 新成员, not level 0; 签到, not checkin."""
        texts, points = self.texts, self.app.settings.points

        def known(key: str, code: Any) -> str:
            return texts.label(key, str(code))

        def badge(code: str) -> str:
            found = points.badge(code)
            return found.label(texts) if found is not None else code

        return {
            "status": lambda code: known(f"tickets.status_{code}", code),
            "reason": lambda code: known(f"points.reason_{code}", code),
            "level": lambda n: points.levels[min(int(n), len(points.levels) - 1)].label(texts),
            "badge": badge,
            "excerpt": lambda text: shortened(text or "", 80),
        }

    async def member_export(self, request: Request) -> Response:
        viewer = await self.staff(request)
        if isinstance(viewer, Response):
            return viewer
        account = request.path_params["account"]
        found = await self._member_data(account)
        if found is None:
            return Response(status_code=404)
        await self.audit_change(viewer, "member_export", f"member:{found[0]}")
        name = account.replace(":", "-")
        return JSONResponse(
            found[1],
            headers={"Content-Disposition": f'attachment; filename="{name}.json"'},
        )

    async def member_forget(self, request: Request) -> Response:
        outcome = await self.changed(request)
        if isinstance(outcome, Response):
            return outcome
        viewer, form = outcome
        account = request.path_params["account"]
        if form.get("confirm") != "yes":
            return RedirectResponse(f"/console/members/{account}", 303)
        platform, _, external_id = account.partition(":")
        now = self.now()

        async def erase(repos: Repositories) -> int | None:
            user = await repos.users.get(platform, external_id)
            if user is None:
                return None
            await forget(repos, user.id, now, by=viewer.account)
            return user.id

        forgotten = await self.app.storage.run(erase)
        if forgotten is None:
            return RedirectResponse(f"/console/members/{account}", 303)
        # The audit names the account by its row, which no longer says who it was.
        await self.audit_change(viewer, "member_forget", f"member:{forgotten}")
        message = self.texts.plain("console_ui.forgotten")
        return self.page("message.html", viewer=viewer, message=message)

    # -- audit ---------------------------------------------------------------

    async def audit(self, request: Request) -> Response:
        viewer = await self.owner(request)
        if isinstance(viewer, Response):
            return viewer
        entries = await self.app.storage.run(lambda repos: repos.console.audit_entries())
        rows = [
            {
                "at": self.shown_time(e.at),
                "actor": e.actor,
                "action": self.texts.label(f"console_ui.audit_actions.{e.action}", e.action),
                "code": e.action,
                "target": e.target,
                "detail": ", ".join(f"{k}: {v}" for k, v in e.detail.items()),
            }
            for e in entries
        ]
        return self.page("audit.html", viewer=viewer, rows=rows)
