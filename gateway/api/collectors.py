"""Metrics that describe state rather than events, read at scrape time from their owner.

A gauge set by whichever process last looked would be stale or summed wrongly across the
process tree; a collector asks the spool and the store when Prometheus asks us.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from gateway.quarantine import (
    HoldState,
    QuarantineStore,
    ReleaseState,
    StoreUnavailable,
)
from gateway.spool import Spool


class SpoolCollector(Collector):
    def __init__(self, spool: Spool) -> None:
        self._spool = spool

    def collect(self) -> Iterator[GaugeMetricFamily]:
        messages = GaugeMetricFamily(
            "mutaika_queue_messages", "Messages in each spool queue", labels=["queue"]
        )
        size = GaugeMetricFamily(
            "mutaika_queue_bytes", "Bytes held by each spool queue", labels=["queue"]
        )
        age = GaugeMetricFamily(
            "mutaika_queue_oldest_age_seconds", "Age of the oldest message in each spool queue",
            labels=["queue"],
        )  # fmt: skip
        now = time.time()
        for queue, stats in self._spool.stats().items():
            messages.add_metric([str(queue)], stats.messages)
            size.add_metric([str(queue)], stats.bytes)
            age.add_metric([str(queue)], max(0.0, now - stats.oldest_at) if stats.oldest_at else 0)
        yield messages
        yield size
        yield age


class StoreCollector(Collector):
    """Quarantined mails and bytes by hold state, releases by state: one snapshot per scrape.
    Every state is reported, zeros included, so a dashboard's series never vanish."""

    def __init__(self, store: QuarantineStore) -> None:
        self._store = store

    def collect(self) -> Iterator[GaugeMetricFamily]:
        messages = GaugeMetricFamily(
            "mutaika_quarantine_messages", "Quarantined mails by hold state", labels=["state"]
        )
        size = GaugeMetricFamily(
            "mutaika_quarantine_bytes", "Bytes of the quarantined originals by hold state",
            labels=["state"],
        )
        releases = GaugeMetricFamily("mutaika_releases", "Releases by state", labels=["state"])
        try:
            with self._store.snapshot() as tx:
                held = tx.quarantine.stats_by_state()
                by_state = tx.releases.count_by_state()
        except StoreUnavailable:
            return  # /readyz says why; the spool's gauges still come
        for state in HoldState:
            count, total = held.get(str(state), (0, 0))
            messages.add_metric([str(state)], count)
            size.add_metric([str(state)], total)
        for release_state in ReleaseState:
            releases.add_metric([str(release_state)], by_state.get(str(release_state), 0))
        yield messages
        yield size
        yield releases
