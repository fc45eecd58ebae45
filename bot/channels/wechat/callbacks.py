"""WeCom's callback requests, for every channel that takes them (微信客服, the staff app):
the URL check answered, a POSTed callback opened, a refusal logged in one line."""

from __future__ import annotations

import logging

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from bot.channels.wechat.crypto import CallbackCrypto, CallbackRejected

log = logging.getLogger(__name__)


async def answer_url_check(crypto: CallbackCrypto, request: Request, what: str) -> Response:
    """WeCom checks the URL once when it is saved: echo the decrypted ``echostr``."""
    query = request.query_params
    try:
        echo = crypto.verify_url(
            query.get("msg_signature", ""),
            query.get("timestamp", ""),
            query.get("nonce", ""),
            query.get("echostr", ""),
        )
    except CallbackRejected as rejected:
        log.warning("%s URL check refused: %s", what, rejected.reason)
        return Response(status_code=rejected.status)
    return PlainTextResponse(echo)


async def open_callback(
    crypto: CallbackCrypto, request: Request, what: str
) -> dict[str, str] | Response:
    """The callback's decrypted message, or the answer that refuses it."""
    query = request.query_params
    try:
        return crypto.open(
            query.get("msg_signature", ""),
            query.get("timestamp", ""),
            query.get("nonce", ""),
            await request.body(),
        )
    except CallbackRejected as rejected:
        log.warning("%s callback refused: %s", what, rejected.reason)
        return Response(status_code=rejected.status)
