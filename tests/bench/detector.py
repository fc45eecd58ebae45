"""The complaint detector grades every group message: time per message on the
labelled and chatter sets (short messages), and the one-off cost of loading its
jieba dictionary. Target: well under 1 ms median on short messages."""

from __future__ import annotations

import time
from pathlib import Path

from handlers.escalation.detector import Detector
from handlers.escalation.evaluation import read_labelled

DATA = Path(__file__).parent.parent / "data" / "complaints"
ROUNDS = 5


def main() -> None:
    texts = [
        row.text
        for name in ("messages", "holdout", "holdout2", "chatter_holdout")
        for row in read_labelled(DATA / f"{name}.jsonl")
    ]
    short = [text for text in texts if len(text) <= 60]
    detector = Detector()
    started = time.perf_counter()
    detector.grade("骗子")  # the first Chinese term loads the segmenter
    loading = time.perf_counter() - started
    times = []
    for _ in range(ROUNDS):
        for text in short:
            started = time.perf_counter()
            detector.grade(text)
            times.append(time.perf_counter() - started)
    times.sort()
    median, p90, p99 = (times[int(len(times) * q)] * 1e6 for q in (0.5, 0.9, 0.99))
    print(f"complaint detector: segmenter loaded in {loading:.2f} s (once per process)")
    print(
        f"  {len(short)} short messages x {ROUNDS}: "
        f"median {median:.0f} µs, p90 {p90:.0f} µs, p99 {p99:.0f} µs"
    )


if __name__ == "__main__":
    main()
