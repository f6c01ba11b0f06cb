"""HTML rendered to the plain text a reader would have seen, with every link made harmless.

libxml2 (through lxml) parses into its own C tree and the walk reads that tree directly: no
Python object per node is built beyond the element proxies the walk touches. The walk is our
own because no library renders with the rules a disarm gateway needs: real hrefs shown next
to their text, hidden text dropped, embeds replaced by a marker, and bounded work on hostile
input. It is iterative with an explicit stack: 100,000 nested <div>s are legal input.
It decides what is visible; gateway.pipeline.html_render lays the visible part out as text.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field

from lxml import etree

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
# `display:none` and friends after spaces and comments are gone; a zero size or opacity
# in any unit, with or without !important.
_HIDDEN_STYLE = re.compile(
    r"(?:^|;)(?:display:none|visibility:hidden|mso-hide:all"
    r"|font-size:(?:0+\.?0*|\.0+)(?:px|pt|em|rem|%|vw|vh)?|opacity:(?:0+\.?0*|\.0+)%?)"
    r"(?:!important)?(?:;|$)"
)
_HIDING_WORDS = ("none", "hidden", "mso-hide", "font-size", "opacity")
_CSS_COMMENT = re.compile(r"/\*[^*]*\*+(?:[^/*][^*]*\*+)*/")
# libxml2 stops a document nested deeper than this (the rest of the text would be lost);
# such a document is parsed again through a SAX target, which has no depth limit.
_RESOURCE_LIMIT = etree.ErrorTypes.ERR_RESOURCE_LIMIT


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


def parse(html: str, warnings: list[str]) -> etree._Element | None:
    """The document's root element, or None when it holds no element at all."""
    # The text is handed over as UTF-8 bytes with the encoding named: a <meta charset> or an
    # XML declaration inside cannot make libxml2 read it as something else.
    data = html.removeprefix("\ufeff").encode("utf-8", "replace")
    parser = etree.HTMLParser(
        encoding="utf-8", remove_comments=True, remove_pis=True, huge_tree=True
    )
    try:
        root: etree._Element | None = etree.fromstring(data, parser)
        if not any(error.type == _RESOURCE_LIMIT for error in parser.error_log):
            return root
        deep = etree.HTMLParser(
            encoding="utf-8", remove_comments=True, remove_pis=True, target=etree.TreeBuilder()
        )
        built = etree.fromstring(data, deep)
        return built if isinstance(built, etree._Element) else None
    except (etree.LxmlError, ValueError):
        warnings.append("html could not be parsed; its text is not shown")
        return None


def _walk(root: etree._Element, out: Renderer, max_nodes: int) -> list[str]:
    """Feed the renderer in document order; warnings when the tree is out of bounds."""
    # Items: an element to enter, a str (a tail: text after an element, in its parent), or
    # the name of an element to leave. A tail is pushed below its element's exit.
    # Text after </html> is parsed into further top-level elements beside the root.
    stack: list[object] = [*reversed(list(root.itersiblings())), root]
    stack.extend(root.itersiblings(preceding=True))
    nodes = depth = deepest = 0
    kinds = _KIND
    while stack:
        node = stack.pop()
        kind_of_item = type(node)
        if kind_of_item is str:
            out.text(node)  # type: ignore[arg-type]
            continue
        if kind_of_item is tuple:
            out.leave(node[0])  # type: ignore[index]
            depth -= 1
            continue
        element: etree._Element = node  # type: ignore[assignment]
        tail = element.tail
        if tail:
            stack.append(tail)
        name = element.tag
        if type(name) is not str:  # an entity reference or what recovery left: no text
            continue
        nodes += 1
        if nodes > max_nodes:
            return [f"html has more than {max_nodes} elements; the rest is not shown"]
        kind = kinds.get(name, _INLINE)
        if kind == _DROPPED:
            continue
        attrs = element.attrib
        if attrs and _hidden(attrs):
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
            exits = out.enter(name, attrs)
        if exits:
            stack.append((name,))
            depth += 1
            if depth > deepest:
                deepest = depth
        if len(element):
            stack.extend(reversed(element))
        text = element.text
        if text:
            out.text(text)
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
    root = parse(_cut(html, max_bytes, warnings), warnings)
    if root is None:
        return HtmlText(text="", warnings=warnings)
    out = Renderer(url_policy, language)
    warnings.extend(_walk(root, out, max_nodes))
    text = out.finish()
    warnings.extend(out.warnings())
    return HtmlText(text=text, links=out.links, images=out.images, warnings=warnings)
