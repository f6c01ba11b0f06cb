"""/metrics: every process's counters, merged from PROMETHEUS_MULTIPROC_DIR when serve runs,
plus the state of the spool and the store, and readiness, read at scrape time."""

from __future__ import annotations

import os

from fastapi import APIRouter, Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    generate_latest,
    multiprocess,
)

from gateway.api.collectors import ReadinessCollector, SpoolCollector, StoreCollector
from gateway.api.deps import SpoolDep, StoreDep

router = APIRouter(tags=["metrics"])


@router.get("/metrics", response_class=Response, summary="Prometheus metrics (open)",
            responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}},
                             "description": "the Prometheus text format"}})
def metrics(spool: SpoolDep, store: StoreDep) -> Response:
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        data = generate_latest(registry)
    else:
        data = generate_latest(REGISTRY)
    registry = CollectorRegistry()
    registry.register(SpoolCollector(spool))
    registry.register(StoreCollector(store))
    registry.register(ReadinessCollector(spool, store))
    data += generate_latest(registry)
    return Response(content=data, media_type=CONTENT_TYPE_LATEST)
