"""The real app (API and console) on a real store, served by uvicorn over loopback with
console.public_url pointing at it; a cookie-keeping HTTP client that fills forms as a browser
would (hidden fields included)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import lxml.html
import pytest
import uvicorn

from gateway.console.security import CSRF_COOKIE, Keys
from gateway.serve.sockets import bind_listening
from gateway.serve.web import create_app
from gateway.services.container import Services
from gateway.services.links import RequestLinks
from gateway.services.principal import TOKEN_ROLES
from tests.plane import ADMIN, LOCAL, World, make_world, plane_sections

APPROVERS_BOX = f"joho@{LOCAL}"


class Browser:
    """httpx with a cookie jar; submit() posts a form of the last page like a browser."""

    def __init__(self, url: str) -> None:
        self.http = httpx.Client(base_url=url, timeout=30, follow_redirects=True)

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.http.get(path, **kwargs)

    def submit(self, page: httpx.Response, action: str, button: str = "", **fields: Any
               ) -> httpx.Response:  # fmt: skip
        """Post the form of `page` whose action (or button's formaction) is `action`, with its
        hidden fields and `fields` on top."""
        doc = lxml.html.fromstring(page.text)
        form = next(f for f in doc.forms if f.action == action or any(
            b.get("formaction") == action for b in f.xpath(".//button")))  # fmt: skip
        data: dict[str, Any] = {i.name: i.value or "" for i in form.inputs
                                if i.name and getattr(i, "type", "") == "hidden"}  # fmt: skip
        data.update(fields)
        return self.http.post(action, data=data)

    def close(self) -> None:
        self.http.close()


@dataclass
class Site:
    url: str
    world: World
    services: Services
    tokens: dict[str, str]  # role → bearer token
    links: RequestLinks
    browsers: list[Browser]
    keys: Keys

    def csrf(self, browser: Browser, scope: str) -> str:
        """The CSRF value a page of `scope` would give this browser (for a link whose page
        is refused, so that the refusal of the POST itself is what a test sees)."""
        return self.keys.csrf(browser.http.cookies[CSRF_COOKIE], scope)

    def browser(self) -> Browser:
        browser = Browser(self.url)
        self.browsers.append(browser)
        return browser

    def login(self, role: str) -> Browser:
        browser = self.browser()
        page = browser.get("/console/login")
        done = browser.submit(page, "/console/login", token=self.tokens[role])
        assert done.status_code == 200 and done.url.path == "/console/", done.text[:500]
        return browser

    def link_path(self, quarantine_id: str, recipient: str) -> str:
        return "/r/" + self.links.token(quarantine_id, recipient)


def serve_site(make_settings: Any, **sections: dict[str, Any]) -> Iterator[Site]:
    sock = bind_listening("127.0.0.1", 0, what="api")
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    console = {"public_url": url, "approver_addresses": [APPROVERS_BOX],
               **sections.pop("console", {})}  # fmt: skip
    world = make_world(make_settings(**plane_sections(console=console, **sections)))
    app = create_app(world.settings)
    services: Services = app.state.services
    tokens = {str(role): services.tokens.create(ADMIN, role=str(role), name=f"{role}-test").token
              for role in TOKEN_ROLES}  # fmt: skip
    server = uvicorn.Server(uvicorn.Config(app, log_config=None, lifespan="off"))
    thread = threading.Thread(target=lambda: asyncio.run(server.serve(sockets=[sock])))
    thread.start()
    site = Site(url, world, services, tokens, app.state.request_links, [], app.state.console_keys)
    try:
        for _ in range(500):
            if server.started:
                break
            threading.Event().wait(0.02)
        yield site
    finally:
        for browser in site.browsers:
            browser.close()
        server.should_exit = True
        thread.join(10)
        world.store.close()


@pytest.fixture
def site(make_settings: Any) -> Iterator[Site]:
    yield from serve_site(make_settings)
