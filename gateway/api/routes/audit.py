"""/api/v1/audit: the log with filters, as JSON pages or a JSON Lines export; the chain check."""

from __future__ import annotations

import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse

from gateway.api.deps import PrincipalDep, ServicesDep
from gateway.api.download import jsonl_download
from gateway.api.schemas.common import AUTHED, epoch
from gateway.api.schemas.operations import AuditEntryOut, AuditPage, AuditVerification
from gateway.quarantine import AuditFilter

router = APIRouter(prefix="/api/v1/audit", tags=["audit"], responses=AUTHED)


def _filter(since: datetime.datetime | None, until: datetime.datetime | None, actor: str,
            action: str, target: str, result: str) -> AuditFilter:
    return AuditFilter(since=epoch(since), until=epoch(until), actor=actor, action=action,
                       target=target, result=result)


@router.get("", response_model=AuditPage, summary="Entries, oldest first")
def entries(
    services: ServicesDep, principal: PrincipalDep,
    since: datetime.datetime | None = None, until: datetime.datetime | None = None,
    actor: Annotated[str, Query(max_length=300)] = "",
    action: Annotated[str, Query(max_length=64, description=(
        "exact, or a prefix ending in '.': release. takes every release action"))] = "",
    target: Annotated[str, Query(max_length=300)] = "",
    result: Annotated[str, Query(max_length=32)] = "",
    after: Annotated[int, Query(ge=0, le=2**62)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> AuditPage:
    f = _filter(since, until, actor, action, target, result)
    found = services.audit.entries(principal, f, limit=limit, after=after)
    return AuditPage(items=[AuditEntryOut.of(e) for e in found],
                     next_after=found[-1].seq if len(found) == limit else 0)


@router.get("/export", response_class=StreamingResponse, summary="Every entry as JSON Lines",
            responses={200: {"content": {"application/jsonl": {"schema": {"type": "string"}}},
                             "description": "one entry per line, oldest first"}})
def export(
    services: ServicesDep, principal: PrincipalDep,
    since: datetime.datetime | None = None, until: datetime.datetime | None = None,
    actor: Annotated[str, Query(max_length=300)] = "",
    action: Annotated[str, Query(max_length=64)] = "",
    target: Annotated[str, Query(max_length=300)] = "",
    result: Annotated[str, Query(max_length=32)] = "",
) -> StreamingResponse:
    lines = services.audit.export(principal, _filter(since, until, actor, action, target, result))
    return jsonl_download(lines, "audit.jsonl")


@router.get("/verify", response_model=AuditVerification, summary="Check the hash chain",
            description="Walks the whole chain. What it finds is recorded as the chain's state "
            "that /metrics reports (mutaika_audit_chain_ok): a break stays reported until a "
            "verification finds the chain whole and holding the entries verified before.")
def verify(services: ServicesDep, principal: PrincipalDep) -> AuditVerification:
    v = services.audit.verify(principal)
    return AuditVerification(ok=v.ok, checked=v.checked, head_seq=v.head_seq,
                             head_hash=v.head_hash, bad_seq=v.bad_seq, problem=v.problem)
