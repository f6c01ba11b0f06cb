"""Where a document's links really lead: its <base href>, and the pages it moves to by itself.

A relative href means nothing in a mail unless <base href> gives it a root, and then it leads
where the base says: `<base href="https://evil.example/"><a href="login">` goes to
evil.example, so the resolved URL is the one shown. A <meta http-equiv="refresh"> sends a
browser on by itself; its target is shown at the top of the text.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from urllib.parse import urljoin

from lxml import etree

from gateway.pipeline.urls import MAX_URL_CHARS

_MAX_TARGETS = 10  # refresh targets shown; more is noise
_SCHEME_PREFIX = re.compile(r"^(?:hxxps?|https?|fxp|ftp)://")
_URLISH = re.compile(r"^(?:[a-z]+://)?[^\s/@]+\.[a-z]{2,}(?:[/:?#]\S*)?$")
_HOST_END = re.compile(r"[/?#:\s]")
_ABSOLUTE_BASE = re.compile(r"\s*(?:https?|ftp)://", re.IGNORECASE)
_ABSOLUTE = re.compile(r"\s*(?:[a-z][a-z0-9+.\-]*:|//|\\\\)", re.IGNORECASE)
# The refresh value as browsers read it (HTML, "shared declarative refresh steps"): a delay,
# a separator, then an optional `url=` and the URL, possibly quoted.
_REFRESH = re.compile(
    r"\s*[\d.]*\s*[;,]?\s*(?:url\s*=\s*)?(?P<quote>['\"]?)(?P<url>.*)", re.IGNORECASE | re.DOTALL
)


def _elements(tops: Sequence[etree._Element], name: str) -> list[etree._Element]:
    return [found for top in tops for found in top.iter(name)]


def base_url(tops: Sequence[etree._Element]) -> str | None:
    """The first <base href> when it is an absolute web URL (the one a browser uses)."""
    for base in _elements(tops, "base"):
        href = base.get("href")
        if href is not None:
            return href.strip()[:MAX_URL_CHARS] if _ABSOLUTE_BASE.match(href) else None
    return None


def resolve(href: str, base: str | None) -> str:
    """The URL a click on `href` opens; unchanged without a base or when already absolute."""
    if base is None or _ABSOLUTE.match(href) or href.strip().startswith("#"):
        return href
    try:
        return urljoin(base, href.strip()[: MAX_URL_CHARS * 4])
    except ValueError:  # an unparsable base or href: shown as written, judged as written
        return href


def refresh_targets(tops: Sequence[etree._Element], base: str | None) -> list[str]:
    targets = []
    for meta in _elements(tops, "meta"):
        if (meta.get("http-equiv") or "").strip().lower() != "refresh":
            continue
        found = _REFRESH.match(meta.get("content") or "")
        url = found.group("url").strip() if found else ""
        if found and found.group("quote"):
            url = url.split(found.group("quote"), 1)[0]
        if url:
            targets.append(resolve(url, base))
        if len(targets) == _MAX_TARGETS:
            break
    return targets


def _loose(shown: str) -> str:
    """A URL compared loosely: no scheme, no defang brackets, no trailing slash."""
    return _SCHEME_PREFIX.sub("", shown.lower().replace("[.]", ".")).rstrip("/")


def _host(loose: str) -> str:
    return _HOST_END.split(loose, maxsplit=1)[0].removeprefix("www.")


def same_address(text: str, shown: str) -> bool | None:
    """Whether a link's text names its (shown) target: True, False for another host (what
    phishing looks like), None when the text is no address at all."""
    # Only text with a dot or an @ can read as an address; most link text is words.
    if ("." not in text and "@" not in text) or len(text) > 2 * len(shown) + 64:
        return None
    target = _loose(text)
    if target == _loose(shown):
        return True
    if _URLISH.match(target) and _host(target) != _host(_loose(shown)):
        return False
    return None
