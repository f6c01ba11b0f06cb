"""/api/v1/quarantine: list, detail, download, delete, bulk."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response, status

from gateway.api.deps import PrincipalDep, ServicesDep
from gateway.api.download import attachment
from gateway.api.schemas.common import AUTHED, CONFLICT, NOT_FOUND, Responses, epoch
from gateway.api.schemas.quarantine import (
    BulkRequest,
    BulkResult,
    Header,
    QuarantineDetail,
    QuarantineFilterIn,
    QuarantinePage,
    QuarantineSummary,
)
from gateway.api.schemas.releases import Release
from gateway.quarantine import HoldState, QuarantineFilter

router = APIRouter(prefix="/api/v1/quarantine", tags=["quarantine"], responses=AUTHED)
QuarantineId = Annotated[str, Path(min_length=1, max_length=64, examples=["0195F3A2B4C5D6E7F8"])]


def to_filter(f: QuarantineFilterIn) -> QuarantineFilter:
    return QuarantineFilter(
        since=epoch(f.since), until=epoch(f.until), sender=f.sender, recipient=f.recipient,
        subject=f.subject, verdict=f.verdict, reason=f.reason, detected_type=f.detected_type,
        flag=f.flag, state=HoldState(f.state) if f.state else None,
    )


@router.get("", response_model=QuarantinePage, summary="List quarantined mails, newest first")
def list_quarantine(
    services: ServicesDep, principal: PrincipalDep,
    filters: Annotated[QuarantineFilterIn, Query()],
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: Annotated[str, Query(max_length=200)] = "",
) -> QuarantinePage:
    page = services.quarantine.page(principal, to_filter(filters), limit=limit, cursor=cursor)
    return QuarantinePage(items=[QuarantineSummary.of(r) for r in page.records],
                          next_cursor=page.next_cursor)


@router.post("/bulk", response_model=BulkResult, responses=CONFLICT,
             summary="Count (dry run) or delete the mails a filter matches")
def bulk(services: ServicesDep, principal: PrincipalDep, body: BulkRequest) -> BulkResult:
    result = services.quarantine.bulk_delete(principal, to_filter(body.filter),
                                             dry_run=body.dry_run, expected=body.expected_count,
                                             reason=body.reason)
    return BulkResult(matched=result.matched, deleted=result.deleted, skipped=result.skipped,
                      dry_run=body.dry_run)


@router.get("/{quarantine_id}", response_model=QuarantineDetail, responses=NOT_FOUND,
            summary="One mail: envelope, headers, sanitized text, removed parts, releases")
def detail(services: ServicesDep, principal: PrincipalDep, quarantine_id: QuarantineId
           ) -> QuarantineDetail:
    found = services.quarantine.detail(principal, quarantine_id)
    r = found.record
    summary = QuarantineSummary.of(r).model_dump()
    return QuarantineDetail(
        **summary, envelope_sender=r.sender, envelope_recipients=r.recipients,
        original_sha256=r.original_sha256,
        headers=[Header(name=n, value=v) for n, v in found.headers],
        sanitized_text=found.sanitized_text,
        warnings=[str(w) for w in r.report.get("warnings", [])],
        releases=[Release.of(x) for x in found.releases],
    )


@router.delete("/{quarantine_id}", status_code=status.HTTP_204_NO_CONTENT,
               responses={**NOT_FOUND, **CONFLICT}, summary="Delete one mail and its payloads")
def delete(
    services: ServicesDep, principal: PrincipalDep, quarantine_id: QuarantineId,
    reason: Annotated[str, Query(max_length=2000)] = "",
) -> Response:
    services.quarantine.delete(principal, quarantine_id, reason)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


_BINARY = {"schema": {"type": "string", "format": "binary"}}
_EML: Responses = {200: {"content": {"message/rfc822": _BINARY},
                         "description": "the original as received (always audited)"}}
_BIN: Responses = {200: {"content": {"application/octet-stream": _BINARY},
                         "description": "the removed part's bytes (always audited)"}}


@router.get("/{quarantine_id}/original", response_class=Response,
            responses={**_EML, **NOT_FOUND}, summary="Download the original .eml")
def original(services: ServicesDep, principal: PrincipalDep, quarantine_id: QuarantineId
             ) -> Response:
    found, data = services.quarantine.original(principal, quarantine_id)
    return attachment(data, f"{found.id}.eml", "original.eml", "message/rfc822")


@router.get("/{quarantine_id}/items/{index}", response_class=Response,
            responses={**_BIN, **NOT_FOUND}, summary="Download one removed part")
def item(
    services: ServicesDep, principal: PrincipalDep, quarantine_id: QuarantineId,
    index: Annotated[int, Path(ge=0, le=100_000)],
) -> Response:
    found, data = services.quarantine.item(principal, quarantine_id, index)
    return attachment(data, found.filename, f"item-{index}.bin", "application/octet-stream")

