"""Shapes every router shares: errors, times."""

from __future__ import annotations

import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class Error(BaseModel):
    error: str = Field(description="a short machine word: not-found, conflict, forbidden, …")
    message: str = Field(description="one sentence for the person who asked")
    detail: list[dict[str, Any]] = Field(default=[], description="per field, for invalid input")

    model_config = ConfigDict(json_schema_extra={"examples": [
        {"error": "conflict", "message": "cannot approve release R0195F3A2B4C5D6E7F8: it is "
         "rejected", "detail": []},
    ]})


def moment(seconds: float) -> datetime.datetime:
    return datetime.datetime.fromtimestamp(seconds, datetime.UTC)


def when(seconds: float | None) -> datetime.datetime | None:
    return moment(seconds) if seconds is not None else None


def epoch(moment: datetime.datetime | None) -> float | None:
    if moment is None:
        return None
    if moment.tzinfo is None:  # a time without a zone is taken as UTC, as it is shown
        moment = moment.replace(tzinfo=datetime.UTC)
    return moment.timestamp()


Responses = dict[int | str, dict[str, Any]]


def _error(description: str) -> dict[str, Any]:
    return {"model": Error, "description": description}


BAD_REQUEST: Responses = {400: _error("A body that cannot be read (not UTF-8, not JSON)")}
UNAUTHORIZED: Responses = {401: _error("No valid bearer token (audited)")}
FORBIDDEN: Responses = {403: _error("The role or the release policy does not allow it (audited)")}
NOT_FOUND: Responses = {404: _error("No such mail, release, queue entry or token")}
CONFLICT: Responses = {409: _error("Not allowed in the current state")}
INVALID: Responses = {422: _error("Invalid input; `detail` names the fields")}
UNAVAILABLE: Responses = {503: _error("The store or the spool cannot do it now; try again")}
TOO_MANY: Responses = {429: {**_error("Too many failed attempts; try again after Retry-After "
                                      "seconds (audited)"),
                             "headers": {"Retry-After": {"schema": {"type": "integer"},
                                                         "description": "seconds to wait"}}}}
AUTHED: Responses = {**BAD_REQUEST, **UNAUTHORIZED, **FORBIDDEN, **INVALID, **UNAVAILABLE}
