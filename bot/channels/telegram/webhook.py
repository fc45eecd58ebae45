"""The Telegram webhook as a route of Shequn's web server (:mod:`bot.web`).

What python-telegram-bot documents for a custom webhook server: the request's
secret header checked, the body parsed with ``Update.de_json``. The call is
answered once the update is durably recorded (its effects and its
de-duplication key committed), so a load balancer that retries a failed call
on another replica never loses an update, and a retry of one that was
recorded changes nothing; the replies go out after the answer.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from telegram import Update
from telegram.ext import Application

log = logging.getLogger(__name__)

#: The header Telegram sends ``telegram.webhook.secret_token`` back in.
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


def webhook_route(
    path: str,
    secret: str,
    application: Application,
    take: Callable[[Update], Awaitable[bool]],
) -> Route:
    """``POST path``: an update from Telegram, handed to ``take``, which returns once
    it is recorded (True) or could not be (False: 503, and Telegram sends it again).

    A request without ``secret`` in its header gets 403 and one log line; a body
    that is not an update gets 400; neither reaches the application.
    """
    expected = secret.encode()

    async def receive(request: Request) -> Response:
        given = request.headers.get(SECRET_HEADER, "")
        if not expected or not hmac.compare_digest(given.encode(), expected):
            client = request.client.host if request.client else "?"
            log.warning(
                "webhook request from %s refused: %s secret token",
                client,
                "wrong" if given else "no",
            )
            return Response(status_code=403)
        try:
            data = await request.json()
            if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
                raise ValueError("not a JSON object with an update_id")
            update = Update.de_json(data, application.bot)
        except Exception as error:  # whatever the body is, it is not an update
            reason = (str(error) or type(error).__name__).splitlines()[0]
            log.warning("webhook request refused: not a Telegram update (%s)", reason)
            return Response(status_code=400)
        if not await take(update):
            return Response(status_code=503, headers={"Retry-After": "1"})
        return Response()

    return Route(path, receive, methods=["POST"])
