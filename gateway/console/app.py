"""The console and the staff request pages, served by the API's process and application:
routers, static files, and the headers and cookies of gateway.console.security."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from gateway.config import Settings
from gateway.console.security import Keys, security_middleware
from gateway.console.views import (
    audit,
    auth,
    dashboard,
    quarantine,
    queue,
    releases,
    request,
    safecopy,
)
from gateway.console.views import tokens as token_views
from gateway.console.web import HERE
from gateway.services.links import request_links, secret_key

PAGES = (auth, dashboard, quarantine, safecopy, releases, queue, audit, token_views, request)


def install(app: FastAPI, settings: Settings) -> None:
    app.state.console_keys = Keys(settings, secret_key(settings))
    app.state.request_links = request_links(settings)
    app.middleware("http")(security_middleware(settings))
    for module in PAGES:
        app.include_router(module.router)
    app.mount("/console/static", StaticFiles(directory=HERE / "static"), name="console-static")
