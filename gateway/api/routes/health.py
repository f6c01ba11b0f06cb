"""/livez: the process answers. /readyz: the spool and the store can take mail now."""

from __future__ import annotations

from fastapi import APIRouter, Response, status
from pydantic import BaseModel

from gateway.api.deps import SpoolDep, StoreDep
from gateway.runtime import not_ready

router = APIRouter(tags=["health"])


class Health(BaseModel):
    status: str
    problems: list[str] = []


@router.get("/livez", response_model=Health)
def livez() -> Health:
    return Health(status="ok")


@router.get("/readyz", response_model=Health)
def readyz(spool: SpoolDep, store: StoreDep, response: Response) -> Health:
    problems = not_ready(spool, store)
    if problems:
        response.status_code = status.HTTP_503_SERVICE_UNAVAILABLE
        return Health(status="unavailable", problems=problems)
    return Health(status="ok")
