"""API tokens (admins only): list, make one (its secret shown on this one page), revoke."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from gateway.api.deps import ServicesDep
from gateway.console.views.auth import CheckedForm, ConsolePrincipal
from gateway.console.web import ConsoleRoute, render
from gateway.services.principal import TOKEN_ROLES

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)
TokenId = Annotated[str, Path(min_length=1, max_length=16)]


def _page(request: Request, services: ServicesDep, principal: ConsolePrincipal,
          made: str = "") -> HTMLResponse:  # fmt: skip
    return render(request, "tokens.html", {
        "tokens": services.tokens.listing(principal), "roles": [str(r) for r in TOKEN_ROLES],
        "made": made,
    })  # fmt: skip


@router.get("/console/tokens")
def tokens(request: Request, services: ServicesDep, principal: ConsolePrincipal) -> HTMLResponse:
    return _page(request, services, principal)


@router.post("/console/tokens")
def create(request: Request, services: ServicesDep, principal: ConsolePrincipal,
           form: CheckedForm) -> HTMLResponse:  # fmt: skip
    made = services.tokens.create(principal, role=str(form.get("role", "")),
                                  name=str(form.get("name", "")))  # fmt: skip
    return _page(request, services, principal, made.token)  # no-store: shown this once


@router.post("/console/tokens/{token_id}/revoke")
def revoke(services: ServicesDep, principal: ConsolePrincipal, token_id: TokenId,
           form: CheckedForm) -> Response:  # fmt: skip
    services.tokens.revoke(principal, token_id)
    return RedirectResponse("/console/tokens", status_code=303)
