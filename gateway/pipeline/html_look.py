"""Whether a reader can see an element's text: the cascade for one element, and what it inherits.

A Look is handed down the tree. An element's own declarations come from three places, ranked
as CSS ranks them: presentational attributes (bgcolor, <font color>, `hidden`) lowest, then
the document's style sheets by specificity and order, then its style attribute; !important
lifts a sheet rule over a normal inline one. aria-hidden plays no part: it hides from screen
readers, not from eyes.

What no reader can see is dropped, not shown marked as hidden: inline-hidden text always was,
a preheader repeats or advertises, and salting words are there to mislead filters and readers
alike, so marking them would still put the sender's hidden words in front of staff. The
original stays in the quarantine and the report counts what was hidden.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass

import tinycss2
from lxml import etree

from gateway.pipeline.html_style import (
    MAX_BOX_PX_HIDDEN,
    MAX_FONT_PX_HIDDEN,
    MAX_OPACITY_HIDDEN,
    MIN_CONTRAST,
    OFF_SCREEN_PX,
    RGBA,
    Props,
    declarations,
    interpret,
)

RGB = tuple[float, float, float]
Priority = tuple[int, int, int, int, int, int]  # !important, origin, specificity a b c, order
SheetProps = Mapping[str, tuple[Priority, object]]
MAX_STYLE = 4096  # longer style attributes are read this far: a bounded cache key

_WHITE: RGB = (1.0, 1.0, 1.0)
_BLACK: RGBA = (0.0, 0.0, 0.0, 1.0)
_HINT: Priority = (0, -1, 0, 0, 0, 0)
_INLINE = 1
_LEGACY_HEX = re.compile(r"[0-9a-fA-F]{3}|[0-9a-fA-F]{6}")
_BACKGROUND_TAGS = frozenset(("body", "table", "tr", "td", "th"))
_TEXT_COLOR_ATTRIBUTE = {"font": "color", "body": "text"}
HINT_TAGS = _BACKGROUND_TAGS | {"font"}
_POSITIONED = ("absolute", "fixed", "relative")


@dataclass(frozen=True, slots=True)
class Look:
    invisible: bool = False  # visibility:hidden, inherited until visibility:visible
    font_px: float = 16.0
    color: RGBA | None = None  # None: the reader's default text colour
    background: RGB | None = _WHITE  # None: an image, so no colour can be judged against it
    indent_away: bool = False  # text-indent far off-screen, inherited
    shows_text: bool = True
    shows_marks: bool = True  # images, buttons, embedded-content markers


DEFAULT = Look()


def _luminance(rgb: RGB | RGBA) -> float:
    def linear(channel: float) -> float:
        return channel / 12.92 if channel <= 0.04045 else ((channel + 0.055) / 1.055) ** 2.4

    return 0.2126 * linear(rgb[0]) + 0.7152 * linear(rgb[1]) + 0.0722 * linear(rgb[2])


def _over(color: RGBA, below: RGB) -> RGB:
    alpha = color[3]
    return (
        color[0] * alpha + below[0] * (1 - alpha),
        color[1] * alpha + below[1] * (1 - alpha),
        color[2] * alpha + below[2] * (1 - alpha),
    )


def _readable(color: RGBA | None, background: RGB | None) -> bool:
    color = color or _BLACK
    if color[3] <= MAX_OPACITY_HIDDEN:
        return False
    if background is None:
        return True
    lighter, darker = sorted((_luminance(_over(color, background)), _luminance(background)))
    return (darker + 0.05) / (lighter + 0.05) >= MIN_CONTRAST


def _look(invisible: bool, font_px: float, color: RGBA | None, background: RGB | None,
          indent_away: bool) -> Look:  # fmt: skip
    marks = not invisible and not indent_away
    text = marks and font_px > MAX_FONT_PX_HIDDEN and _readable(color, background)
    return Look(invisible, font_px, color, background, indent_away, text, marks)


def _small(value: object) -> bool:
    return isinstance(value, float) and value <= MAX_BOX_PX_HIDDEN


def _gone(props: Mapping[str, object]) -> bool:
    """The element and everything in it cannot be seen, whatever its children declare."""
    get = props.get
    opacity = get("opacity")
    if get("display") == "none" or get("mso-hide") == "all" or get("clip"):
        return True
    if isinstance(opacity, float) and opacity <= MAX_OPACITY_HIDDEN:
        return True
    offsets = ("left", "top", "right", "bottom") if get("position") in _POSITIONED else ()
    for name in (*offsets, "margin-left", "margin-top"):
        value = get(name)
        if isinstance(value, float) and value <= OFF_SCREEN_PX:
            return True
    clipped = ("hidden", "clip")
    if get("overflow-y") in clipped and (_small(get("height")) or _small(get("max-height"))):
        return True
    return get("overflow-x") in clipped and (_small(get("width")) or _small(get("max-width")))


def _background(parent: RGB | None, props: Mapping[str, object]) -> RGB | None:
    if props.get("background-image"):
        return None
    color = props.get("background-color")
    if not isinstance(color, tuple) or color[3] == 0:
        return parent  # transparent: the parent's background shows through
    if color[3] >= 1:
        return color[:3]
    return None if parent is None else _over(color, parent)


@functools.lru_cache(maxsize=4096)
def derive(parent: Look, props: Props) -> Look | None:
    """The Look inside an element with these declarations; None when nothing in it shows."""
    own = dict(props)
    if _gone(own):
        return None
    invisible = parent.invisible
    visibility = own.get("visibility")
    if visibility in ("hidden", "collapse", "visible"):
        invisible = visibility != "visible"
    font_px = parent.font_px
    size = own.get("font-size")
    if isinstance(size, tuple):
        font_px = size[1] if size[0] == "abs" else font_px * size[1]
    color = own.get("color", parent.color)
    indent = own.get("text-indent")
    indent_away = parent.indent_away if indent is None else bool(indent <= OFF_SCREEN_PX)  # type: ignore[operator]
    background = _background(parent.background, own)
    return _look(invisible, font_px, color, background, indent_away)  # type: ignore[arg-type]


def _winners(*sources: list[tuple[str, object, Priority]]) -> Props:
    best: dict[str, tuple[Priority, object]] = {}
    for source in sources:
        for prop, value, priority in source:
            if prop not in best or priority >= best[prop][0]:
                best[prop] = (priority, value)
    return tuple(sorted((prop, value) for prop, (_, value) in best.items()))


@functools.lru_cache(maxsize=4096)
def _inline(style: str) -> list[tuple[str, object, Priority]]:
    return [
        (prop, value, (int(important), _INLINE, 0, 0, 0, index))
        for index, (prop, value, important) in enumerate(declarations(style))
    ]


@functools.lru_cache(maxsize=4096)  # newsletters repeat the same few styles on every cell
def _inline_look(parent: Look, style: str) -> Look | None:
    return derive(parent, _winners(_inline(style)))


def _legacy_color(value: str) -> object:
    value = value.strip()
    if _LEGACY_HEX.fullmatch(value):  # bgcolor="ffffff": browsers read it as hex
        value = "#" + value
    pairs = interpret("color", tinycss2.parse_component_value_list(value))
    return pairs[0][1] if pairs else None


def _hints(name: str, attrs: etree._Attrib) -> list[tuple[str, object, Priority]]:
    found: list[tuple[str, object, Priority]] = []
    if "hidden" in attrs:
        found.append(("display", "none", _HINT))
    if name in _BACKGROUND_TAGS:
        if attrs.get("background"):
            found.append(("background-image", True, _HINT))
        if (color := _legacy_color(attrs.get("bgcolor") or "")) is not None:
            found.append(("background-color", color, _HINT))
    text_key = _TEXT_COLOR_ATTRIBUTE.get(name)
    text_color = attrs.get(text_key) if text_key else None
    if text_color and (color := _legacy_color(text_color)) is not None:
        found.append(("color", color, _HINT))
    return found


class Styler:
    """Looks for the elements of one document, given what its style sheets set on each."""

    def __init__(self, sheet: Mapping[etree._Element, SheetProps]) -> None:
        self.sheet = sheet
        # (parent, style) -> Look for this document: cheaper than the lru_cache's hashing of
        # the parent Look's fields. The parent is kept in the value so its id is not reused.
        self._seen: dict[tuple[int, str], tuple[Look, Look | None]] = {}

    def look(
        self, element: etree._Element, name: str, attrs: etree._Attrib, parent: Look
    ) -> Look | None:
        style = attrs.get("style")
        matched = self.sheet.get(element) if self.sheet else None
        if matched is None and name not in HINT_TAGS and "hidden" not in attrs:
            if style is None:
                return parent
            seen = self._seen.get((id(parent), style))
            if seen is not None and seen[0] is parent:
                return seen[1]
            found = _inline_look(parent, style[:MAX_STYLE])
            self._seen[(id(parent), style)] = (parent, found)
            return found
        from_sheet = [(prop, value, rank) for prop, (rank, value) in (matched or {}).items()]
        inline = _inline(style[:MAX_STYLE]) if style else []
        return derive(parent, _winners(_hints(name, attrs), from_sheet, inline))
