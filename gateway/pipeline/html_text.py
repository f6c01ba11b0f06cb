"""HTML rendered to the plain text a reader would have seen, with every link made harmless.

bs4 with the lxml builder parses (the product spec names it); the walk over its tree is our
own because no library renders with the rules a disarm gateway needs: real hrefs shown next
to their text, hidden text dropped, embeds replaced by a marker, and bounded work on hostile
input. The walk is iterative with an explicit stack: 100,000 nested <div>s are legal input.
It decides what is visible; gateway.pipeline.html_render lays the visible part out as text.
"""

from __future__ import annotations

import functools
import re
import warnings
from dataclasses import dataclass, field

from bs4 import BeautifulSoup, MarkupResemblesLocatorWarning
from bs4.element import NavigableString, RubyParenthesisString, RubyTextString, Tag

from gateway.pipeline.html_render import (
    BLOCK,
    MAX_PREFIX,
    MAX_STYLE,
    PARAGRAPH,
    Attrs,
    Renderer,
    tag_names,
)
from gateway.types import Language, UrlPolicy

DEFAULT_MAX_BYTES = 4 * 1024 * 1024
_DEEP = 1000  # block nesting no real mail reaches: worth a warning


# Categories of elements; anything not named is inline and only its children matter.
_DROP = tag_names(
    "script style head title template noscript select datalist option optgroup meta link"
    " base param source track map area colgroup col"
)
_EMBED = tag_names("object embed iframe frame frameset applet svg math audio video")
_SPECIAL = tag_names(
    "a br td th img tr table ul ol menu dir li blockquote dd dt pre textarea listing xmp"
    " plaintext hr input"
)  # the elements Renderer.enter() handles
_INLINE, _DROPPED, _EMBEDDED, _BLOCKLIKE, _PARAGRAPHLIKE, _ENTER = range(6)
_KIND = {
    **dict.fromkeys(_DROP, _DROPPED),
    **dict.fromkeys(_EMBED, _EMBEDDED),
    **dict.fromkeys(BLOCK, _BLOCKLIKE),
    **dict.fromkeys(PARAGRAPH, _PARAGRAPHLIKE),
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


@dataclass(slots=True)
class HtmlText:
    text: str
    links: int = 0
    images: int = 0
    warnings: list[str] = field(default_factory=list)


def hidden_style(style: str) -> bool:
    """True when an inline style makes the element invisible."""
    return _style_hides(style[:MAX_STYLE])  # a bounded key: the cache outlives the mail


@functools.lru_cache(maxsize=1024)  # newsletters repeat the same few styles on every cell
def _style_hides(style: str) -> bool:
    lowered = style.lower()
    if not any(word in lowered for word in _HIDING_WORDS):
        return False
    compact = "".join(lowered.split())
    if "/*" in compact:
        compact = _CSS_COMMENT.sub("", compact)
    return _HIDDEN_STYLE.search(compact) is not None


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


def _walk(soup: BeautifulSoup, out: Renderer, max_nodes: int) -> list[str]:
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
        return [f"html nests blocks {deepest} deep; indentation shown {MAX_PREFIX} deep at most"]
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
    out = Renderer(url_policy, language)
    warnings.extend(_walk(soup, out, max_nodes))
    text = out.finish()
    warnings.extend(out.warnings())
    return HtmlText(text=text, links=out.links, images=out.images, warnings=warnings)
