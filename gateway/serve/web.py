"""The web process of `mutaika serve`: the API (gateway.api) and the console with the staff
request pages (gateway.console) on one application, served by uvicorn on the socket serve bound."""

from __future__ import annotations

import asyncio
import socket

import uvicorn
from fastapi import FastAPI

from gateway.api.main import routes
from gateway.config import Settings
from gateway.console.app import install as install_console
from gateway.runtime import open_spool, open_store
from gateway.services.container import Services


def _serve_started(settings: Settings) -> float | None:
    """serve writes serve.json once at start, before its children: its time is the uptime's."""
    try:
        return (settings.data_dir / "serve.json").stat().st_mtime
    except OSError:
        return None


def create_app(settings: Settings) -> FastAPI:
    app = routes()
    app.state.settings = settings
    app.state.spool = open_spool(settings)
    app.state.store = open_store(settings)
    app.state.services = Services.build(
        settings, app.state.store, app.state.spool, started_at=_serve_started(settings)
    )
    install_console(app, settings)  # /console/ and the staff request pages /r/{token}
    return app


def run_api(settings: Settings, sock: socket.socket) -> None:
    config = uvicorn.Config(create_app(settings), log_config=None, access_log=False, lifespan="off")
    asyncio.run(uvicorn.Server(config).serve(sockets=[sock]))
