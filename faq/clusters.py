"""Groups similar unanswered questions so operators see "asked 14 times" once
instead of 14 lines."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass, field


@dataclass(slots=True)
class Cluster:
    """Similar texts; ``example`` is the first (most recent) one."""

    example: str
    terms: frozenset[Hashable]
    members: list[str] = field(default_factory=list)

    @property
    def size(self) -> int:
        return len(self.members)


def cluster_texts(
    texts: Iterable[str],
    terms_of: Callable[[str], Sequence[Hashable]],
    similarity: float = 0.5,
) -> list[Cluster]:
    """Greedy clustering by term overlap (Jaccard); largest clusters first."""
    clusters: list[Cluster] = []
    for text in texts:
        terms = frozenset(terms_of(text))
        if not terms:
            continue
        home = max(clusters, key=lambda c: _jaccard(c.terms, terms), default=None)
        if home is not None and _jaccard(home.terms, terms) >= similarity:
            home.members.append(text)
        else:
            clusters.append(Cluster(text, terms, [text]))
    return sorted(clusters, key=lambda c: c.size, reverse=True)


def _jaccard(a: frozenset[Hashable], b: frozenset[Hashable]) -> float:
    return len(a & b) / len(a | b) if a or b else 0.0
