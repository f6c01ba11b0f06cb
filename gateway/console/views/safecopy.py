"""The quarantine detail's safe copies and PPAP, for operators and above: a safe-copy request
(a release of what="safecopy", to the mail's recipients unless others are named; approval as
release.policy.safecopy says) and opening a password-protected part with its password. Both go
through the safe-copy service, which checks the role and writes the audit log."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from gateway.api.deps import ServicesDep
from gateway.console.unlocking import Problem, attempt
from gateway.console.views.auth import CheckedForm, ConsolePrincipal
from gateway.console.views.quarantine import QuarantineId, detail_page
from gateway.console.web import ConsoleRoute
from gateway.services.errors import Invalid

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)


@router.post("/console/quarantine/{quarantine_id}/safecopy")
def request_safecopy(services: ServicesDep, principal: ConsolePrincipal,
                     quarantine_id: QuarantineId, form: CheckedForm) -> Response:  # fmt: skip
    chosen = [str(v) for v in form.getlist("items")]
    items = [int(v) for v in chosen if v.isdigit() and len(v) <= 6]
    if not items or len(items) != len(chosen):
        raise Invalid("choose the removed parts whose safe copies are wanted")
    to = [a.strip() for a in str(form.get("to", "")).replace(",", "\n").splitlines() if a.strip()]
    release, _ = services.safecopy.request(principal, quarantine_id, items, to,
                                           comment=str(form.get("comment", "")))  # fmt: skip
    return RedirectResponse(f"/console/releases/{release.id}", status_code=303)


@router.post("/console/quarantine/{quarantine_id}/unlock")
def unlock(request: Request, services: ServicesDep, principal: ConsolePrincipal,
           quarantine_id: QuarantineId, form: CheckedForm) -> Response:  # fmt: skip
    offers = {o.item.index: o for o in services.safecopy.offers(principal, quarantine_id)}
    result = attempt(request, offers, form,
                     lambda index, password: services.safecopy.unlock(principal, quarantine_id,
                                                                      index, password))  # fmt: skip
    if isinstance(result, Problem):
        return detail_page(request, services, principal, quarantine_id, problem=result)
    return RedirectResponse(f"/console/quarantine/{quarantine_id}?opened={result[0]}#removed",
                            status_code=303)  # fmt: skip
