"""The staff member's request page, /r/{token}: the link in the notice of their mail.

GET shows what was removed and why and lets them choose; POST (CSRF-checked) files the release
request in their name, to them only, through the staff service. A forged, altered or expired
link gets a refusal page (403 / 410), written to the audit log as a failed authorization.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from gateway.api.deps import ServicesDep
from gateway.config import Settings
from gateway.console.links import ExpiredLink, InvalidLink, RequestLinks
from gateway.console.security import CSRF_FIELD, csrf_nonce
from gateway.console.views.auth import RawForm
from gateway.console.web import ConsoleRoute, keys, render
from gateway.services.container import Services
from gateway.services.principal import Principal
from gateway.services.staff import StaffView, staff_principal

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)
LinkToken = Annotated[str, Path(min_length=1, max_length=2000)]
MAX_REASON = 2000


def _client(request: Request) -> str:
    return request.client.host if request.client else ""


def _refuse(request: Request, services: Services, token: str, why: str, status: int,
            message: str) -> HTMLResponse:  # fmt: skip
    """Audited as a failed authorization; the token itself is not written down whole."""
    services.guard.unauthenticated("request.open", f"r/{token[:16]}…", why, _client(request))
    return render(request, "request/refused.html", {"status": status, "message": message},
                  status=status)


def _open(request: Request, services: Services, token: str) -> tuple[Principal, str] | Response:
    links: RequestLinks | None = request.app.state.request_links
    if links is None:
        return _refuse(request, services, token, "request links are off (no console.public_url)",
                       404, "refused.off")
    try:
        quarantine_id, recipient = links.verify(token)
    except ExpiredLink as error:
        return _refuse(request, services, token, str(error), 410, "refused.expired")
    except InvalidLink as error:
        return _refuse(request, services, token, str(error), 403, "refused.invalid")
    return staff_principal(recipient), quarantine_id


def _page(request: Request, view: StaffView, token: str, *, filed: str = "", problem: str = "",
          status: int = 200) -> HTMLResponse:  # fmt: skip
    settings: Settings = request.app.state.settings
    return render(request, "request/page.html", {
        "v": view, "mail": view.mail, "token": token, "filed": filed, "problem": problem,
        "contact": settings.sanitize.release_contact,
        "link_days": f"{settings.console.link_ttl_days:g}",
    }, status=status, scope=f"r:{token}")  # fmt: skip


@router.get("/r/{token}")
def show(request: Request, services: ServicesDep, token: LinkToken, filed: str = ""
         ) -> Response:  # fmt: skip
    opened = _open(request, services, token)
    if isinstance(opened, Response):
        return opened
    principal, quarantine_id = opened
    view = services.staff.view(principal, quarantine_id)
    mine = {r.id for r in view.requests}
    return _page(request, view, token, filed=filed if filed in mine else "")


@router.post("/r/{token}")
def file_request(request: Request, services: ServicesDep, token: LinkToken, form: RawForm
                 ) -> Response:  # fmt: skip
    if not keys(request).csrf_ok(csrf_nonce(request), f"r:{token}", str(form.get(CSRF_FIELD, ""))):
        return _refuse(request, services, token, "CSRF token missing or wrong", 403,
                       "refused.csrf")
    opened = _open(request, services, token)
    if isinstance(opened, Response):
        return opened
    principal, quarantine_id = opened
    what = "items" if form.get("what") == "items" else "original"
    chosen = [str(v) for v in form.getlist("items")]
    items = [int(v) for v in chosen if v.isdigit() and len(v) <= 6]
    reason = str(form.get("reason", "")).strip()[:MAX_REASON]
    problem = ("problem.no_items" if what == "items" and not items else
               "problem.no_reason" if not reason else "")  # fmt: skip
    if problem:
        view = services.staff.view(principal, quarantine_id)
        return _page(request, view, token, problem=problem, status=422)
    release, _ = services.staff.request(principal, quarantine_id, what=what, items=items,
                                        comment=reason)  # fmt: skip
    return RedirectResponse(f"/r/{token}?filed={release.id}", status_code=303)
