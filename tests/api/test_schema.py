"""schemathesis over the OpenAPI schema, with a token of each role: no 5xx, and every answer
(status, content type, headers, body) is what the schema says. Bounded: a few examples per
operation and role."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
import uvicorn
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.config import SchemathesisConfig

from gateway.api.main import routes
from gateway.config import Settings
from gateway.serve.sockets import bind_listening
from gateway.serve.web import create_app
from gateway.services.principal import TOKEN_ROLES
from tests.plane import ADMIN, OPERATOR, make_world, plane_sections

ROLES = [str(r) for r in TOKEN_ROLES]
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_headers_conformance, response_schema_conformance]


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, str]]]:
    root: Path = tmp_path_factory.mktemp("schema")
    world = make_world(Settings(data_dir=root / "var", spool={"directory": root / "var/spool"},
                                **plane_sections()))
    mail = world.quarantine()
    world.services.releases.create(OPERATOR, quarantine_id=mail.id)
    app = create_app(world.settings)
    tokens = {role: app.state.services.tokens.create(ADMIN, role=role, name=role).token
              for role in ROLES}
    sock = bind_listening("127.0.0.1", 0, what="api")
    server = uvicorn.Server(uvicorn.Config(app, log_config=None, lifespan="off"))
    thread = threading.Thread(target=lambda: asyncio.run(server.serve(sockets=[sock])))
    thread.start()
    for _ in range(500):
        if server.started:
            break
        threading.Event().wait(0.02)
    yield f"http://127.0.0.1:{sock.getsockname()[1]}", tokens
    server.should_exit = True
    thread.join(10)
    world.store.close()


# The coverage phase alone makes about a thousand cases of this schema; random cases, valid and
# invalid, a few per operation, keep the run to a few hundred requests per role.
schema = schemathesis.openapi.from_dict(routes().openapi(), config=SchemathesisConfig.from_dict({
    "phases": {"coverage": {"enabled": False}},
    "generation": {"mode": "all"},
}))


@schema.parametrize()
@settings(max_examples=4, deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
def test_every_operation_answers_as_its_schema_says(
    case: Any, served: tuple[str, dict[str, str]]
) -> None:
    url, tokens = served
    for role in ROLES:  # each example with each role's token
        case.call_and_validate(base_url=url, headers={"Authorization": f"Bearer {tokens[role]}"},
                               checks=CHECKS)
