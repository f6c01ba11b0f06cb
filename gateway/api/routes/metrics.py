"""/metrics: every process's counters, merged from PROMETHEUS_MULTIPROC_DIR when serve runs,
plus the state of the spool read at scrape time."""

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

from gateway.api.collectors import SpoolCollector
from gateway.api.deps import SpoolDep

router = APIRouter(tags=["metrics"])


@router.get("/metrics")
def metrics(spool: SpoolDep) -> Response:
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        data = generate_latest(registry)
    else:
        data = generate_latest(REGISTRY)
    registry = CollectorRegistry()
    registry.register(SpoolCollector(spool))
    data += generate_latest(registry)
    return Response(content=data, media_type=CONTENT_TYPE_LATEST)
