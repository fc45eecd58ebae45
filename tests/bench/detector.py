"""The complaint detector grades every group message: time per message on the
labelled and chatter sets (short messages), with its model and, as the baseline
in the same run, the lexicon alone; and the one-off costs of loading its jieba
dictionary and its model. Target: well under 1 ms median on short messages."""

from __future__ import annotations

import time
from pathlib import Path

from handlers.escalation.detector import Detector
from handlers.escalation.evaluation import read_labelled
from handlers.escalation.settings import DetectorSettings

DATA = Path(__file__).parent.parent / "data" / "complaints"
ROUNDS = 5


def _timed(detector: Detector, texts: list[str]) -> tuple[float, float, float]:
    times = []
    for _ in range(ROUNDS):
        for text in texts:
            started = time.perf_counter()
            detector.grade(text)
            times.append(time.perf_counter() - started)
    times.sort()
    median, p90, p99 = (times[int(len(times) * q)] * 1e6 for q in (0.5, 0.9, 0.99))
    return median, p90, p99


def main() -> None:
    texts = [
        row.text
        for name in ("messages", "holdout", "holdout2", "chatter_holdout")
        for row in read_labelled(DATA / f"{name}.jsonl")
    ]
    short = [text for text in texts if len(text) <= 60]
    started = time.perf_counter()
    detector = Detector()
    model = time.perf_counter() - started
    started = time.perf_counter()
    detector.grade("骗子")  # the first Chinese term loads the segmenter
    loading = time.perf_counter() - started
    lexicon = Detector(DetectorSettings(model=False))
    print(
        f"complaint detector: segmenter loaded in {loading:.2f} s, "
        f"model in {model:.2f} s (once per process)"
    )
    for name, graded in (("lexicon alone (baseline)", lexicon), ("with its model", detector)):
        median, p90, p99 = _timed(graded, short)
        print(
            f"  {name}, {len(short)} short messages x {ROUNDS}: "
            f"median {median:.0f} µs, p90 {p90:.0f} µs, p99 {p99:.0f} µs"
        )


if __name__ == "__main__":
    main()
