"""HTML rendered to the plain text a reader would have seen, with every link made harmless.

bs4 with the lxml builder parses (the product spec names it); the walk over its tree is our
own because no library renders with the rules a disarm gateway needs: real hrefs shown next
to their text, hidden text dropped, embeds replaced by a marker, and bounded work on hostile
input. The walk is iterative with an explicit stack: 100,000 nested <div>s are legal input.
"""

from __future__ import annotations

import functools
import re
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field

from bs4 import BeautifulSoup, MarkupResemblesLocatorWarning
from bs4.element import NavigableString, RubyParenthesisString, RubyTextString, Tag

from gateway.pipeline.textclean import one_line, strip_invisible
from gateway.pipeline.urls import neutralize_url, neutralize_urls_in_text, removed_marker
from gateway.types import Language, UrlPolicy

DEFAULT_MAX_BYTES = 4 * 1024 * 1024


def _names(spaced: str) -> frozenset[str]:
    return frozenset(spaced.split())


# Categories of elements; anything not named is inline and only its children matter.
_DROP = _names(
    "script style head title template noscript select datalist option optgroup meta link"
    " base param source track map area colgroup col"
)
_EMBED = _names("object embed iframe frame frameset applet svg math audio video")
_BLOCK = _names(
    "div section article header footer nav aside main address form fieldset legend center"
    " figure figcaption details summary caption tbody thead tfoot body html"
)
_PARAGRAPH = _names("p h1 h2 h3 h4 h5 h6 dl")
_SPECIAL = _names(
    "a br td th img tr table ul ol menu dir li blockquote dd dt pre textarea listing xmp"
    " plaintext hr input"
)
_INLINE, _DROPPED, _EMBEDDED, _BLOCKLIKE, _PARAGRAPHLIKE, _ENTER = range(6)
_KIND = {
    **dict.fromkeys(_DROP, _DROPPED),
    **dict.fromkeys(_EMBED, _EMBEDDED),
    **dict.fromkeys(_BLOCK, _BLOCKLIKE),
    **dict.fromkeys(_PARAGRAPH, _PARAGRAPHLIKE),
    **dict.fromkeys(_SPECIAL, _ENTER),
}
_VISIBLE_TEXT = (NavigableString, RubyTextString, RubyParenthesisString)
# `display:none` and friends after spaces and comments are gone; a zero size or opacity
# in any unit, with or without !important.
_HIDDEN_STYLE = re.compile(
    r"(?:^|;)(?:display:none|visibility:hidden|mso-hide:all"
    r"|font-size:(?:0+\.?0*|\.0+)(?:px|pt|em|rem|%|vw|vh)?|opacity:(?:0+\.?0*|\.0+)%?)"
    r"(?:!important)?(?:;|$)"
)
_HIDING_WORDS = ("none", "hidden", "mso-hide", "font-size", "opacity")
_CSS_COMMENT = re.compile(r"/\*[^*]*\*+(?:[^/*][^*]*\*+)*/")
_MAX_STYLE = 4096
# strip_invisible translates through a dict at ~50 ns a character of non-ASCII text; a regex
# says first whether there is anything to strip. Its class is what strip_invisible removes
# from the blocks where control and format characters live; a test checks those blocks
# cover every character it removes.
_SUSPECT_BLOCKS = [(0x0000, 0x00A0), (0x0600, 0x0700), (0x1800, 0x1810), (0x2000, 0x2070)]
_REMOVED_CHARS = {
    char
    for first, end in [*_SUSPECT_BLOCKS, (0xFE00, 0x10000)]
    for char in map(chr, range(first, end))
    if not strip_invisible(char)
}
INVISIBLE = re.compile("[" + "".join(map(re.escape, sorted(_REMOVED_CHARS))) + "]")
# multi_valued_attributes=None makes every value a str; the type says what bs4 promises.
Attrs = Mapping[str, object]


@dataclass(slots=True)
class HtmlText:
    text: str
    links: int = 0
    images: int = 0
    warnings: list[str] = field(default_factory=list)


def hidden_style(style: str) -> bool:
    """True when an inline style makes the element invisible."""
    return _style_hides(style[:_MAX_STYLE])  # a bounded key: the cache outlives the mail


@functools.lru_cache(maxsize=1024)  # newsletters repeat the same few styles on every cell
def _style_hides(style: str) -> bool:
    lowered = style.lower()
    if not any(word in lowered for word in _HIDING_WORDS):
        return False
    compact = "".join(lowered.split())
    if "/*" in compact:
        compact = _CSS_COMMENT.sub("", compact)
    return _HIDDEN_STYLE.search(compact) is not None


