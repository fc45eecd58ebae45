"""``make bench``: every benchmark, figures printed."""

from __future__ import annotations

import sys

from tests.bench import detector, faq, outbox, pipeline, points


def main() -> None:
    quick = "--quick" in sys.argv
    pipeline.main(quick=quick)
    outbox.main()
    faq.main()
    points.main()
    detector.main()


if __name__ == "__main__":
    main()
