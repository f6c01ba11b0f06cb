"""The admin API application and its process entry point (uvicorn on the socket serve bound)."""

from __future__ import annotations

import asyncio
import socket

import uvicorn
from fastapi import FastAPI

from gateway.api.routes import health, metrics
from gateway.config import Settings
from gateway.runtime import open_spool, open_store


def create_app(settings: Settings) -> FastAPI:
    app = FastAPI(title="mutaika", docs_url=None, redoc_url=None)
    app.state.settings = settings
    app.state.spool = open_spool(settings)
    app.state.store = open_store(settings)
    app.include_router(health.router)
    app.include_router(metrics.router)
    return app


def run_api(settings: Settings, sock: socket.socket) -> None:
    config = uvicorn.Config(create_app(settings), log_config=None, access_log=False, lifespan="off")
    asyncio.run(uvicorn.Server(config).serve(sockets=[sock]))
