"""The real app on a real store, served by uvicorn over loopback, and one token per role."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import uvicorn

from gateway.serve.sockets import bind_listening
from gateway.serve.web import create_app
from gateway.services.container import Services
from gateway.services.principal import TOKEN_ROLES
from tests.plane import ADMIN, World, make_world, plane_sections


@dataclass
class Api:
    url: str
    world: World
    services: Services  # the app's own, so tests see what the app sees
    tokens: dict[str, str]  # role → bearer token

    def client(self, role: str | None = None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {self.tokens[role]}"} if role else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=30)


@pytest.fixture
def api(make_settings: Any) -> Iterator[Api]:
    world = make_world(make_settings(**plane_sections()))
    app = create_app(world.settings)
    services: Services = app.state.services
    tokens = {str(role): services.tokens.create(ADMIN, role=str(role), name=f"{role}-test").token
              for role in TOKEN_ROLES}
    sock = bind_listening("127.0.0.1", 0, what="api")
    server = uvicorn.Server(uvicorn.Config(app, log_config=None, lifespan="off"))
    thread = threading.Thread(target=lambda: asyncio.run(server.serve(sockets=[sock])))
    thread.start()
    try:
        for _ in range(500):
            if server.started:
                break
            threading.Event().wait(0.02)
        yield Api(f"http://127.0.0.1:{sock.getsockname()[1]}", world, services, tokens)
    finally:
        server.should_exit = True
        thread.join(10)
        world.store.close()
