"""``make bench``: every benchmark, figures printed.

``python -m tests.bench pipeline points`` runs only the benchmarks named;
``--quick`` shortens the pipeline's.
"""

from __future__ import annotations

import sys

from tests.bench import console, detector, faq, outbox, pipeline, points, replicas, wechat


def main() -> None:
    quick = "--quick" in sys.argv
    chosen = {arg for arg in sys.argv[1:] if not arg.startswith("-")}
    benches = {
        "pipeline": lambda: pipeline.main(quick=quick),
        "outbox": outbox.main,
        "faq": faq.main,
        "points": points.main,
        "detector": detector.main,
        "wechat": wechat.main,
        "console": console.main,
        "replicas": replicas.main,
    }
    unknown = chosen - benches.keys()
    if unknown:
        names = ", ".join(sorted(unknown))
        sys.exit(f"no benchmark named {names}; choose from {', '.join(benches)}")
    for name, run in benches.items():
        if not chosen or name in chosen:
            run()


if __name__ == "__main__":
    main()
