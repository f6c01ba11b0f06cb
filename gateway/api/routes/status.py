"""/api/v1/status: version, uptime, queues, last delivery error, today's mail, releases."""

from __future__ import annotations

from dataclasses import asdict

from fastapi import APIRouter

from gateway.api.deps import PrincipalDep, ServicesDep
from gateway.api.schemas.common import AUTHED, moment
from gateway.api.schemas.operations import Status

router = APIRouter(prefix="/api/v1", tags=["status"], responses=AUTHED)


@router.get("/status", response_model=Status, summary="The gateway at a glance")
def status(services: ServicesDep, principal: PrincipalDep) -> Status:
    found = services.status.status(principal)
    data = asdict(found)
    data["started_at"] = moment(found.started_at)
    return Status.model_validate(data)
