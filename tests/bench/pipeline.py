"""Updates per second through the whole pipeline, next to a bare PTB echo bot.

Both run as real processes polling the same fake Bot API (flood limits off,
so the pipeline is measured rather than Telegram's policy). Traffic is a
community's: 500 members in 10 groups, each update a ``/rules`` that Shequn
answers after de-duplication, membership bookkeeping, the event log and a
commit in SQLite; the echo bot replies with the text. "Steady state" is
members the bot has seen before (the normal case); "first contact" has every
update come from a new member in a new private chat (the worst case).
Throughput: a burst, first push to last reply. Latency: one update every
20 ms, push to reply.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from tests.fake_telegram import FakeBotApi, FakeBotApiThread

FIRST_USER = 10_000_000
GROUPS = [-1002000000000 - index for index in range(10)]
MEMBERS = 500


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def _push_private(api: FakeBotApi, start: int, count: int, text: str) -> None:
    for user_id in range(start, start + count):
        user = api.make_user(user_id, f"用户{user_id}")
        api.mark_started(user_id)
        api.push_update(api.message_update(user_id, user, text))


def _push_group(api: FakeBotApi, start: int, count: int, text: str) -> None:
    """``count`` messages cycling through the members, each in their group."""
    for index in range(start, start + count):
        member = index % MEMBERS
        group = GROUPS[member % len(GROUPS)]
        api.add_chat(group, "supergroup", f"社群 {member % len(GROUPS)}")
        user = api.make_user(FIRST_USER + member, f"成员{member}")
        api.push_update(api.message_update(group, user, text))


def _cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of a process so far (Linux; None elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _start(kind: str, fake: FakeBotApiThread, workdir: Path) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SHEQUN_")}
    if kind == "shequn":
        env.update(
            {
                "SHEQUN_TELEGRAM__TOKEN": fake.api.token,
                "SHEQUN_TELEGRAM__BASE_URL": fake.base_url,
                "SHEQUN_TELEGRAM__POLL_TIMEOUT": "1",
                "SHEQUN_TELEGRAM__RATE_LIMIT__OVERALL_PER_SECOND": "1000000",
                "SHEQUN_TELEGRAM__RATE_LIMIT__GROUP_PER_MINUTE": "1000000",
                "SHEQUN_DATA_DIR": str(workdir),
                "SHEQUN_LOG_LEVEL": "WARNING",
            }
        )
        command = [sys.executable, "-m", "bot", "run"]
    else:
        command = [sys.executable, "-m", "tests.bench.echo_bot", fake.base_url, fake.api.token]
    process = subprocess.Popen(
        command,
        env=env,
        cwd=Path(__file__).resolve().parents[2],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    if not fake.wait_for_call("getUpdates", timeout=60):
        process.kill()
        raise RuntimeError(f"{kind} did not start polling")
    return process


def measure(kind: str, traffic: str, burst: int, paced: int) -> dict[str, Any]:
    text = "/rules" if kind == "shequn" else "hello"
    push = _push_group if traffic == "steady" else _push_private
    with tempfile.TemporaryDirectory() as workdir, FakeBotApiThread() as fake:
        fake.set_flood_limits(enabled=False)
        process = _start(kind, fake, Path(workdir))
        try:
            # Warm-up: imports, connections, and (steady state) every member seen once.
            warm = MEMBERS if traffic == "steady" else 20
            fake.run(push, fake.api, 0 if traffic == "steady" else FIRST_USER, warm, text)
            fake.wait_for_messages(warm, timeout=120)
            fake.reset_counters()
            sent_before = len(fake.sent_messages())
            first = FIRST_USER + 1000 if traffic == "first" else warm
            started, cpu_before = time.monotonic(), _cpu_seconds(process.pid)
            fake.run(push, fake.api, first, burst, text)
            done = fake.wait_for_messages(sent_before + burst, timeout=300)
            elapsed = time.monotonic() - started
            cpu_after = _cpu_seconds(process.pid)
            if len(done) < sent_before + burst:
                raise RuntimeError(f"{kind}: only {len(done) - sent_before} of {burst} replies")
            fake.reset_counters()
            first += burst
            for offset in range(paced):
                fake.run(push, fake.api, first + offset, 1, text)
                time.sleep(0.02)
            fake.wait_for_messages(sent_before + burst + paced, timeout=60)
            latencies = fake.run(fake.api.latencies)
        finally:
            process.terminate()
            process.wait(30)
    return {
        "rate": burst / elapsed,
        # The bot process's CPU per update during the burst (0 where not measurable).
        "cpu_ms": (cpu_after - cpu_before) / burst * 1000
        if cpu_before is not None and cpu_after is not None
        else 0.0,
        "p50_ms": statistics.median(latencies) * 1000,
        "p99_ms": percentile(latencies, 0.99) * 1000,
        "samples": len(latencies),
    }


ROUNDS = 3


def median_of(runs: list[dict[str, Any]]) -> dict[str, Any]:
    return {key: statistics.median(run[key] for run in runs) for key in runs[0]}


def main(quick: bool = False) -> None:
    burst, paced = (300, 100) if quick else (2000, 500)
    rounds = 1 if quick else ROUNDS
    print(
        f"== Pipeline vs bare python-telegram-bot echo ({burst} burst updates, {paced} paced;"
        f" median of {rounds} alternating rounds)"
    )
    for traffic, label in (("steady", "steady state"), ("first", "first contact")):
        runs: dict[str, list[dict[str, Any]]] = {"echo": [], "shequn": []}
        for _ in range(rounds):  # alternate, so drift in machine load hits both alike
            for kind in runs:
                runs[kind].append(measure(kind, traffic, burst, paced))
        echo, shequn = median_of(runs["echo"]), median_of(runs["shequn"])
        print(f"  -- {label}")
        for name, figures in (("PTB echo", echo), ("Shequn pipeline", shequn)):
            print(
                f"  {name:<16} {figures['rate']:7.0f} updates/s   latency p50"
                f" {figures['p50_ms']:6.1f} ms   p99 {figures['p99_ms']:6.1f} ms"
                f"   CPU {figures['cpu_ms']:5.2f} ms/update"
            )
        ratio = shequn["rate"] / echo["rate"]
        print(
            f"  ratio Shequn/echo {ratio:.2f} (target >= 0.70);"
            f" Shequn p99 {shequn['p99_ms']:.1f} ms (target < 50 ms)"
        )
