"""HTML rendered to the plain text a reader would have seen, with every link made harmless.

libxml2 (through lxml) parses into its own C tree and the walk reads that tree directly: no
Python object per node is built beyond the element proxies the walk touches. The walk is our
own because no library renders with the rules a disarm gateway needs: real hrefs shown next
to their text, hidden text dropped, embeds replaced by a marker, and bounded work on hostile
input. It is iterative with an explicit stack: 100,000 nested <div>s are legal input.
It decides what is visible; gateway.pipeline.html_render lays the visible part out as text.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from lxml import etree

from gateway.pipeline.html_links import base_url, refresh_targets
from gateway.pipeline.html_look import DEFAULT, Look, Styler
from gateway.pipeline.html_render import (
    BLOCK,
    HTML_SPACE,
    MAX_PREFIX,
    PARAGRAPH,
    Renderer,
    tag_names,
)
from gateway.pipeline.html_sheet import sheet_styles
from gateway.types import Language, UrlPolicy

DEFAULT_MAX_BYTES = 4 * 1024 * 1024
_DEEP = 1000  # block nesting no real mail reaches: worth a warning


# Categories of elements; anything not named is inline and only its children matter.
# SVG's <desc> and <metadata> and MathML's annotations are not drawn; <title> is a tooltip.
_DROP = tag_names(
    "script style head title template noscript select datalist option optgroup meta link"
    " base param source track colgroup col desc metadata annotation annotation-xml"
)
_EMBED = tag_names("object embed iframe frame frameset applet audio video")
_SPECIAL = tag_names(
    "a br td th img tr table ul ol menu dir li blockquote dd dt pre textarea listing xmp"
    " plaintext hr input button form area"
)  # the elements Renderer.enter() handles
_MATHML = tag_names(
    "math mi mn mo ms mtext mspace mrow mfrac msqrt mroot mstyle merror mpadded mphantom"
    " mfenced menclose msub msup msubsup munder mover munderover mmultiscripts mtable mtr mtd"
    " mlabeledtr maction semantics"
)
_MARKS = tag_names("img input hr")  # what shows without text: hidden only with the box
_INLINE, _DROPPED, _EMBEDDED, _BLOCKLIKE, _PARAGRAPHLIKE, _ENTER = range(6)
_KIND = {
    **dict.fromkeys(_DROP, _DROPPED),
    **dict.fromkeys(_EMBED, _EMBEDDED),
    **dict.fromkeys(BLOCK, _BLOCKLIKE),
    **dict.fromkeys(PARAGRAPH, _PARAGRAPHLIKE),
    **dict.fromkeys(_SPECIAL, _ENTER),
}
# libxml2 stops a document nested deeper than this (the rest of the text would be lost);
# such a document is parsed again through a SAX target, which has no depth limit.
_RESOURCE_LIMIT = etree.ErrorTypes.ERR_RESOURCE_LIMIT


@dataclass(slots=True)
class HtmlText:
    text: str
    links: int = 0
    images: int = 0
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # label keys for the reader's notice


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


class _Walk:
    """One document's walk: the renderer fed in document order with only what can be seen."""

    def __init__(self, out: Renderer, styler: Styler, max_nodes: int) -> None:
        self.out = out
        self.styler = styler
        self.max_nodes = max_nodes
        self.gone = 0  # elements hidden with everything in them
        self.unseen = 0  # runs of text in a colour, size or visibility no reader can see

    def run(self, tops: list[etree._Element]) -> list[str]:
        """Warnings when the tree is out of bounds."""
        out, sheet, kinds = self.out, self.styler.sheet, _KIND
        look_of = self.styler.look
        # Items: an element to enter; a str, the tail after an element (text in its parent);
        # or (name to leave or None, the Look to restore, the element), pushed below the
        # children. Holding the element keeps its lxml proxy alive while its children are
        # walked: a proxy freed with no live proxy above it makes lxml climb to the root,
        # which made a 100,000-deep tree quadratic.
        stack: list[object] = list(reversed(tops))
        look: Look = DEFAULT
        nodes = depth = deepest = 0
        while stack:
            node = stack.pop()
            kind_of_item = type(node)
            if kind_of_item is str:
                if not look.shows_text:
                    self.unseen += not node.isspace()  # type: ignore[attr-defined]
                elif out.pre or node.strip(HTML_SPACE):  # type: ignore[attr-defined]
                    out.text(node)  # type: ignore[arg-type]
                else:  # the indentation between tags, most tails: only a space
                    out.space = True
                continue
            if kind_of_item is tuple:
                exit_item: tuple[str | None, Look, object] = node  # type: ignore[assignment]
                leaving, look, _ = exit_item
                if leaving:
                    out.leave(leaving)
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
            if nodes > self.max_nodes:
                return [f"html has more than {self.max_nodes} elements; the rest is not shown"]
            kind = kinds.get(name, _INLINE)
            if kind == _DROPPED:
                continue
            attrs = element.attrib
            inner = look
            if attrs or (sheet and element in sheet):
                styled = look_of(element, name, attrs, look)
                if styled is None:
                    self.gone += 1
                    continue
                inner = styled
            if kind == _EMBEDDED or name in _MARKS:
                if inner.shows_marks:
                    out.embed() if kind == _EMBEDDED else out.enter(name, attrs)
                continue
            if kind == _INLINE:
                # Any MathML element may carry a link; in HTML only <a> and <area> do.
                exits = name in _MATHML and "href" in attrs and out.enter("a", attrs)
                if exits:
                    name = "a"
            elif kind == _BLOCKLIKE:
                out.block(1)
                exits = True
            elif kind == _PARAGRAPHLIKE:
                out.paragraph()
                exits = True
            else:
                exits = out.enter(name, attrs)
            children = len(element)
            if exits:
                stack.append((name, look, element))
                depth += 1
                if depth > deepest:
                    deepest = depth
            elif children or inner is not look:
                stack.append((None, look, element))
            look = inner
            if children:
                stack.extend(reversed(element))
            text = element.text
            if text:
                if not look.shows_text:
                    self.unseen += not text.isspace()
                elif out.pre or text.strip(HTML_SPACE):
                    out.text(text)
                else:
                    out.space = True
        if deepest > _DEEP:
            depth_note = f"indentation shown {MAX_PREFIX} deep at most"
            return [f"html nests blocks {deepest} deep; {depth_note}"]
        return []

    def warnings(self) -> list[str]:
        if not self.gone and not self.unseen:
            return []
        return [
            f"html: {self.gone} hidden element(s) and {self.unseen} run(s) of unseen text"
            " were not shown"
        ]


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
    # Text after </html> is parsed into further top-level elements beside the root.
    tops = [*reversed(list(root.itersiblings(preceding=True))), root, *root.itersiblings()]
    sheet = sheet_styles(tops)
    warnings.extend(sheet.warnings)
    base = base_url(tops)
    out = Renderer(url_policy, language, base)
    for target in refresh_targets(tops, base):
        out.target("refresh", target)
    walk = _Walk(out, Styler(sheet.props), max_nodes)
    warnings.extend(walk.run(tops))
    text = out.finish()
    warnings.extend(out.warnings() + walk.warnings())
    notes = ["css_uncertain"] if sheet.uncertain else []
    return HtmlText(text, out.links, out.images, warnings, notes)
