"""Release requests: the list (open ones first), one request with its history and per-recipient
replies, and the decisions. Who may decide is the service's call; the page only leaves out the
buttons it would refuse (a requester never sees an approve button on their own request)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from gateway.api.deps import ServicesDep
from gateway.console.views.auth import CheckedForm, ConsolePrincipal
from gateway.console.web import ConsoleRoute, next_page, render
from gateway.quarantine import ReleaseFilter, ReleaseRecord, ReleaseState
from gateway.services.principal import Action, Principal, Role
from gateway.services.release import RETRIABLE

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)
ReleaseId = Annotated[str, Path(min_length=1, max_length=32)]
Verb = Literal["approve", "reject", "cancel", "retry"]
PAGE = 50
S = ReleaseState


def decisions(principal: Principal, release: ReleaseRecord) -> list[str]:
    """The buttons to show: what the service would allow this principal now."""
    verbs: list[str] = []
    own = release.requested_by == principal.name
    if release.state == S.REQUESTED:
        if principal.may(Action.RELEASE_APPROVE) and not own and (
                release.policy != "admin" or principal.role == Role.ADMIN):  # fmt: skip
            verbs.append("approve")
        if principal.may(Action.RELEASE_REJECT):
            verbs.append("reject")
        if principal.may(Action.RELEASE_CANCEL) and (own or principal.may(Action.RELEASE_REJECT)):
            verbs.append("cancel")
    elif release.state in RETRIABLE and principal.may(Action.RELEASE_RETRY):
        verbs.append("retry")
    return verbs


@router.get("/console/releases")
def releases(request: Request, services: ServicesDep, principal: ConsolePrincipal,
             state: str = "requested", quarantine_id: str = "", requested_by: str = "",
             cursor: str = "") -> HTMLResponse:  # fmt: skip
    state = state if state in set(S) else ""
    f = ReleaseFilter(state=state, quarantine_id=quarantine_id[:64],
                      requested_by=requested_by[:300])  # fmt: skip
    found, next_cursor = services.releases.page(principal, f, limit=PAGE, cursor=cursor[:200])
    query = {"state": state, "quarantine_id": f.quarantine_id, "requested_by": f.requested_by}
    return render(request, "releases.html", {
        "records": found, "states": [str(s) for s in S], "query": query,
        "next_url": next_page("/console/releases", query, cursor=next_cursor),
    })  # fmt: skip


@router.get("/console/releases/{release_id}")
def release(request: Request, services: ServicesDep, principal: ConsolePrincipal,
            release_id: ReleaseId) -> HTMLResponse:  # fmt: skip
    found = services.releases.get(principal, release_id)
    return render(request, "release.html", {
        "r": found, "verbs": decisions(principal, found),
        "own": found.requested_by == principal.name,
        "numbers": ", ".join(str(i + 1) for i in found.items),  # as the notice numbers them
    })  # fmt: skip


@router.post("/console/releases/{release_id}/{verb}")
def decide(services: ServicesDep, principal: ConsolePrincipal, release_id: ReleaseId, verb: Verb,
           form: CheckedForm) -> Response:  # fmt: skip
    act = getattr(services.releases, verb)
    act(principal, release_id, str(form.get("comment", "")))
    return RedirectResponse(f"/console/releases/{release_id}", status_code=303)
