"""What /metrics exports, by the names a query uses (counters with _total, histograms by their
base name) and with the labels each carries: gateway.metrics' registry plus the collectors the
metrics route registers, read from a real store and spool."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from prometheus_client import REGISTRY
from prometheus_client.metrics import MetricWrapperBase

import gateway.metrics
from gateway.api.collectors import ReadinessCollector, SpoolCollector, StoreCollector
from gateway.quarantine import QuarantineStore
from gateway.spool import Spool


@dataclass(frozen=True, slots=True)
class Exported:
    kind: str  # counter, gauge, histogram
    labels: frozenset[str]


def exported_metrics(tmp_path: Path) -> dict[str, Exported]:
    store = QuarantineStore(f"sqlite:///{tmp_path / 'store.sqlite3'}")
    store.prepare()
    spool = Spool(tmp_path / "spool")
    spool.prepare()
    try:
        families = [*REGISTRY.collect(), *SpoolCollector(spool).collect(),
                    *StoreCollector(store).collect(), *ReadinessCollector(spool, store).collect()]
    finally:
        store.close()
    # a labelled counter nobody has counted yet has no samples to read its labels from
    declared = {metric._name: metric._labelnames for metric in vars(gateway.metrics).values()
                if isinstance(metric, MetricWrapperBase)}  # fmt: skip
    exported: dict[str, Exported] = {}
    for family in families:
        if not family.name.startswith("mutaika_"):
            continue
        labels = {key for sample in family.samples for key in sample.labels}
        labels = (labels | set(declared.get(family.name, ()))) - {"le"}
        name = family.name + ("_total" if family.type == "counter" else "")
        exported[name] = Exported(family.type, frozenset(labels))
    return exported
