"""Log-in with an API token, log-out, the language switch; and the dependencies every other
page takes: who is logged in, and a form whose CSRF value matches the session."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData

from gateway.api.deps import ServicesDep, get_services
from gateway.console.security import CSRF_FIELD, LANG_COOKIE, SESSION_COOKIE, csrf_nonce
from gateway.console.web import (
    LANGUAGES,
    ConsoleRoute,
    LoginNeeded,
    keys,
    render,
    safe_next,
)
from gateway.services.container import Services
from gateway.services.principal import Principal
from gateway.services.tokens import token_id

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)
LOGIN_SCOPE = "login"


def _client(request: Request) -> str:
    return request.client.host if request.client else ""


def console_principal(request: Request, services: ServicesDep) -> Principal:
    """The principal of the session cookie's token, looked up now (a revoked token is out)."""
    cookie = request.cookies.get(SESSION_COOKIE, "")
    session = keys(request).session(cookie) if cookie else None
    principal = services.tokens.principal_of(session.token_id) if session else None
    if session is None or principal is None:
        raise LoginNeeded
    request.state.principal = principal
    request.state.csrf_scope = f"session:{session.nonce}"
    return principal


ConsolePrincipal = Annotated[Principal, Depends(console_principal)]


async def checked_form(request: Request, principal: ConsolePrincipal) -> FormData:
    """The posted form, once its CSRF value is this session's; a refusal is audited."""
    form = await request.form()
    value = str(form.get(CSRF_FIELD, ""))
    if not keys(request).csrf_ok(csrf_nonce(request), request.state.csrf_scope, value):
        services: Services = get_services(request)
        await run_in_threadpool(services.guard.denied, principal, "console.csrf",
                                request.url.path[:300],
                                "the form's CSRF token is missing or not this session's")
    return form


CheckedForm = Annotated[FormData, Depends(checked_form)]


async def _form(request: Request) -> FormData:
    return await request.form()


RawForm = Annotated[FormData, Depends(_form)]


@router.get("/console")
def console_root() -> Response:
    return RedirectResponse("/console/", status_code=308)


@router.get("/console/login")
def login_page(request: Request, next: str = "/console/") -> HTMLResponse:
    return render(request, "login.html", {"next": safe_next(next), "failed": ""},
                  scope=LOGIN_SCOPE)


@router.post("/console/login")
def login(request: Request, services: ServicesDep, form: RawForm) -> Response:
    target = safe_next(str(form.get("next", "")))
    token = str(form.get("token", "")).strip()
    if not keys(request).csrf_ok(csrf_nonce(request), LOGIN_SCOPE,
                                 str(form.get(CSRF_FIELD, ""))):  # fmt: skip
        services.guard.unauthenticated("console.login", "console", "CSRF token missing or wrong",
                                       _client(request))
        return render(request, "login.html", {"next": target, "failed": "csrf"}, status=403,
                      scope=LOGIN_SCOPE)
    principal = services.tokens.authenticate(token) if token else None
    if principal is None:
        services.guard.unauthenticated("console.login", "console", "unknown or revoked token",
                                       _client(request))
        return render(request, "login.html", {"next": target, "failed": "token"}, status=401,
                      scope=LOGIN_SCOPE)
    _, cookie = keys(request).new_session(token_id(principal))
    services.audit.note(principal, "console.login", "console", client=_client(request))
    response = RedirectResponse(target, status_code=303)
    keys(request).set_session(response, cookie)
    return response


@router.post("/console/logout")
def logout(request: Request, services: ServicesDep, principal: ConsolePrincipal,
           form: CheckedForm) -> Response:  # fmt: skip
    services.audit.note(principal, "console.logout", "console", client=_client(request))
    response = RedirectResponse("/console/login", status_code=303)
    keys(request).end_session(response)
    return response


@router.get("/console/lang")
def switch_language(request: Request, to: str = "ja", next: str = "/console/") -> Response:
    response = RedirectResponse(safe_next(next), status_code=303)
    if to in LANGUAGES:
        response.set_cookie(LANG_COOKIE, to, max_age=365 * 86400, path="/", httponly=True,
                            samesite="lax", secure=keys(request).secure)
    return response
