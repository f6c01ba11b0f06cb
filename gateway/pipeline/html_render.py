"""Plain text laid out from the enter/leave/text events of an HTML tree walk.

The layout a reader saw, with the rules a disarm gateway needs: real hrefs shown next to their
text (and a warning when the text names another host), embeds replaced by a marker, tracking
pixels dropped, lists, quotes, tables and pre kept readable. Hand-written for the same reason
as the walk in gateway.pipeline.html_text, which decides what is visible and feeds it here.
"""

from __future__ import annotations

import re

from lxml.etree import _Attrib

from gateway.pipeline.html_links import resolve, same_address
from gateway.pipeline.html_look import MAX_STYLE
from gateway.pipeline.html_style import style_declarations
from gateway.pipeline.labels import label
from gateway.pipeline.textclean import one_line, strip_invisible, tidy
from gateway.pipeline.urls import neutralize_url, neutralize_urls_in_text
from gateway.types import Language, UrlPolicy


def tag_names(spaced: str) -> frozenset[str]:
    return frozenset(spaced.split())


# Elements that only break lines around their children; leave() and the walk both need them.
# SVG's <text> and <foreignObject> are placed apart from each other: a line each.
BLOCK = tag_names(
    "div section article header footer nav aside main address form fieldset legend center"
    " figure figcaption details summary caption tbody thead tfoot body html text foreignobject"
)
PARAGRAPH = tag_names("p h1 h2 h3 h4 h5 h6 dl")
_TINY_PX = 2.0  # an image this small is a tracking pixel
MAX_PREFIX = 16  # indentation levels shown; deeper nesting stays at this depth

Attrs = _Attrib  # an element's attributes as lxml gives them: every value a str


def _attr(attrs: Attrs, key: str) -> str:
    return attrs.get(key) or ""


_LISTS = frozenset(("ul", "ol", "menu", "dir"))
_PRE = frozenset(("pre", "textarea", "listing", "xmp", "plaintext"))
_BUTTONS = frozenset(("submit", "button", "reset"))
HTML_SPACE = " \t\n\r\f\xa0"
_WS = re.compile(f"[{HTML_SPACE}]+")
_NUMBER = re.compile(r"\s*(\d{1,9})")
_MAX_ANCHOR_PIECES = 64  # longer link text is never compared with its href
_MAX_ALT = 200
_RULE = "-" * 40
_HAS_SCHEME = re.compile(r"[a-z][a-z0-9+.\-]*:|//", re.IGNORECASE)


def _tiny(attrs: Attrs) -> bool:
    for key in ("width", "height"):
        match = _NUMBER.match(_attr(attrs, key))
        if match and int(match.group(1)) <= 2:
            return True
    style = _attr(attrs, "style")
    return any(
        prop in ("width", "height") and isinstance(value, float) and value <= _TINY_PX
        for prop, value, _ in style_declarations(style[:MAX_STYLE])
    )


