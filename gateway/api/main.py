"""The admin API application and its process entry point (uvicorn on the socket serve bound)."""

from __future__ import annotations

import asyncio
import socket

import uvicorn
from fastapi import FastAPI

from gateway import __version__
from gateway.api import errors
from gateway.api.routes import (
    audit,
    health,
    metrics,
    quarantine,
    queue,
    releases,
    safecopy,
    status,
    tokens,
)
from gateway.config import Settings
from gateway.console.app import install as install_console
from gateway.runtime import open_spool, open_store
from gateway.services.container import Services

DESCRIPTION = """The quarantine and release plane of mutaika.

Every route under /api/v1 needs `Authorization: Bearer <token>` (`mutaika token create --role R
--name N`). Roles: viewer (read), operator (+ download, request, retry), approver (+ approve,
reject, audit), admin (everything, deletes and tokens included). Every change, every download
and every refused request is written to the hash-chained audit log. Errors are JSON:
`{"error": word, "message": sentence, "detail": [...]}`.
"""


def _serve_started(settings: Settings) -> float | None:
    """serve writes serve.json once at start, before its children: its time is the uptime's."""
    try:
        return (settings.data_dir / "serve.json").stat().st_mtime
    except OSError:
        return None


def routes() -> FastAPI:
    """The application without its state: what the OpenAPI schema is made from."""
    app = FastAPI(title="mutaika", version=__version__, description=DESCRIPTION, docs_url=None,
                  redoc_url=None)
    errors.install(app)
    for module in (health, metrics, status, quarantine, safecopy, releases, queue, audit, tokens):
        app.include_router(module.router)
    return app


def create_app(settings: Settings) -> FastAPI:
    app = routes()
    app.state.settings = settings
    app.state.spool = open_spool(settings)
    app.state.store = open_store(settings)
    app.state.services = Services.build(settings, app.state.store, app.state.spool,
                                        started_at=_serve_started(settings))
    install_console(app, settings)  # /console/ and the staff request pages /r/{token}
    return app


def run_api(settings: Settings, sock: socket.socket) -> None:
    config = uvicorn.Config(create_app(settings), log_config=None, access_log=False, lifespan="off")
    asyncio.run(uvicorn.Server(config).serve(sockets=[sock]))
