"""Every error as JSON with one clear message: the services' refusals, bad input, our faults.

Bad input is 4xx; a store or spool that cannot work now is 503; never a traceback to the client.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from gateway.errors import SpoolError
from gateway.quarantine import StoreUnavailable
from gateway.services.errors import (
    Conflict,
    Forbidden,
    Invalid,
    NotFound,
    ServiceError,
    TooManyAttempts,
    Unavailable,
)

LOG = logging.getLogger(__name__)
_CODES: dict[type[ServiceError], tuple[int, str]] = {
    NotFound: (404, "not-found"),
    Conflict: (409, "conflict"),
    Forbidden: (403, "forbidden"),
    Invalid: (422, "invalid"),
    TooManyAttempts: (429, "too-many-attempts"),
    Unavailable: (503, "unavailable"),
}
_WORDS = {400: "bad-request", 401: "unauthorized", 403: "forbidden", 404: "not-found",
          405: "method-not-allowed", 409: "conflict", 413: "too-large", 422: "invalid"}


def error(code: int, word: str, message: str, detail: list[dict[str, Any]] | None = None,
          headers: Mapping[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": word, "message": message, "detail": detail or []},
                        status_code=code, headers=headers)


def service_status(exc: ServiceError) -> tuple[int, str]:
    """The status code and word of a service's refusal (the console's pages use it too)."""
    return next((v for k, v in _CODES.items() if isinstance(exc, k)), (400, "refused"))


async def _service(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ServiceError)
    code, word = service_status(exc)
    headers = ({"Retry-After": str(max(1, int(exc.retry_after + 0.999)))}
               if isinstance(exc, TooManyAttempts) else None)  # fmt: skip
    return error(code, word, str(exc), headers=headers)


def _where(request: Request) -> str:
    """Method and path as a repr: the client's bytes never break a log line."""
    return repr(f"{request.method} {request.url.path}"[:300])


async def _ours(request: Request, exc: Exception) -> JSONResponse:
    LOG.warning("%s: %s", _where(request), exc)
    return error(503, "unavailable", f"try again later: {exc}")


async def _http(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    word = _WORDS.get(exc.status_code, "error")
    return error(exc.status_code, word, str(exc.detail), headers=exc.headers)


async def _invalid(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    detail = [{"field": ".".join(str(p) for p in e.get("loc", ())), "problem": e.get("msg", "")}
              for e in exc.errors()]
    first = detail[0] if detail else {"field": "", "problem": "invalid request"}
    return error(422, "invalid", f"{first['field']}: {first['problem']}", detail)


async def _bug(request: Request, exc: Exception) -> JSONResponse:
    LOG.exception("%s failed", _where(request))
    return error(500, "internal", "an internal error; it was logged")


def install(app: FastAPI) -> None:
    app.add_exception_handler(ServiceError, _service)
    app.add_exception_handler(StoreUnavailable, _ours)
    app.add_exception_handler(SpoolError, _ours)
    app.add_exception_handler(HTTPException, _http)
    app.add_exception_handler(RequestValidationError, _invalid)
    app.add_exception_handler(Exception, _bug)