class Renderer:
    """Plain text out of enter/leave/text events; line breaks are pending until text comes."""

    def __init__(self, policy: UrlPolicy, language: Language, base: str | None = None) -> None:
        self.policy = policy
        self.language = language
        self.base = base  # <base href>: what relative links resolve against
        self.bullet_mark = label(language, "bullet")
        self.image_word = label(language, "image")
        self.embed_marker = label(language, "embedded_content_removed")
        self.out: list[str] = []
        self.started = False
        self.breaks = 0  # newlines owed before the next text, at most 2
        self.space = False
        self.sep = False  # a table cell began after text on this line
        self.prefix: list[str] = []
        self.bullet = ""
        self.pre = 0
        self.lists: list[int] = []  # next number of each open list; 0 for bullets
        self.rows: list[int] = []  # cells seen in each open table row
        self.anchors: list[tuple[str, int]] = []
        self.links = 0
        self.images = 0
        self.embeds = 0
        self.phishing = 0
        self.phishing_example = ""

    def block(self, breaks: int) -> None:
        if self.breaks < breaks:
            self.breaks = breaks

    def paragraph(self) -> None:
        self.block(1 if self.lists else 2)

    def newline(self) -> None:
        self.breaks = min(self.breaks + 1, 2)

    def put(self, chunk: str) -> None:
        out = self.out
        if self.breaks or not self.started:
            depth = min(len(self.prefix), MAX_PREFIX)
            if self.breaks > 1 and self.started:  # a quoted blank line keeps its "> "
                out.append("\n" + "".join(self.prefix[:depth]).rstrip() + "\n")
            elif self.started:
                out.append("\n")
            if self.bullet:
                out.append("".join(self.prefix[: depth - 1]) + self.bullet)
                self.bullet = ""
            elif depth:
                out.append("".join(self.prefix[:depth]))
            self.breaks = 0
            self.started = True
        elif self.sep:
            out.append(" | ")
        elif self.space:
            out.append(" ")
        self.sep = self.space = False
        out.append(chunk)

    def inline(self, chunk: str, *, space_after: bool = True) -> None:
        """A marker or URL standing apart from the words around it."""
        self.space = True
        self.put(chunk)
        self.space = space_after

    def text(self, raw: str) -> None:
        if self.pre:
            for number, line in enumerate(raw.split("\n")):
                if number:
                    self.newline()
                if line:
                    self.put(line)
            return
        text = raw.strip(HTML_SPACE)
        if not text:  # the indentation between tags
            self.space = True
            return
        if raw[0] in HTML_SPACE:
            self.space = True
        self.put(_WS.sub(" ", text))
        self.space = raw[-1] in HTML_SPACE

    def embed(self) -> None:
        self.embeds += 1
        self.inline(self.embed_marker)

    def image(self, attrs: Attrs) -> None:
        if _tiny(attrs):  # a tracking pixel: nothing a reader ever saw
            return
        alt = one_line(_attr(attrs, "alt")[: 4 * _MAX_ALT])[:_MAX_ALT] if "alt" in attrs else None
        if alt == "" and not self.anchors:  # alt="" marks decoration
            return
        self.images += 1
        if alt:
            self.inline(f"[{self.image_word}: {alt}]")
        else:
            self.inline(f"[{self.image_word}]")

    def enter(self, name: str, attrs: Attrs) -> bool:
        """Handle an element opening; True when it needs leave() after its children."""
        if name == "br":
            self.newline()
        elif name in ("td", "th"):
            if self.rows:
                self.sep = self.rows[-1] > 0
                self.rows[-1] += 1
        elif name == "a":  # SVG links may still use xlink:href
            href = _attr(attrs, "href") or _attr(attrs, "xlink:href")
            if href.strip():
                self.anchors.append((href, len(self.out)))
                return True
        elif name == "img":
            self.image(attrs)
        elif name == "tr":
            self.block(1)
            self.rows.append(0)
            return True
        elif name == "table":
            self.block(1)
            return True
        elif name in _LISTS:
            self.block(1) if self.lists else self.paragraph()
            start = _NUMBER.match(_attr(attrs, "start")) if name == "ol" else None
            self.lists.append(int(start.group(1)) if start else 1 if name == "ol" else 0)
            return True
        elif name == "li":
            self.block(1)
            number = self.lists[-1] if self.lists else 0
            self.bullet = f"{number}. " if number else self.bullet_mark
            if number:
                self.lists[-1] += 1
            self.prefix.append("  ")
            return True
        elif name in ("blockquote", "dd"):
            self.paragraph() if name == "blockquote" else self.block(1)
            self.prefix.append("> " if name == "blockquote" else "  ")
            return True
        elif name in _PRE:
            self.block(1)
            self.pre += 1
            return True
        elif name == "hr":
            self.block(1)
            self.put(_RULE)
            self.block(1)
        elif name in ("input", "button"):
            value = one_line(_attr(attrs, "value")[: 4 * _MAX_ALT])[:_MAX_ALT]
            if value and name == "input" and _attr(attrs, "type").lower() in _BUTTONS:
                self.inline(f"[{value}]")
            self.target("form_action", _attr(attrs, "formaction"))
        elif name == "form":
            self.block(1)
            self.target("form_action", _attr(attrs, "action"))
            return True
        elif name == "area":
            self.area(attrs)
        elif name == "dt":
            self.block(1)
            return True
        return False

    def leave(self, name: str) -> None:
        if name in BLOCK or name in ("table", "dt"):
            self.block(1)
        elif name in PARAGRAPH:
            self.paragraph()
        elif name == "a":
            self.link(*self.anchors.pop())
        elif name == "tr":
            self.rows.pop()
            self.block(1)
        elif name in _LISTS:
            self.lists.pop()
            self.block(1) if self.lists else self.paragraph()
        elif name in ("li", "dd", "blockquote"):
            self.prefix.pop()
            self.bullet = ""
            self.paragraph() if name == "blockquote" else self.block(1)
        elif name in _PRE:
            self.pre -= 1
            self.block(1)

    def target(self, key: str, href: str) -> None:
        """A place the message sends the reader without a link text: a form's action."""
        if not href.strip():
            return
        url = resolve(href, self.base).strip()
        if url.startswith("#") or not _HAS_SCHEME.match(url):
            return  # nothing, or relative without a base: it leads nowhere from a mail
        shown = neutralize_url(url, self.policy) or label(self.language, "url_removed")
        self.block(1)
        self.put(label(self.language, key, url=shown))
        self.block(1)

    def area(self, attrs: Attrs) -> None:
        """An image map's clickable region: shown as a link named by its alt text."""
        href = _attr(attrs, "href")
        if not href.strip():
            return
        start = len(self.out)
        alt = one_line(_attr(attrs, "alt")[: 4 * _MAX_ALT])[:_MAX_ALT]
        self.inline(f"[{self.image_word}: {alt}]" if alt else f"[{self.image_word}]")
        self.link(href, start)

    def link(self, href: str, start: int) -> None:
        pieces = len(self.out) - start
        if not pieces:  # nothing visible inside: nothing to click in the original either
            return
        if href.strip().startswith("#"):
            return
        self.links += 1
        shown = neutralize_url(resolve(href, self.base), self.policy)
        if shown is None:
            self.inline(label(self.language, "url_removed"), space_after=False)
            return
        text = "".join(self.out[start:]).strip() if pieces <= _MAX_ANCHOR_PIECES else ""
        same = same_address(text, shown)
        if same:  # one address: shown once, in its neutralised form
            joined = "".join(self.out[start:])
            self.out[start:] = [joined.replace(text, shown, 1)]
            return
        if same is False:
            self.phishing += 1
            if not self.phishing_example:
                self.phishing_example = f"{one_line(text)[:100]} -> {shown[:200]}"
        self.inline(f"<{shown}>", space_after=False)  # "</a>, and" keeps its comma close

    def warnings(self) -> list[str]:
        found = []
        if self.phishing:
            found.append(
                f"html: {self.phishing} link(s) show an address other than their target,"
                f" e.g. {self.phishing_example}"
            )
        if self.embeds:
            found.append(f"html: {self.embeds} embedded object(s) removed")
        return found

    def finish(self) -> str:
        # URLs are neutralised once, in the whole text: a host or scheme split by tags
        # (`htt<b></b>p://split-<b></b>evil.example`) is whole only here, as the reader sees it.
        text = strip_invisible("".join(self.out))
        return tidy(neutralize_urls_in_text(text, self.policy, self.language))
