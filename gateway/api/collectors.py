"""Metrics that describe state rather than events, read at scrape time from their owner: the
queues and the room left in the spool, the quarantine and the audit chain's watch in the store,
and readiness.

A gauge set by whichever process last looked would be stale or summed wrongly across the
process tree; a collector asks the spool and the store when Prometheus asks us.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from gateway.errors import SpoolError
from gateway.quarantine import (
    HoldState,
    QuarantineStore,
    ReleaseState,
    StoreUnavailable,
)
from gateway.runtime import not_ready
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
        try:
            space = self._spool.space()
        except SpoolError:
            return  # /readyz and mutaika_ready say why
        for name, value, what in (
            ("free", space.free_bytes, "Free bytes on the spool's file system"),
            ("min_free", space.min_free_bytes,
             "spool.min_free_bytes: with less free, new mail is refused with 452"),
            ("pending", space.pending_bytes,
             "Bytes of the mail still to be worked on, counted against spool.high_water_bytes"),
            ("high_water", space.high_water_bytes,
             "spool.high_water_bytes: above it, new mail is refused with 452"),
        ):  # fmt: skip
            yield GaugeMetricFamily(f"mutaika_spool_{name}_bytes", what, value=value)


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
                chain = tx.audit.chain_state()
        except StoreUnavailable:
            return  # /readyz says why; the spool's gauges still come
        free = self._store.free_bytes()
        if free is not None:  # a database on a local disk, not a server
            yield GaugeMetricFamily("mutaika_store_free_bytes",
                                    "Free bytes on the disk of the store's database", value=free)
            yield GaugeMetricFamily(
                "mutaika_store_min_free_bytes",
                "With less free on the database's disk the gateway is not ready (/readyz)",
                value=self._store.min_free_bytes,
            )
        yield GaugeMetricFamily(
            "mutaika_audit_chain_ok",
            "1: the audit log's hash chain was whole when last checked; 0: it is broken (stays "
            "0 until `mutaika audit verify` finds it whole)", value=int(chain.ok),
        )  # fmt: skip
        yield GaugeMetricFamily(
            "mutaika_audit_chain_checked_timestamp_seconds",
            "When the housekeeping last checked the audit chain (0: never)",
            value=chain.checked_at,
        )
        for state in HoldState:
            count, total = held.get(str(state), (0, 0))
            messages.add_metric([str(state)], count)
            size.add_metric([str(state)], total)
        for release_state in ReleaseState:
            releases.add_metric([str(release_state)], by_state.get(str(release_state), 0))
        yield messages
        yield size
        yield releases


class ReadinessCollector(Collector):
    """mutaika_ready: what /readyz answers, as a number Prometheus can alert on."""

    def __init__(self, spool: Spool, store: QuarantineStore) -> None:
        self._spool = spool
        self._store = store

    def collect(self) -> Iterator[GaugeMetricFamily]:
        ready = not not_ready(self._spool, self._store)
        yield GaugeMetricFamily(
            "mutaika_ready", "1: the spool and the store can take mail (/readyz answers 200)",
            value=int(ready),
        )
