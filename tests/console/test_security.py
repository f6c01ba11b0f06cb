"""The browser-facing defences: headers on every console and request page, cookie flags that
follow console.public_url, static files that are only ours."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from tests.console.conftest import Site, serve_site
from tests.plane import STAFF


def test_every_page_sends_the_strict_headers(site: Site) -> None:
    record = site.world.quarantine()
    browser = site.browser()
    pages = [browser.get("/console/login"), browser.get(site.link_path(record.id, STAFF)),
             browser.get("/r/forged"), browser.get("/console/static/console.css")]
    for page in pages:
        csp = page.headers["content-security-policy"]
        directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
        assert directives["default-src"] == "'none'" and directives["frame-ancestors"] == "'none'"
        assert directives["script-src"] == "'self'" and directives["style-src"] == "'self'"
        assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
        assert page.headers["x-frame-options"] == "DENY"
        assert page.headers["x-content-type-options"] == "nosniff"
        assert page.headers["referrer-policy"] == "no-referrer"  # the link's token stays here
    assert pages[0].headers["cache-control"] == "no-store"
    assert pages[1].headers["cache-control"] == "no-store"
    assert pages[3].headers["content-type"].startswith("text/css")
    assert browser.get("/console/static/../links.py").status_code == 404
    assert "content-security-policy" not in browser.get("/livez").headers  # the API as it was


def test_cookies_are_secure_when_the_console_is_https(site: Site) -> None:
    plain = site.browser().get("/console/login").headers["set-cookie"]
    assert "mutaika_csrf=" in plain and "secure" not in plain.lower()


@pytest.fixture
def https_site(make_settings: Any) -> Iterator[Site]:
    yield from serve_site(make_settings,
                          console={"public_url": "https://mutaika.city.example.lg.jp"})


def test_behind_https_every_cookie_is_secure(https_site: Site) -> None:
    browser = https_site.browser()
    page = browser.get("/console/login")
    csrf = page.headers["set-cookie"]
    assert "mutaika_csrf=" in csrf and "; secure" in csrf.lower()
    assert "samesite=strict" in csrf.lower() and "httponly" in csrf.lower()
    # a browser sends Secure cookies over TLS only; here the test sends it by hand
    nonce = csrf.split(";")[0].split("=", 1)[1]
    value = re.search(r'name="csrf" value="([0-9a-f]+)"', page.text)
    assert value is not None
    landed = browser.http.post("/console/login", follow_redirects=False,
                               headers={"Cookie": f"mutaika_csrf={nonce}"},
                               data={"csrf": value[1], "token": https_site.tokens["viewer"]})
    assert landed.status_code == 303
    session = landed.headers["set-cookie"]
    assert session.startswith("mutaika_session=") and "; secure" in session.lower()
    assert "samesite=strict" in session.lower() and "httponly" in session.lower()
    lang = browser.http.get("/console/lang", params={"to": "en"}, follow_redirects=False)
    assert "; secure" in lang.headers["set-cookie"].lower()
