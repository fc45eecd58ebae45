"""The web server: ``/healthz``, a channel's routes served only while it runs, an
address that cannot be listened on told in one line, and the Telegram webhook end
to end on a real ``shequn run`` process (with the fake Bot API)."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from bot.settings import ConfigError, deprecated_settings, load_settings
from bot.startup import StartupError
from bot.web.server import WebServer, web_server
from bot.web.settings import HttpSettings
from tests.fake_telegram import FakeBotApiThread
from tests.test_telegram_e2e import (  # noqa: F401 (fixtures)
    GROUP,
    MOD,
    fake,
    free_port,
    start_bot,
)

UPDATES = Path(__file__).parent / "data" / "telegram_updates"


class EchoChannel:
    """A channel taking callbacks: it keeps what it was posted."""

    name = "echo"

    def __init__(self) -> None:
        self.received: list[Any] = []

    async def start(self) -> None:
        pass

    async def stop(self) -> None:
        pass

    def routes(self) -> list[BaseRoute]:
        return [Route("/echo", self._echo, methods=["POST"])]

    async def _echo(self, request: Request) -> Response:
        self.received.append(await request.json())
        return JSONResponse({"received": len(self.received)})


class PollingChannel:
    """A channel that takes no callbacks."""

    name = "polling"

    async def start(self) -> None:
        pass

    async def stop(self) -> None:
        pass


async def test_healthz_and_routes_answer_only_while_the_channels_run() -> None:
    echo = EchoChannel()
    server = web_server(HttpSettings(port=free_port()), [echo, PollingChannel()])
    assert server is not None
    await server.start()
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{server.port}") as client:
            starting = await client.get("/healthz")
            assert (starting.status_code, starting.json()) == (503, {"status": "starting"})
            refused = await client.post("/echo", json={"n": 1})
            assert refused.status_code == 503 and echo.received == []  # never reached it

            server.channel_started("echo")
            assert (await client.get("/healthz")).status_code == 503  # one still starting
            served = await client.post("/echo", json={"n": 2})
            assert served.json() == {"received": 1} and echo.received == [{"n": 2}]

            server.channel_started("polling")
            ready = await client.get("/healthz")
            assert ready.status_code == 200
            assert ready.json() == {"status": "ok", "channels": ["echo", "polling"]}
            assert (await client.get("/nowhere")).status_code == 404

            server.closing()
            stopping = await client.get("/healthz")
            assert (stopping.status_code, stopping.json()) == (503, {"status": "stopping"})
            assert (await client.post("/echo", json={"n": 3})).status_code == 503
            assert echo.received == [{"n": 2}]
    finally:
        await server.stop()
    with pytest.raises(httpx.ConnectError):  # stopped: the port is closed
        async with httpx.AsyncClient() as client:
            await client.get(f"http://127.0.0.1:{server.port}/healthz")


async def test_the_server_runs_when_no_channel_takes_callbacks() -> None:
    """Polling alone still serves /healthz (and /readyz, /metrics in a real run)."""
    server = web_server(HttpSettings(port=free_port()), [PollingChannel()])
    await server.start()
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{server.port}") as client:
            assert (await client.get("/healthz")).status_code == 503
            server.channel_started("polling")
            assert (await client.get("/healthz")).json() == {
                "status": "ok",
                "channels": ["polling"],
            }
    finally:
        await server.stop()


async def test_a_port_in_use_is_one_line_naming_http_port() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        server = WebServer(HttpSettings(port=port), ["echo"])
        with pytest.raises(StartupError) as caught:
            await server.start()
        await server.stop()
    assert caught.value.line() == (
        f"cannot listen on 127.0.0.1:{port} (address already in use); "
        "set SHEQUN_HTTP__PORT to a free port"
    )


@pytest.mark.parametrize(
    ("host", "reason"),
    [
        ("192.0.2.1", "cannot assign requested address"),  # TEST-NET: never this machine's
        ("no-such-host.invalid", "unknown host"),
    ],
)
async def test_a_host_that_cannot_be_bound_is_one_line_naming_http_host(
    host: str, reason: str
) -> None:
    server = WebServer(HttpSettings(host=host, port=free_port()), ["echo"])
    with pytest.raises(StartupError) as caught:
        await server.start()
    await server.stop()
    line = caught.value.line()
    assert line.startswith(f"cannot listen on {host}:") and reason in line, line
    assert line.endswith(
        "set SHEQUN_HTTP__HOST to an address of this machine (e.g. 127.0.0.1 or 0.0.0.0)"
    )


def test_http_settings_and_the_deprecated_webhook_keys(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for name in ("SHEQUN_CONFIG", "SHEQUN_HTTP__HOST", "SHEQUN_HTTP__PORT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    settings = load_settings()
    assert (settings.http.host, settings.http.port) == ("127.0.0.1", 8080)
    assert deprecated_settings(settings) == []

    monkeypatch.setenv("SHEQUN_HTTP__PORT", "70000")
    with pytest.raises(ConfigError, match=r"^config error: http\.port: .*SHEQUN_HTTP__PORT\)$"):
        load_settings()
    monkeypatch.delenv("SHEQUN_HTTP__PORT")

    # An upgraded configuration: the webhook's own server keys still say where to listen.
    config = tmp_path / "shequn.toml"
    config.write_text('[telegram.webhook]\nlisten = "0.0.0.0"\nport = 8443\n', "utf-8")
    settings = load_settings(config)
    assert (settings.http.host, settings.http.port) == ("0.0.0.0", 8443)
    assert deprecated_settings(settings) == [
        "warning: telegram.webhook.listen is deprecated: write http.host "
        "(SHEQUN_HTTP__HOST) instead; 0.0.0.0 is used",
        "warning: telegram.webhook.port is deprecated: write http.port "
        "(SHEQUN_HTTP__PORT) instead; 8443 is used",
    ]
    monkeypatch.setenv("SHEQUN_HTTP__PORT", "9000")  # both, disagreeing: one line
    with pytest.raises(ConfigError) as caught:
        load_settings(config)
    assert str(caught.value).startswith(
        "config error: telegram.webhook.port (8443) and http.port (9000) disagree; "
        "telegram.webhook.port is replaced by http.port: remove it"
    )


# -- the Telegram webhook, end to end ---------------------------------------------------

SECRET = "s3cret-token"


def wait_until(condition: Callable[[], Any], what: str, timeout: float = 20) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        try:
            result = condition()
        except httpx.TransportError:
            result = None
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: never happened")
        time.sleep(0.05)


def official_start() -> dict[str, Any]:
    """The Bot API docs' private ``/start``, with the ``is_bot`` every user carries today."""
    update = json.loads((UPDATES / "official_webhooks_message_start_private.json").read_text())
    update["message"]["from"]["is_bot"] = False
    return update


