"""What keeps the console and the request pages safe in a browser: response headers, the
session cookie, and the CSRF token of every form.

- Headers: a Content-Security-Policy without 'unsafe-inline' (our own CSS and JS files only),
  no framing, no Referer (a request link's token must not leak to another site), no caching.
- Session: after a log-in with an API token, a cookie signed with console.secret_key holding
  the token's public ID and a random nonce, valid console.session_hours; the token is looked
  up on every request, so revoking it ends the session. HttpOnly, SameSite=Strict, and Secure
  when console.public_url is https (a plain-http console on 127.0.0.1 would never get it back).
- CSRF: a random nonce in an HttpOnly, SameSite=Strict cookie; each form carries
  HMAC(key, nonce | scope), the scope being the session (console), "login", or the request
  link (staff page). A form from another site has neither the cookie nor the value; a form
  replayed without its field, or into another scope, is refused.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from fastapi import Request, Response
from itsdangerous import BadSignature, URLSafeTimedSerializer

from gateway.config import Settings

CSRF_COOKIE = "mutaika_csrf"
SESSION_COOKIE = "mutaika_session"
LANG_COOKIE = "mutaika_lang"
CSRF_FIELD = "csrf"
_SESSION_SALT = "mutaika-console-session"
_NONCE = re.compile(r"[A-Za-z0-9_-]{32}")
PROTECTED = ("/console", "/r/")

CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
       "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
}


def secure_cookies(settings: Settings) -> bool:
    return settings.console.public_url.startswith("https://")


@dataclass(frozen=True, slots=True)
class Session:
    token_id: str
    nonce: str  # the CSRF scope of this log-in


class Keys:
    """The signing key (console.secret_key or the node's key file) and what is made with it."""

    def __init__(self, settings: Settings, secret: str) -> None:
        self._secret = secret.encode()
        self._sessions = URLSafeTimedSerializer(secret, salt=_SESSION_SALT)
        self._max_age = int(settings.console.session_hours * 3600)
        self.secure = secure_cookies(settings)

    # -- CSRF -----------------------------------------------------------------------------------

    def csrf(self, nonce: str, scope: str) -> str:
        message = f"csrf|{nonce}|{scope}".encode()
        return hmac.new(self._secret, message, hashlib.sha256).hexdigest()

    def csrf_ok(self, nonce: str, scope: str, value: str) -> bool:
        return bool(nonce and value) and hmac.compare_digest(self.csrf(nonce, scope), value)

    # -- sessions ---------------------------------------------------------------------------------

    def new_session(self, token_id: str) -> tuple[Session, str]:
        session = Session(token_id, secrets.token_urlsafe(24))
        return session, str(self._sessions.dumps([session.token_id, session.nonce]))

    def session(self, cookie: str) -> Session | None:
        try:
            value = self._sessions.loads(cookie, max_age=self._max_age)
        except BadSignature:  # SignatureExpired included
            return None
        if isinstance(value, list) and len(value) == 2 and all(isinstance(v, str) for v in value):
            return Session(value[0], value[1])
        return None

    def set_session(self, response: Response, cookie: str) -> None:
        response.set_cookie(SESSION_COOKIE, cookie, max_age=self._max_age, path="/console",
                            secure=self.secure, httponly=True, samesite="strict")

    def end_session(self, response: Response) -> None:
        response.delete_cookie(SESSION_COOKIE, path="/console", secure=self.secure,
                               httponly=True, samesite="strict")


def csrf_nonce(request: Request) -> str:
    """The browser's CSRF nonce (set by the middleware on its first visit)."""
    return str(getattr(request.state, "csrf_nonce", ""))


def security_middleware(
    settings: Settings,
) -> Callable[[Request, Callable[[Request], Awaitable[Response]]], Awaitable[Response]]:
    secure = secure_cookies(settings)

    async def middleware(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        if not request.url.path.startswith(PROTECTED):
            return await call_next(request)
        cookie = request.cookies.get(CSRF_COOKIE, "")
        fresh = not _NONCE.fullmatch(cookie)
        request.state.csrf_nonce = secrets.token_urlsafe(24) if fresh else cookie
        response = await call_next(request)
        for name, value in HEADERS.items():
            response.headers.setdefault(name, value)
        if not request.url.path.startswith("/console/static/"):
            response.headers.setdefault("Cache-Control", "no-store")
        if fresh:
            response.set_cookie(CSRF_COOKIE, request.state.csrf_nonce, path="/", secure=secure,
                                httponly=True, samesite="strict")
        return response

    return middleware
