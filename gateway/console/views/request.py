"""The staff member's request page, /r/{token}: the link in the notice of their mail.

GET shows what was removed and why, and per file its safe copy (or why there is none), and lets
them choose; each POST (CSRF-checked) acts in their name through the staff service: a release
request (/r/{token}), a safe-copy request (…/safecopy), opening a password-protected file with
its password (…/unlock). A forged, altered or expired link gets a refusal page (403 / 410),
written to the audit log as a failed authorization.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData

from gateway.api.deps import ServicesDep
from gateway.config import Settings
from gateway.console.security import CSRF_FIELD, csrf_nonce
from gateway.console.unlocking import Problem, attempt, item_of, just_opened, with_retry_after
from gateway.console.views.auth import RawForm
from gateway.console.web import ConsoleRoute, Refused, keys, render
from gateway.services.container import Services
from gateway.services.links import ExpiredLink, InvalidLink, RequestLinks
from gateway.services.principal import Principal
from gateway.services.staff import StaffView
from gateway.services.staff_rules import staff_principal

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)
LinkToken = Annotated[str, Path(min_length=1, max_length=2000)]
MAX_REASON = 2000


def _client(request: Request) -> str:
    return request.client.host if request.client else ""


def _refuse(request: Request, services: Services, token: str, why: str, status: int,
            message: str) -> Refused:  # fmt: skip
    """Audited as a failed authorization; the token itself is not written down whole."""
    services.guard.unauthenticated("request.open", f"r/{token[:16]}…", why, _client(request))
    return Refused(render(request, "request/refused.html", {"status": status,
                                                            "message": message}, status=status))


def _open(request: Request, services: Services, token: str) -> tuple[Principal, str]:
    """The staff member and the mail a link names; a refusal page when it does not verify."""
    links: RequestLinks | None = request.app.state.request_links
    if links is None:
        raise _refuse(request, services, token, "request links are off (no console.public_url)",
                       404, "refused.off")
    try:
        quarantine_id, recipient = links.verify(token)
    except ExpiredLink as error:
        raise _refuse(request, services, token, str(error), 410, "refused.expired") from None
    except InvalidLink as error:
        raise _refuse(request, services, token, str(error), 403, "refused.invalid") from None
    return staff_principal(recipient), quarantine_id


def _posted(request: Request, services: Services, token: str, form: FormData
            ) -> tuple[Principal, str]:  # fmt: skip
    """A POST's link, once its form carries this link's CSRF value."""
    if not keys(request).csrf_ok(csrf_nonce(request), f"r:{token}", str(form.get(CSRF_FIELD, ""))):
        raise _refuse(request, services, token, "CSRF token missing or wrong", 403,
                       "refused.csrf")
    return _open(request, services, token)


def _page(request: Request, view: StaffView, token: str, *, filed: str = "",
          problem: Problem | None = None, opened: str = "") -> HTMLResponse:  # fmt: skip
    settings: Settings = request.app.state.settings
    return with_retry_after(render(request, "request/page.html", {
        "v": view, "mail": view.mail, "token": token, "filed": filed, "problem": problem,
        "contact": settings.sanitize.release_contact, **just_opened(view.mail, opened),
        "link_days": f"{settings.console.link_ttl_days:g}",
    }, status=problem.status if problem else 200, scope=f"r:{token}"), problem)  # fmt: skip


def _reason(form: FormData) -> str:
    return str(form.get("reason", "")).strip()[:MAX_REASON]


@router.get("/r/{token}")
def show(request: Request, services: ServicesDep, token: LinkToken, filed: str = "",
         opened: str = "") -> Response:  # fmt: skip
    principal, quarantine_id = _open(request, services, token)
    view = services.staff.view(principal, quarantine_id)
    mine = {r.id for r in view.requests}
    return _page(request, view, token, filed=filed if filed in mine else "",
                 opened=opened)


@router.post("/r/{token}")
def file_request(request: Request, services: ServicesDep, token: LinkToken, form: RawForm
                 ) -> Response:  # fmt: skip
    principal, quarantine_id = _posted(request, services, token, form)
    what = "items" if form.get("what") == "items" else "original"
    chosen = [str(v) for v in form.getlist("items")]
    items = [int(v) for v in chosen if v.isdigit() and len(v) <= 6]
    reason = _reason(form)
    problem = ("problem.no_items" if what == "items" and not items else
               "problem.no_reason" if not reason else "")  # fmt: skip
    if problem:
        view = services.staff.view(principal, quarantine_id)
        return _page(request, view, token, problem=Problem(problem))
    release, _ = services.staff.request(principal, quarantine_id, what=what, items=items,
                                        comment=reason)  # fmt: skip
    return RedirectResponse(f"/r/{token}?filed={release.id}", status_code=303)


@router.post("/r/{token}/safecopy")
def request_safecopy(request: Request, services: ServicesDep, token: LinkToken, form: RawForm
                     ) -> Response:  # fmt: skip
    """One file's safe copy (the button in its row), to the staff member."""
    principal, quarantine_id = _posted(request, services, token, form)
    index, reason = item_of(form), _reason(form)
    view = services.staff.view(principal, quarantine_id)
    offer = view.offers.get(index) if index is not None else None
    if index is None or offer is None:
        return _page(request, view, token, problem=Problem("problem.no_items"))
    if not reason and offer.approval != "self":  # the approver needs to know why
        return _page(request, view, token, problem=Problem("problem.no_reason_copy"))
    release, _ = services.staff.request_safecopy(principal, quarantine_id, [index],
                                                 comment=reason)  # fmt: skip
    return RedirectResponse(f"/r/{token}?filed={release.id}", status_code=303)


@router.post("/r/{token}/unlock")
def unlock(request: Request, services: ServicesDep, token: LinkToken, form: RawForm
           ) -> Response:  # fmt: skip
    """Open a password-protected file; on success the page lists what is inside."""
    principal, quarantine_id = _posted(request, services, token, form)
    view = services.staff.view(principal, quarantine_id)
    result = attempt(request, view.offers, form,
                     lambda index, password: services.staff.unlock(principal, quarantine_id,
                                                                   index, password))  # fmt: skip
    if isinstance(result, Problem):  # nothing changed: the page as it was, and why
        return _page(request, view, token, problem=result)
    return RedirectResponse(f"/r/{token}?opened={result[0]}", status_code=303)