def _attr(attrs: Attrs, key: str) -> str:
    value = attrs.get(key)
    return value if isinstance(value, str) else ""


def _hidden(attrs: Attrs) -> bool:
    if "hidden" in attrs or attrs.get("aria-hidden") == "true":
        return True
    style = attrs.get("style")
    return isinstance(style, str) and hidden_style(style)


def _cut(html: str, max_bytes: int, warnings: list[str]) -> str:
    if len(html) * 4 <= max_bytes:  # no UTF-8 encoding of it can exceed the cap
        return html
    encoded = html.encode("utf-8", "surrogatepass")
    if len(encoded) <= max_bytes:
        return html
    warnings.append(f"html cut at {max_bytes} bytes before rendering")
    return encoded[:max_bytes].decode("utf-8", "ignore")


def _soup(html: str, builder: str) -> BeautifulSoup:
    # multi_valued_attributes=None: `class` stays a string, nothing here reads it.
    if len(html) > 256:
        return BeautifulSoup(html, builder, multi_valued_attributes=None)
    with warnings.catch_warnings():  # a body that is one URL is fine here, bs4 thinks not
        warnings.simplefilter("ignore", MarkupResemblesLocatorWarning)
        return BeautifulSoup(html, builder, multi_valued_attributes=None)


def _parse(html: str, warnings: list[str]) -> BeautifulSoup | None:
    try:
        return _soup(html, "lxml")
    except Exception:  # lxml refuses some broken documents; html.parser accepts anything
        warnings.append("html: lxml could not parse it, html.parser used")
    try:
        return _soup(html, "html.parser")
    except Exception:
        warnings.append("html could not be parsed; its text is not shown")
        return None


_LISTS = frozenset(("ul", "ol", "menu", "dir"))
_PRE = frozenset(("pre", "textarea", "listing", "xmp", "plaintext"))
_BUTTONS = frozenset(("submit", "button", "reset"))
_HTML_SPACE = " \t\n\r\f\xa0"
_WS = re.compile(f"[{_HTML_SPACE}]+")
_NUMBER = re.compile(r"\s*(\d{1,9})")
_TINY_BOX = re.compile(r"(?:^|;)(?:width|height):[0-2](?:\.\d*)?(?:px)?(?:!important)?(?:;|$)")
_SCHEME_PREFIX = re.compile(r"^(?:hxxps?|https?|fxp|ftp)://")
_URLISH = re.compile(r"^(?:[a-z]+://)?[^\s/@]+\.[a-z]{2,}(?:[/:?#]\S*)?$")
_MAX_PREFIX = 16  # indentation levels shown; deeper nesting stays at this depth
_DEEP = 1000  # block nesting no real mail reaches: worth a warning
_MAX_ANCHOR_PIECES = 64  # longer link text is never compared with its href
_MAX_ALT = 200
_RULE = "-" * 40
_LABELS = {
    Language.JA: ("・ ", "画像", "[埋め込みコンテンツ削除]"),
    Language.EN: ("- ", "image", "[embedded content removed]"),
}


def _target(shown: str) -> str:
    """A URL compared loosely: no scheme, no defang brackets, no trailing slash."""
    return _SCHEME_PREFIX.sub("", shown.lower().replace("[.]", ".")).rstrip("/")


def _host(target: str) -> str:
    host = re.split(r"[/?#:\s]", target, maxsplit=1)[0]
    return host.removeprefix("www.")


def _tiny(attrs: Attrs) -> bool:
    for key in ("width", "height"):
        match = _NUMBER.match(_attr(attrs, key))
        if match and int(match.group(1)) <= 2:
            return True
    style = _attr(attrs, "style")
    compact = "".join(style[:_MAX_STYLE].lower().split())
    return _TINY_BOX.search(compact) is not None


