"""The dashboard: today's mail by verdict, the queues, open release requests, recent delivery
errors; all from the services the API's /status and lists use."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from gateway.api.deps import ServicesDep
from gateway.console.views.auth import ConsolePrincipal
from gateway.console.web import ConsoleRoute, render
from gateway.quarantine import ReleaseFilter, ReleaseState

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)
OPEN_SHOWN = 10
ERRORS_SHOWN = 10
VERDICTS = ("clean", "sanitized", "quarantined-whole")


@router.get("/console/")
def dashboard(request: Request, services: ServicesDep, principal: ConsolePrincipal
              ) -> HTMLResponse:  # fmt: skip
    status = services.status.status(principal)
    waiting, _ = services.releases.page(principal, ReleaseFilter(state=ReleaseState.REQUESTED),
                                        limit=OPEN_SHOWN)  # fmt: skip
    verdicts = {v: status.today_by_verdict.get(v, 0) for v in VERDICTS}
    verdicts |= {k: n for k, n in status.today_by_verdict.items() if k not in verdicts}
    return render(request, "dashboard.html", {
        "status": status, "verdicts": verdicts, "total": sum(verdicts.values()),
        "waiting": waiting, "waiting_count": status.releases_by_state.get("requested", 0),
        "errors": services.status.recent_errors(principal, ERRORS_SHOWN),
    })  # fmt: skip
