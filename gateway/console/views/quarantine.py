"""Quarantine: search with the API's filters, one mail in detail (with each removed part's safe
copy, or why there is none), the original (or a removed part) downloaded after a confirmation,
and a release request from an operator. Safe-copy requests and PPAP: views/safecopy.py."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from gateway.api.deps import ServicesDep
from gateway.api.download import attachment
from gateway.console.unlocking import Problem, just_opened, with_retry_after
from gateway.console.views.auth import CheckedForm, ConsolePrincipal
from gateway.console.web import ConsoleRoute, next_page, parse_jst, render
from gateway.quarantine import HoldState, QuarantineFilter
from gateway.services.container import Services
from gateway.services.errors import Invalid
from gateway.services.principal import Action, Principal

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)
QuarantineId = Annotated[str, Path(min_length=1, max_length=64)]
PAGE = 50
TEXT_FILTERS = ("sender", "recipient", "subject", "reason", "detected_type", "flag", "verdict")
FILTERS = ("since", "until", *TEXT_FILTERS, "state")


def _filter(query: dict[str, str]) -> QuarantineFilter:
    state = query.get("state", "")
    return QuarantineFilter(
        since=parse_jst(query.get("since", "")), until=parse_jst(query.get("until", "")),
        state=HoldState(state) if state in set(HoldState) else None,
        **{name: query.get(name, "").strip()[:300] for name in TEXT_FILTERS},
    )  # fmt: skip


@router.get("/console/quarantine")
def search(request: Request, services: ServicesDep, principal: ConsolePrincipal,
           cursor: str = "") -> HTMLResponse:  # fmt: skip
    query = {k: v for k, v in request.query_params.items() if k in FILTERS and v}
    page = services.quarantine.page(principal, _filter(query), limit=PAGE, cursor=cursor[:200])
    return render(request, "quarantine_list.html", {
        "query": query, "records": page.records,
        "next_url": next_page("/console/quarantine", query, cursor=page.next_cursor),
        "states": [str(s) for s in HoldState],
        "verdicts": ("clean", "sanitized", "quarantined-whole"),
    })  # fmt: skip


def detail_page(request: Request, services: Services, principal: Principal, quarantine_id: str,
                *, problem: Problem | None = None, opened: str = "") -> HTMLResponse:  # fmt: skip
    found = services.quarantine.detail(principal, quarantine_id)
    offers = {o.item.index: o for o in services.safecopy.offers(principal, quarantine_id)}
    return with_retry_after(render(request, "quarantine_detail.html", {
        "d": found, "mail": found.record, "offers": offers, "problem": problem,
        **just_opened(found.record, opened),
        "warnings": [str(w) for w in found.record.report.get("warnings", [])],
        "can_download": principal.may(Action.QUARANTINE_DOWNLOAD),
        "can_request": principal.may(Action.RELEASE_CREATE),
        "can_safecopy": principal.may(Action.SAFECOPY_REQUEST),
        "can_unlock": principal.may(Action.SAFECOPY_UNLOCK),
    }, status=problem.status if problem else 200), problem)  # fmt: skip


@router.get("/console/quarantine/{quarantine_id}")
def detail(request: Request, services: ServicesDep, principal: ConsolePrincipal,
           quarantine_id: QuarantineId, opened: str = "") -> HTMLResponse:  # fmt: skip
    return detail_page(request, services, principal, quarantine_id, opened=opened[:20])


def _item(value: str) -> int | None:
    """"" for the original, else a removed part's index."""
    if not value:
        return None
    if not value.isdigit() or len(value) > 6:
        raise Invalid("item must be the number of a removed part")
    return int(value)


@router.get("/console/quarantine/{quarantine_id}/download")
def confirm_download(request: Request, services: ServicesDep, principal: ConsolePrincipal,
                     quarantine_id: QuarantineId, item: str = "") -> HTMLResponse:  # fmt: skip
    index = _item(item)
    services.guard.check(principal, Action.QUARANTINE_DOWNLOAD, quarantine_id)
    mail = services.quarantine.detail(principal, quarantine_id).record
    part = next((i for i in mail.items if i.index == index), None)
    if index is not None and part is None:
        raise Invalid(f"{quarantine_id} has no removed part {index}")
    return render(request, "download_confirm.html", {"mail": mail, "part": part,
                                                     "item": "" if index is None else index})


@router.post("/console/quarantine/{quarantine_id}/download")
def download(services: ServicesDep, principal: ConsolePrincipal, quarantine_id: QuarantineId,
             form: CheckedForm) -> Response:  # fmt: skip
    index = _item(str(form.get("item", "")))
    if index is None:
        found, data = services.quarantine.original(principal, quarantine_id)
        return attachment(data, f"{found.id}.eml", "original.eml", "message/rfc822")
    part, data = services.quarantine.item(principal, quarantine_id, index)
    return attachment(data, part.filename, f"item-{index}.bin", "application/octet-stream")


@router.post("/console/quarantine/{quarantine_id}/release")
def request_release(services: ServicesDep, principal: ConsolePrincipal,
                    quarantine_id: QuarantineId, form: CheckedForm) -> Response:  # fmt: skip
    what = str(form.get("what", "original"))
    items = [_item(str(v)) for v in form.getlist("items")] if what == "items" else []
    to = [a.strip() for a in str(form.get("to", "")).replace(",", "\n").splitlines() if a.strip()]
    release, _ = services.releases.create(
        principal, quarantine_id=quarantine_id, what=what, to=to,
        items=[i for i in items if i is not None], comment=str(form.get("comment", "")),
    )  # fmt: skip
    return RedirectResponse(f"/console/releases/{release.id}", status_code=303)
