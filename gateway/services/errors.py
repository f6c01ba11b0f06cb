"""What the services refuse with: each face (API, CLI) maps these to its own answer."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from gateway.errors import GatewayError


class ServiceError(GatewayError):
    """Base: the message is for the person who asked, one clear sentence."""


class NotFound(ServiceError):
    """No such mail, release, queue entry or token (API: 404)."""


class Conflict(ServiceError):
    """Not allowed in the current state, e.g. a transition the release machine does not have
    (API: 409)."""


class Forbidden(ServiceError):
    """The principal's role, or the policy, does not allow it (API: 403)."""


class Invalid(ServiceError):
    """The request itself is wrong, e.g. an address outside the local domains (API: 422)."""


class TooManyAttempts(ServiceError):
    """Too many failed attempts in a while, e.g. wrong passwords for one mail (API: 429)."""

    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after  # seconds until an attempt may be made again


class Unavailable(ServiceError):
    """The spool or the store cannot do it now; a fault of ours, try again (API: 503)."""


@contextlib.contextmanager
def bad_cursor() -> Iterator[None]:
    """A page cursor the store did not make (it raises ValueError) is the caller's mistake."""
    try:
        yield
    except ValueError as error:
        raise Invalid(str(error)) from None
