"""The admin API application and its process entry point (uvicorn on api.host:api.port)."""

from __future__ import annotations

import asyncio

import uvicorn
from fastapi import FastAPI

from gateway.api.routes import health, metrics
from gateway.api.sockets import bind_socket
from gateway.config import Settings
from gateway.log import configure_logging


def create_app(settings: Settings) -> FastAPI:
    app = FastAPI(title="mutaika", docs_url=None, redoc_url=None)
    app.state.settings = settings
    app.include_router(health.router)
    app.include_router(metrics.router)
    return app


def run_api_process(settings: Settings) -> None:
    configure_logging(settings.log_level)
    sock = bind_socket(settings.api.host, settings.api.port)
    config = uvicorn.Config(create_app(settings), log_config=None, access_log=False, lifespan="off")
    asyncio.run(uvicorn.Server(config).serve(sockets=[sock]))
