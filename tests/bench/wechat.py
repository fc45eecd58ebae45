"""微信客服: how fast a member's message is acknowledged and answered.

The channel behind Shequn's real web server (uvicorn on a local port), the fake
WeCom server as the API, SQLite: a member writes ``帮助``, WeCom's encrypted
callback is POSTed, and two figures are taken per message — the callback's
answer (WeChat retries after 5 s; target p99 < 50 ms) and the time until the
answer reaches ``kf/send_msg`` (target p99 < 100 ms). Beside them, the same
callback refused for a bad signature, the floor of an HTTP round trip here.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import statistics
import tempfile
import time
from pathlib import Path

import httpx

from bot.app import build_app
from bot.channels.hub import ChannelHub
from bot.channels.wechat.kf_channel import WeChatKfChannel
from bot.settings import Settings
from bot.web.server import WebServer
from bot.web.settings import HttpSettings
from storage.database import Storage
from tests.fake_wechat import FakeWeCom

KF, MESSAGES, WARMUP = "wkBench", 300, 20


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _p(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


async def _run(folder: Path) -> dict[str, list[float]]:
    wecom = FakeWeCom()
    wecom.add_account(KF)
    await wecom.start()
    settings = Settings(
        data_dir=folder,
        wechat={
            "api_base_url": wecom.base_url,
            "kf": {
                "corp_id": wecom.corp_id,
                "secret": wecom.secret,
                "token": wecom.callback_token,
                "encoding_aes_key": wecom.encoding_aes_key,
            },
        },
    )
    storage = Storage.from_url(f"sqlite+aiosqlite:///{folder / 'bench.db'}")
    app = build_app(settings, storage=storage)
    await app.prepare()
    channel = WeChatKfChannel(settings.wechat, app.dispatcher, app.storage, app.clock)
    hub = ChannelHub([channel], settings.staff, app.texts)
    channel.deliver = hub.deliver_from(channel.name)
    web = WebServer(HttpSettings(port=_free_port()), [channel.name])
    web.serve(channel.name, channel.routes())
    await web.start()
    await channel.start()
    web.channel_started(channel.name)
    url = f"http://127.0.0.1:{web.port}{settings.wechat.kf.callback_path}"
    figures: dict[str, list[float]] = {"ack": [], "answered": [], "refused": []}
    async with httpx.AsyncClient() as client:
        for index in range(MESSAGES + WARMUP):
            member = f"wmBench{index % 50}"  # 50 members, each well inside their window
            wecom.delivered.clear()
            wecom.customer_says(KF, member, "帮助")
            query, body, _ = wecom.encrypted_callback(KF)
            start = time.perf_counter()
            response = await client.post(url, params=query, content=body)
            acked = time.perf_counter()
            assert response.status_code == 200, response.status_code
            await wecom.delivered.wait()
            answered = time.perf_counter()
            forged = {**query, "msg_signature": "0" * 40}
            refused_start = time.perf_counter()
            await client.post(url, params=forged, content=body)
            refused = time.perf_counter()
            if index >= WARMUP:
                figures["ack"].append(acked - start)
                figures["answered"].append(answered - start)
                figures["refused"].append(refused - refused_start)
    await channel.stop()
    web.closing()
    await web.stop()
    await app.close()
    await wecom.stop()
    return figures


def main() -> None:
    # The forged callbacks are refused with a warning each: not what is measured.
    logging.getLogger("bot.channels.wechat.kf_channel").setLevel(logging.ERROR)
    logging.getLogger("bot.channels.wechat.callbacks").setLevel(logging.ERROR)
    with tempfile.TemporaryDirectory() as folder:
        figures = asyncio.run(_run(Path(folder)))
    print(f"\n微信客服 callback → kf/send_msg ({MESSAGES} messages, SQLite, fake WeCom)")
    print(f"  {'':34}{'median':>9}{'p99':>9}  target")
    rows = [
        ("callback answered", "ack", "p99 < 50 ms"),
        ("answer reached kf/send_msg", "answered", "p99 < 100 ms"),
        ("forged callback refused (baseline)", "refused", ""),
    ]
    for label, key, target in rows:
        samples = figures[key]
        median = statistics.median(samples) * 1000
        print(f"  {label:34}{median:8.1f} {_p(samples, 0.99):8.1f}  {target}")
