"""/api/v1/releases: request, decide, retry, list."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Header, Path, Query, Response, status

from gateway.api.deps import PrincipalDep, ServicesDep
from gateway.api.schemas.common import AUTHED, CONFLICT, NOT_FOUND, epoch
from gateway.api.schemas.releases import (
    Decision,
    Release,
    ReleaseCreate,
    ReleasePage,
    ReleaseStateName,
)
from gateway.quarantine import ReleaseFilter

router = APIRouter(prefix="/api/v1/releases", tags=["releases"], responses=AUTHED)
ReleaseId = Annotated[str, Path(min_length=1, max_length=32, examples=["R0195F3A2C0000012300"])]


@router.get("", response_model=ReleasePage, summary="List releases, newest request first")
def list_releases(
    services: ServicesDep, principal: PrincipalDep,
    state: ReleaseStateName | None = None,
    quarantine_id: Annotated[str, Query(max_length=64)] = "",
    requested_by: Annotated[str, Query(max_length=200)] = "",
    since: datetime.datetime | None = None,
    until: datetime.datetime | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: Annotated[str, Query(max_length=200)] = "",
) -> ReleasePage:
    f = ReleaseFilter(state=state or "", quarantine_id=quarantine_id, requested_by=requested_by,
                      since=epoch(since), until=epoch(until))
    found, next_cursor = services.releases.page(principal, f, limit=limit, cursor=cursor)
    return ReleasePage(items=[Release.of(r) for r in found], next_cursor=next_cursor)


@router.post("", response_model=Release, status_code=status.HTTP_201_CREATED,
             responses={200: {"model": Release, "description": "the same request was made "
                              "before: that release, unchanged"}, **NOT_FOUND, **CONFLICT},
             summary="Request a release (self-release policies queue it at once)")
def create(
    services: ServicesDep, principal: PrincipalDep, body: ReleaseCreate, response: Response,
    idempotency_key: Annotated[str, Header(max_length=200, description=(
        "the same key again returns the first release instead of a new one"))] = "",
) -> Release:
    release, new = services.releases.create(
        principal, quarantine_id=body.quarantine_id, what=body.what, items=body.items,
        to=body.to, comment=body.comment, idempotency_key=idempotency_key,
    )
    if not new:
        response.status_code = status.HTTP_200_OK
    return Release.of(release)


@router.get("/{release_id}", response_model=Release, responses=NOT_FOUND,
            summary="One release with its history")
def get(services: ServicesDep, principal: PrincipalDep, release_id: ReleaseId) -> Release:
    return Release.of(services.releases.get(principal, release_id))


_DECIDED = {**NOT_FOUND, **CONFLICT}
_DECISIONS = {
    "approve": "Approve (a second person with the approver role) and queue",
    "reject": "Reject a request",
    "cancel": "Withdraw a request (the requester, or an approver)",
    "retry": "Send a failed or partly delivered release again",
}


def _decision(verb: str) -> Callable[..., Release]:
    def decide(services: ServicesDep, principal: PrincipalDep, release_id: ReleaseId,
               body: Decision | None = None) -> Release:
        act = getattr(services.releases, verb)
        return Release.of(act(principal, release_id, body.comment if body else ""))

    decide.__name__ = verb
    return decide


for _verb, _summary in _DECISIONS.items():
    router.post(f"/{{release_id}}/{_verb}", response_model=Release, responses=_DECIDED,
                summary=_summary)(_decision(_verb))