class _Renderer:
    """Plain text out of enter/leave/text events; line breaks are pending until text comes."""

    def __init__(self, policy: UrlPolicy, language: Language) -> None:
        self.policy = policy
        self.language = language
        self.bullet_mark, self.image_word, self.embed_marker = _LABELS[language]
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
            depth = min(len(self.prefix), _MAX_PREFIX)
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
                    self.put(neutralize_urls_in_text(line, self.policy, self.language))
            return
        if not raw.strip(_HTML_SPACE):  # the indentation between tags
            self.space = True
            return
        text = _WS.sub(" ", raw)
        if text[:1] == " ":
            self.space = True
            text = text[1:]
        if not text:
            return
        trailing = text[-1] == " "
        if trailing:
            text = text[:-1]
        self.put(neutralize_urls_in_text(text, self.policy, self.language))
        self.space = trailing

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
            alt = neutralize_urls_in_text(alt, self.policy, self.language)
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
        elif name == "a":
            href = _attr(attrs, "href")
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
        elif name == "input" and _attr(attrs, "type").lower() in _BUTTONS:
            value = one_line(_attr(attrs, "value")[: 4 * _MAX_ALT])[:_MAX_ALT]
            if value:
                self.inline(f"[{value}]")
        elif name == "dt":
            self.block(1)
            return True
        return False

    def leave(self, node: Tag) -> None:
        name = node.name
        if name in _BLOCK or name in ("table", "dt"):
            self.block(1)
        elif name in _PARAGRAPH:
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

    def link(self, href: str, start: int) -> None:
        pieces = len(self.out) - start
        if not pieces:  # nothing visible inside: nothing to click in the original either
            return
        if href.strip().startswith("#"):
            return
        self.links += 1
        shown = neutralize_url(href, self.policy)
        if shown is None:
            self.inline(removed_marker(self.language), space_after=False)
            return
        text = "".join(self.out[start:]).strip() if pieces <= _MAX_ANCHOR_PIECES else ""
        # Only text with a dot or an @ can read as an address; most link text is words.
        if ("." in text or "@" in text) and len(text) <= 2 * len(shown) + 64:
            target = _target(text)
            if target == _target(shown):  # one address: shown once, in its neutralised form
                joined = "".join(self.out[start:])
                self.out[start:] = [joined.replace(text, shown, 1)]
                return
            if _URLISH.match(target) and _host(target) != _host(_target(shown)):
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
        lines: list[str] = []
        blank = True  # no blank line at the top
        text = "".join(self.out)
        if INVISIBLE.search(text):
            text = strip_invisible(text)
        for line in text.split("\n"):
            line = line.rstrip()
            if line or not blank:
                lines.append(line)
            blank = not line
        while lines and not lines[-1]:
            lines.pop()
        return "\n".join(lines)


def _walk(soup: BeautifulSoup, out: _Renderer, max_nodes: int) -> list[str]:
    """Feed the renderer in document order; warnings when the tree is out of bounds."""
    # An exit action is the Tag itself pushed a second time, after a None marker.
    stack: list[object] = list(reversed(soup.contents))
    nodes = depth = deepest = 0
    kinds = _KIND
    while stack:
        node = stack.pop()
        if node is None:
            out.leave(stack.pop())  # type: ignore[arg-type]
            depth -= 1
            continue
        if not isinstance(node, Tag):
            if type(node) in _VISIBLE_TEXT:
                out.text(node)  # type: ignore[arg-type]
            continue
        nodes += 1
        if nodes > max_nodes:
            return [f"html has more than {max_nodes} elements; the rest is not shown"]
        kind = kinds.get(node.name, _INLINE)
        attrs = node.attrs
        if kind == _DROPPED or (
            attrs
            and ("style" in attrs or "hidden" in attrs or "aria-hidden" in attrs)
            and _hidden(attrs)
        ):
            continue
        if kind == _EMBEDDED:
            out.embed()
            continue
        if kind == _INLINE:
            exits = False
        elif kind == _BLOCKLIKE:
            out.block(1)
            exits = True
        elif kind == _PARAGRAPHLIKE:
            out.paragraph()
            exits = True
        else:
            exits = out.enter(node.name, attrs)
        if exits:
            stack.append(node)
            stack.append(None)
            depth += 1
            if depth > deepest:
                deepest = depth
        stack.extend(reversed(node.contents))
    if deepest > _DEEP:
        return [f"html nests blocks {deepest} deep; indentation shown {_MAX_PREFIX} deep at most"]
    return []


def html_to_text(
    html: str,
    *,
    url_policy: UrlPolicy,
    language: Language,
    max_nodes: int,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> HtmlText:
    """Render an HTML body as plain text. Total: bad HTML gives text plus warnings, never raises."""
    warnings: list[str] = []
    soup = _parse(_cut(html, max_bytes, warnings), warnings)
    if soup is None:
        return HtmlText(text="", warnings=warnings)
    out = _Renderer(url_policy, language)
    warnings.extend(_walk(soup, out, max_nodes))
    text = out.finish()
    warnings.extend(out.warnings())
    return HtmlText(text=text, links=out.links, images=out.images, warnings=warnings)
