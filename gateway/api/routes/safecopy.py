"""/api/v1/quarantine/{id}/…: what can be asked about each item, safe copies, PPAP."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Path, Response, status

from gateway.api.deps import PrincipalDep, ServicesDep
from gateway.api.routes.quarantine import QuarantineId
from gateway.api.schemas.common import AUTHED, CONFLICT, NOT_FOUND, TOO_MANY
from gateway.api.schemas.releases import Release
from gateway.api.schemas.safecopy import (
    SafeCopyOffer,
    SafeCopyRequest,
    UnlockRequest,
    UnlockResult,
)
from gateway.services.errors import NotFound

router = APIRouter(prefix="/api/v1/quarantine", tags=["safe copies"], responses=AUTHED)
ItemIndex = Annotated[int, Path(ge=0, le=100_000)]


@router.get("/{quarantine_id}/offers", response_model=list[SafeCopyOffer], responses=NOT_FOUND,
            summary="Per removed item: can its safe copy be asked for, must it be opened first")
def offers(services: ServicesDep, principal: PrincipalDep, quarantine_id: QuarantineId
           ) -> list[SafeCopyOffer]:
    return [SafeCopyOffer.of(o) for o in services.safecopy.offers(principal, quarantine_id)]


@router.get("/{quarantine_id}/items/{index}/offer", response_model=SafeCopyOffer,
            responses=NOT_FOUND, summary="One removed item's offer")
def offer(services: ServicesDep, principal: PrincipalDep, quarantine_id: QuarantineId,
          index: ItemIndex) -> SafeCopyOffer:
    found = [o for o in services.safecopy.offers(principal, quarantine_id) if o.item.index == index]
    if not found:
        raise NotFound(f"no removed part {index} in {quarantine_id!r}")
    return SafeCopyOffer.of(found[0])


@router.post("/{quarantine_id}/items/{index}/safecopy", response_model=Release,
             status_code=status.HTTP_201_CREATED,
             responses={200: {"model": Release, "description": "the same request was made "
                              "before: that release, unchanged"}, **NOT_FOUND, **CONFLICT},
             summary="Ask for the item's safe copy (a release; approval per "
                     "release.policy.safecopy)")
def request_safecopy(
    services: ServicesDep, principal: PrincipalDep, quarantine_id: QuarantineId,
    index: ItemIndex, response: Response, body: SafeCopyRequest | None = None,
    idempotency_key: Annotated[str, Header(max_length=200, description=(
        "the same key again returns the first release instead of a new one"))] = "",
) -> Release:
    body = body or SafeCopyRequest()
    release, new = services.safecopy.request(principal, quarantine_id, [index], body.to,
                                             comment=body.comment,
                                             idempotency_key=idempotency_key)  # fmt: skip
    if not new:
        response.status_code = status.HTTP_200_OK
    return Release.of(release)


@router.post("/{quarantine_id}/items/{index}/unlock", response_model=UnlockResult,
             responses={**NOT_FOUND, **TOO_MANY},
             summary="Open a password-protected item (PPAP); its files become items")
def unlock(services: ServicesDep, principal: PrincipalDep, quarantine_id: QuarantineId,
           index: ItemIndex, body: UnlockRequest) -> UnlockResult:
    outcome = services.safecopy.unlock(principal, quarantine_id, index,
                                       body.password.get_secret_value())  # fmt: skip
    return UnlockResult.of(outcome)
