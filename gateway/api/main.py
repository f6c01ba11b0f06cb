"""The admin API application: its routes and error handlers (gateway.serve.web serves it)."""

from __future__ import annotations

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

DESCRIPTION = """The quarantine and release plane of mutaika.

Every route under /api/v1 needs `Authorization: Bearer <token>` (`mutaika token create --role R
--name N`). Roles: viewer (read), operator (+ download, request, retry), approver (+ approve,
reject, audit), admin (everything, deletes and tokens included). Every change, every download
and every refused request is written to the hash-chained audit log. Errors are JSON:
`{"error": word, "message": sentence, "detail": [...]}`.
"""


def routes() -> FastAPI:
    """The application without its state: what the OpenAPI schema is made from."""
    app = FastAPI(
        title="mutaika", version=__version__, description=DESCRIPTION, docs_url=None, redoc_url=None
    )
    errors.install(app)
    for module in (health, metrics, status, quarantine, safecopy, releases, queue, audit, tokens):
        app.include_router(module.router)
    return app
