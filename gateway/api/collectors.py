"""Metrics that describe state rather than events, read at scrape time from their owner.

A gauge set by whichever process last looked would be stale or summed wrongly across the
process tree; a collector asks the spool (and the store) when Prometheus asks us.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

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