def test_the_telegram_webhook_on_the_web_server(
    fake: FakeBotApiThread,  # noqa: F811
    start_bot: Any,  # noqa: F811
) -> None:
    port = free_port()
    bot = start_bot(
        SHEQUN_TELEGRAM__MODE="webhook",
        SHEQUN_TELEGRAM__WEBHOOK__URL="https://bot.example.com/hooks/telegram",
        SHEQUN_TELEGRAM__WEBHOOK__SECRET_TOKEN=SECRET,
        SHEQUN_HTTP__PORT=str(port),
    )
    hook = fake.api.webhook
    assert hook["url"] == "https://bot.example.com/hooks/telegram"
    assert hook["secret_token"] == SECRET and "chat_member" in hook["allowed_updates"]
    assert not fake.api.calls("getUpdates")  # no polling, and no server of PTB's own
    base = f"http://127.0.0.1:{port}"
    health = wait_until(
        lambda: (r := httpx.get(f"{base}/healthz", timeout=5)).status_code == 200 and r,
        "/healthz answering 200",
    )
    assert health.json() == {"status": "ok", "channels": ["telegram", "console"]}
    url = f"{base}/hooks/telegram"  # the path of the webhook URL
    right = {"X-Telegram-Bot-Api-Secret-Token": SECRET}

    # Refused before anything is handled: no secret, a wrong one, a body that is no update.
    settings_update = {"update_id": 70, **fake.message_update(GROUP, MOD, "/settings")}
    missing = httpx.post(url, json=settings_update, timeout=5)
    wrong = httpx.post(
        url, json=settings_update, headers={"X-Telegram-Bot-Api-Secret-Token": "nope"}, timeout=5
    )
    assert (missing.status_code, wrong.status_code) == (403, 403)
    for body in (b"{not json", b"[1, 2]", b'{"update_id": 71, "message": "nope"}'):
        malformed = httpx.post(url, content=body, headers=right, timeout=5)
        assert malformed.status_code == 400, body

    # The Bot API documentation's own example update is answered through the Bot API.
    start = official_start()
    member = start["message"]["chat"]["id"]
    fake.mark_started(member)
    assert httpx.post(url, json=start, headers=right, timeout=5).status_code == 200
    [greeting] = fake.wait_for_messages(1, member)
    assert greeting["text"]

    update = {"update_id": 77, **fake.message_update(GROUP, MOD, "/rules")}
    assert httpx.post(url, json=update, headers=right, timeout=5).status_code == 200
    assert httpx.post(url, json=update, headers=right, timeout=5).status_code == 200  # redelivery
    [answer] = fake.wait_for_messages(1, GROUP)
    marker = {"update_id": 78, **fake.message_update(GROUP, MOD, "/id")}
    assert httpx.post(url, json=marker, headers=right, timeout=5).status_code == 200
    fake.wait_for_messages(2, GROUP)  # the marker is answered after everything before it
    group = [m["text"] for m in fake.sent_messages(GROUP)]
    assert len(group) == 2 and "还没有设置群规" in answer["text"]  # no /settings, no repeat
    output = bot.output()
    assert output.count("webhook request from 127.0.0.1 refused") == 2
    assert output.count("webhook request refused: not a Telegram update") == 3
    assert SECRET not in output and "nope" not in output
