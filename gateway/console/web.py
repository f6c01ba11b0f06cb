"""What every page shares: the templates, the words in two languages, times in JST, and the
route class that turns a refusal into a page instead of JSON."""

from __future__ import annotations

import datetime
import functools
import logging
import tomllib
from collections.abc import Callable, Coroutine, Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import jinja2
from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.routing import APIRoute
from markupsafe import Markup

from gateway.api.errors import service_status
from gateway.config import Settings
from gateway.console.security import CSRF_FIELD, LANG_COOKIE, Keys, csrf_nonce
from gateway.errors import SpoolError
from gateway.pipeline.labels import flag_label, reason_label
from gateway.pipeline.notice import human_size
from gateway.quarantine import StoredItem, StoreUnavailable
from gateway.services.errors import ServiceError
from gateway.services.notify import JST, shown_name
from gateway.types import Language

LOG = logging.getLogger(__name__)
HERE = Path(__file__).resolve().parent
LANGUAGES = ("ja", "en")


@functools.cache
def messages() -> dict[str, dict[str, str]]:
    """messages.toml: one table per language, dotted keys flattened ("nav.dashboard")."""
    data = tomllib.loads((HERE / "messages.toml").read_text(encoding="utf-8"))

    def flat(table: Mapping[str, Any], prefix: str = "") -> dict[str, str]:
        out: dict[str, str] = {}
        for key, value in table.items():
            if isinstance(value, dict):
                out |= flat(value, f"{prefix}{key}.")
            else:
                out[prefix + key] = str(value)
        return out

    return {lang: flat(data[lang]) for lang in LANGUAGES}


def language(request: Request) -> str:
    chosen = request.cookies.get(LANG_COOKIE, "")
    if chosen in LANGUAGES:
        return chosen
    settings: Settings = request.app.state.settings
    return settings.sanitize.language.value


def translate(lang: str, key: str, **values: Any) -> str:
    text = messages()[lang].get(key) or messages()["ja"].get(key) or key
    return text.format(**values) if values else text


def jst(seconds: float | None, with_seconds: bool = False) -> str:
    if seconds is None:
        return "-"
    moment = datetime.datetime.fromtimestamp(seconds, JST)
    return moment.strftime("%Y-%m-%d %H:%M:%S" if with_seconds else "%Y-%m-%d %H:%M")


def parse_jst(value: str) -> float | None:
    """A datetime-local field ("2026-12-01T09:00"), read as JST; None when empty or bad."""
    try:
        moment = datetime.datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=JST)
    return moment.timestamp()


def age(seconds: float, lang: str) -> str:
    minutes = int(seconds // 60)
    if minutes < 1:
        return translate(lang, "unit.seconds", n=int(seconds))
    if minutes < 120:
        return translate(lang, "unit.minutes", n=minutes)
    if minutes < 48 * 60:
        return translate(lang, "unit.hours", n=minutes // 60)
    return translate(lang, "unit.days", n=minutes // 1440)


def nested(items: Sequence[StoredItem]) -> list[tuple[StoredItem, int]]:
    """The removed items, each followed by what was opened from it (PPAP), with the depth to
    indent it by; an item whose parent is not there is shown at the top level."""
    known = {item.index for item in items}
    children: dict[int | None, list[StoredItem]] = {}
    for item in items:
        children.setdefault(item.parent if item.parent in known else None, []).append(item)
    out: list[tuple[StoredItem, int]] = []
    stack = [(item, 0) for item in reversed(children.get(None, []))]
    while stack:
        item, depth = stack.pop()
        out.append((item, depth))
        stack += [(child, depth + 1) for child in reversed(children.get(item.index, []))]
    return out


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(HERE / "templates")),
        autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
    )  # fmt: skip
    env.filters.update(jst=jst, size=human_size, who=shown_name, nested=nested)
    return env


ENV = _environment()


def keys(request: Request) -> Keys:
    found: Keys = request.app.state.console_keys
    return found


def render(
    request: Request, template: str, context: Mapping[str, Any] | None = None, *,
    status: int = 200, scope: str = "",
) -> HTMLResponse:
    """A page in the request's language; forms in it carry the CSRF value of `scope` (the
    session's, by default, once the auth dependency has set it)."""
    lang = language(request)
    scope = scope or str(getattr(request.state, "csrf_scope", "login"))
    token = keys(request).csrf(csrf_nonce(request), scope)

    def t(key: str, **values: Any) -> str:
        return translate(lang, key, **values)

    page = ENV.get_template(template).render(
        request=request, lang=lang, t=t, path=request.url.path,
        here=quote(str(request.url.path) + (f"?{request.url.query}" if request.url.query else "")),
        principal=getattr(request.state, "principal", None),
        csrf_field=Markup(f'<input type="hidden" name="{CSRF_FIELD}" value="{token}">'),
        flag=lambda f: flag_label(Language(lang), f),
        whole_reason=lambda r: reason_label(Language(lang), r),
        age=lambda s: age(s, lang),
        **(context or {}),
    )  # fmt: skip
    return HTMLResponse(page, status_code=status)


def error_page(request: Request, status: int, message: str) -> HTMLResponse:
    return render(request, "error.html", {"status": status, "message": message}, status=status)


class LoginNeeded(Exception):
    """No console session: the page sends the browser to the log-in form."""


class Refused(Exception):
    """The page that answers instead of the handler, e.g. for a request link that does not
    verify (its refusal written down already)."""

    def __init__(self, response: Response) -> None:
        super().__init__(f"refused with {response.status_code}")
        self.response = response


def next_page(path: str, query: Mapping[str, str], **where: str) -> str:
    """The address of the next page with the same filters; "" when the cursor in `where` is
    empty: this is the last page."""
    if not all(where.values()):
        return ""
    return f"{path}?{urlencode({**query, **where})}"


def safe_next(value: str) -> str:
    """Only our own pages: never an open redirect to another site."""
    ok = value.startswith(("/console/", "/r/")) and "//" not in value and "\\" not in value
    return value if ok and value.isprintable() else "/console/"


class ConsoleRoute(APIRoute):
    """Refusals and failures as pages: the service's message, its status code, never a
    traceback; a missing session as a redirect to the log-in form."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            try:
                return await handler(request)
            except Refused as refused:
                return refused.response
            except LoginNeeded:
                target = safe_next(request.url.path if request.method == "GET" else "/console/")
                return RedirectResponse(f"/console/login?next={quote(target)}", status_code=303)
            except ServiceError as error:
                return error_page(request, service_status(error)[0], str(error))
            except (StoreUnavailable, SpoolError) as error:
                LOG.warning("%r: %s", f"{request.method} {request.url.path}"[:300], error)
                return error_page(request, 503, f"try again later: {error}")
            except RequestValidationError as error:
                problems = "; ".join(f"{'.'.join(map(str, e.get('loc', ())))}: {e.get('msg')}"
                                     for e in error.errors())  # fmt: skip
                return error_page(request, 422, problems or "invalid form")
            except Exception:
                LOG.exception("%r failed", f"{request.method} {request.url.path}"[:300])
                return error_page(request, 500, "an internal error; it was logged")

        return route
