"""What the request page and the console say after an attempt to open a password-protected
file (PPAP): the files inside, or why not: a wrong password with the attempts left, the wait
when too many were wrong (429 with Retry-After), a file that cannot be opened.

The password goes to the service and nowhere else: it is never put back into a page (the field
is rendered empty), a URL (success is a redirect naming only the item) or a log line.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from fastapi import Request
from fastapi.responses import HTMLResponse
from starlette.datastructures import FormData

from gateway.console.web import language
from gateway.pipeline.labels import refusal_label
from gateway.quarantine import QuarantineRecord
from gateway.services.errors import TooManyAttempts
from gateway.services.safecopy_offer import Offer
from gateway.services.unlock import WRONG, UnlockOutcome, opened_from
from gateway.types import Language

MAX_PASSWORD = 256  # as the API's UnlockRequest
MAX_INDEX = 6  # digits of an item number


@dataclass(frozen=True, slots=True)
class Problem:
    """A sentence for the page (a messages.toml key and its values) and its status code."""

    key: str
    values: Mapping[str, str] = field(default_factory=dict)
    status: int = 422
    retry_after: int = 0  # seconds, for the Retry-After header of a 429


def item_of(form: FormData) -> int | None:
    value = str(form.get("item", ""))
    return int(value) if value.isdigit() and len(value) <= MAX_INDEX else None


def just_opened(mail: QuarantineRecord, value: str) -> dict[str, object]:
    """For the page a successful attempt redirects to (?opened=<item>): the item opened and
    what was inside, for the sentence that says so."""
    index = int(value) if value.isdigit() and len(value) <= MAX_INDEX else None
    inside = opened_from(mail, index) if index is not None else []
    parent = next((i for i in mail.items if i.index == index), None) if inside else None
    return {"opened": parent, "inside": inside}


def attempt(
    request: Request, offers: Mapping[int, Offer], form: FormData,
    call: Callable[[int, str], UnlockOutcome],
) -> tuple[int, UnlockOutcome] | Problem:
    """Read the item and the password from `form` and try them through `call` (a service);
    (the item, what was opened), or what to tell the person."""
    index = item_of(form)
    offer = offers.get(index) if index is not None else None
    if index is None or offer is None or not offer.unlockable:
        return Problem("unlock.not_locked")
    raw = form.get("password", "")
    password = raw if isinstance(raw, str) else ""
    if offer.why == "password-protected" and not password:
        return Problem("unlock.empty")  # not an attempt: nothing counted against the limit
    if len(password) > MAX_PASSWORD:
        return Problem("unlock.too_long", {"n": str(MAX_PASSWORD)})
    try:
        outcome = call(index, password)
    except TooManyAttempts as error:
        wait = max(1, math.ceil(error.retry_after))
        return Problem("unlock.limited", {"minutes": str(math.ceil(wait / 60))}, 429, wait)
    if outcome.opened:
        return index, outcome
    if outcome.reason == WRONG:
        if outcome.remaining:
            return Problem("unlock.wrong", {"n": str(outcome.remaining)})
        return Problem("unlock.wrong_last")
    why = refusal_label(Language(language(request)), outcome.reason)
    return Problem("unlock.failed", {"why": why})


def with_retry_after(response: HTMLResponse, problem: Problem | None) -> HTMLResponse:
    if problem is not None and problem.retry_after:
        response.headers["Retry-After"] = str(problem.retry_after)
    return response
