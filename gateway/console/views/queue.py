"""The queues that need a person (deferred, failed, shunt): look, retry now, delete."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from gateway.api.deps import ServicesDep
from gateway.console.views.auth import CheckedForm, ConsolePrincipal
from gateway.console.web import ConsoleRoute, next_page, render
from gateway.services.principal import Action
from gateway.services.queue import OPERATOR_QUEUES, operator_queue

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)
QueueId = Annotated[str, Path(min_length=1, max_length=64)]
PAGE = 200


@router.get("/console/queue")
def queue(request: Request, services: ServicesDep, principal: ConsolePrincipal,
          name: str = "deferred", after: str = "") -> HTMLResponse:  # fmt: skip
    chosen = str(operator_queue(name))
    entries = services.queue.entries(principal, chosen, limit=PAGE, after=after[:64])
    return render(request, "queue.html", {
        "name": chosen, "queues": [str(q) for q in OPERATOR_QUEUES], "entries": entries,
        "next_url": next_page("/console/queue", {"name": chosen},
                              after=entries[-1].queue_id if len(entries) == PAGE else ""),
        "can_retry": principal.may(Action.QUEUE_RETRY),
        "can_delete": principal.may(Action.QUEUE_DELETE),
    })  # fmt: skip


@router.post("/console/queue/{name}/{queue_id}/retry")
def retry(services: ServicesDep, principal: ConsolePrincipal, name: str, queue_id: QueueId,
          form: CheckedForm) -> Response:  # fmt: skip
    services.queue.retry(principal, name, queue_id)
    return RedirectResponse(f"/console/queue?name={operator_queue(name)}", status_code=303)


@router.post("/console/queue/{name}/{queue_id}/delete")
def delete(services: ServicesDep, principal: ConsolePrincipal, name: str, queue_id: QueueId,
           form: CheckedForm) -> Response:  # fmt: skip
    services.queue.delete(principal, name, queue_id, str(form.get("reason", "")))
    return RedirectResponse(f"/console/queue?name={operator_queue(name)}", status_code=303)
