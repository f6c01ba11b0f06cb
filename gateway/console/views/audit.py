"""The audit log: entries with filters, oldest first from a point (the last day by default),
and the same filters exported as JSON Lines."""

from __future__ import annotations

import time
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, StreamingResponse

from gateway.api.deps import ServicesDep
from gateway.api.download import jsonl_download
from gateway.console.views.auth import ConsolePrincipal
from gateway.console.web import ConsoleRoute, jst, next_page, parse_jst, render
from gateway.quarantine import AuditFilter

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)
PAGE = 100
DEFAULT_WINDOW = 86400.0
TEXT = ("actor", "action", "target", "result")


def _query(request: Request) -> dict[str, str]:
    query = {k: request.query_params.get(k, "").strip()[:300] for k in ("since", "until", *TEXT)}
    if "since" not in request.query_params:
        query["since"] = jst(time.time() - DEFAULT_WINDOW).replace(" ", "T")
    return query


def _filter(query: dict[str, str]) -> AuditFilter:
    return AuditFilter(since=parse_jst(query["since"]), until=parse_jst(query["until"]),
                       **{k: query[k] for k in TEXT})  # fmt: skip


@router.get("/console/audit")
def audit(request: Request, services: ServicesDep, principal: ConsolePrincipal,
          after: int = 0) -> HTMLResponse:  # fmt: skip
    query = _query(request)
    entries = services.audit.entries(principal, _filter(query), limit=PAGE,
                                     after=max(0, min(after, 2**62)))  # fmt: skip
    return render(request, "audit.html", {
        "query": query, "entries": entries,
        "next_url": next_page("/console/audit", query,
                              after=str(entries[-1].seq) if len(entries) == PAGE else ""),
        "export_url": f"/console/audit/export?{urlencode(query)}",
    })  # fmt: skip


@router.get("/console/audit/export")
def export(request: Request, services: ServicesDep, principal: ConsolePrincipal
           ) -> StreamingResponse:  # fmt: skip
    return jsonl_download(services.audit.export(principal, _filter(_query(request))),
                          "audit.jsonl")
