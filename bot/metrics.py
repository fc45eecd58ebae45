"""Prometheus metrics, served at ``GET /metrics`` (the official client's format).

Counts of what this process did (updates handled, messages sent) live in its
own registry; the state every replica shares (the outbox, open tickets, FAQ
replies) is read from the database at each scrape, so any replica reports
the same figures and a restart loses none.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from bot.fleet.lease import LEASE
from storage.database import Storage
from storage.repositories.gauges import Gauges

#: Seconds: a reply is expected well under a second, a slow database shows up to 10.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class _Shared(Collector):
    """The database's figures, as read at the scrape."""

    def __init__(self) -> None:
        self.gauges: Gauges | None = None
        self.leader = False

    def collect(self) -> Iterator[Metric]:
        leader = GaugeMetricFamily("shequn_leader", "1 when this replica is the leader")
        leader.add_metric([], 1.0 if self.leader else 0.0)
        yield leader
        g = self.gauges
        if g is None:
            return
        yield GaugeMetricFamily(
            "shequn_outbox_due", "scheduled messages due and not yet taken", value=g.outbox_due
        )
        yield GaugeMetricFamily(
            "shequn_outbox_oldest_due_seconds",
            "how long the oldest due scheduled message has waited",
            value=g.outbox_oldest_seconds,
        )
        yield GaugeMetricFamily(
            "shequn_outbox_sending", "scheduled messages being sent", value=g.outbox_sending
        )
        tickets = GaugeMetricFamily(
            "shequn_open_tickets", "tickets not resolved, per severity", labels=["severity"]
        )
        for severity, count in sorted(g.open_tickets.items()):
            tickets.add_metric([severity], count)
        yield tickets
        yield CounterMetricFamily(
            "shequn_sla_breaches", "tickets whose response target was missed", value=g.breaches
        )
        replies = CounterMetricFamily(
            "shequn_faq_replies",
            "FAQ replies: answered (group, ask, private) or suggested",
            labels=["outcome"],
        )
        for via, count in sorted(g.faq_replies.items()):
            replies.add_metric(["suggested" if via == "suggestion" else "answered_" + via], count)
        yield replies
        yield CounterMetricFamily(
            "shequn_faq_silent", "questions the FAQ stayed silent on", value=g.faq_misses
        )
        yield GaugeMetricFamily(
            "shequn_replicas", "replicas whose lease is current", value=g.replicas
        )


class Metrics:
    """This process's registry; channels and the dispatcher report into it."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.updates = Counter(
            "shequn_updates",
            "platform updates received, by outcome (handled, duplicate, failed)",
            ["channel", "outcome"],
            registry=self.registry,
        )
        self.handling = Histogram(
            "shequn_update_handling_seconds",
            "time to handle one update, its replies included",
            ["channel"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.sends = Counter(
            "shequn_sends",
            "messages and other actions sent to a platform, by outcome "
            "(ok, 429, 403, 95001, window_closed, error)",
            ["channel", "outcome"],
            registry=self.registry,
        )
        self._shared = _Shared()
        self.registry.register(self._shared)

    def handled(self, channel: str, outcome: str, seconds: float) -> None:
        self.updates.labels(channel, outcome).inc()
        if outcome != "duplicate":
            self.handling.labels(channel).observe(seconds)

    def sent(self, channel: str, outcome: str) -> None:
        self.sends.labels(channel, outcome).inc()

    async def exposition(self, storage: Storage, *, leader: bool) -> bytes:
        """The text Prometheus scrapes; the shared figures are read now."""
        now = datetime.now(UTC)
        self._shared.leader = leader
        self._shared.gauges = await storage.run(lambda repos: repos.gauges.read(now, now - LEASE))
        return generate_latest(self.registry)
