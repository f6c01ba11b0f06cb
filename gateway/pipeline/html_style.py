"""What CSS does to visibility: the declarations that can hide text, read from tinycss2's AST.

Only a handful of properties decide whether a reader can see something, so only they are read;
everything else in a style is ignored. A declaration becomes a small hashable value here (the
parsing is tinycss2's), and a Look is what an element hands down to its children: the inherited
properties (visibility, font size, colour, the background behind it, text-indent) that decide
whether its text can be seen. Subtree-hiding properties (display:none, opacity:0, mso-hide,
a clipped or zero-sized box with overflow hidden, a box moved off-screen) end the element.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import tinycss2
import tinycss2.color4

RGBA = tuple[float, float, float, float]
Pairs = list[tuple[str, object]]
Reader = Callable[[Sequence[Any]], Pairs]
Props = tuple[tuple[str, object], ...]  # (property, interpreted value), one per property

OFF_SCREEN_PX = -1000.0  # an offset this far left or up leaves any window people read mail in
MIN_CONTRAST = 1.1  # text against its background below this ratio (WCAG) cannot be read
MAX_OPACITY_HIDDEN = 0.05
MAX_FONT_PX_HIDDEN = 1.0  # 1px text is a line of dots, not words
MAX_BOX_PX_HIDDEN = 1.0  # a 1px box with overflow hidden shows nothing (the sr-only pattern)
_PX = {"px": 1.0, "pt": 4 / 3, "pc": 16.0, "in": 96.0, "cm": 96 / 2.54, "mm": 96 / 25.4,
       "q": 96 / 101.6, "em": 16.0, "rem": 16.0, "ex": 8.0, "ch": 8.0, "vw": 10.0, "vh": 10.0,
       "vmin": 10.0, "vmax": 10.0}  # fmt: skip
_SIZE_KEYWORDS = {"xx-small": 9.0, "x-small": 10.0, "small": 13.0, "medium": 16.0,
                  "large": 18.0, "x-large": 24.0, "xx-large": 32.0, "xxx-large": 48.0}  # fmt: skip
_RELATIVE_FONT = {"em": 1.0, "%": 0.01, "ex": 0.5, "ch": 0.5}
_IMAGES = ("url", "image", "image-set", "element", "cross-fade")


def _values(tokens: Iterable[Any]) -> list[Any]:
    return [t for t in tokens if t.type not in ("whitespace", "comment")]


def _px(token: Any) -> float | None:
    """A length in CSS pixels; None for auto, percentages and anything that is not a length."""
    if token.type == "number" and token.value == 0:
        return 0.0
    if token.type == "dimension":
        factor = _PX.get(token.lower_unit)
        return token.value * factor if factor is not None else None
    return None


def _ident(tokens: Sequence[Any]) -> str | None:
    values = _values(tokens)
    return values[0].lower_value if values and values[0].type == "ident" else None


def _color(token: Any) -> RGBA | None:
    try:
        parsed = tinycss2.color4.parse_color(token)
        if parsed is None or isinstance(parsed, str):  # currentcolor: the inherited colour
            return None
        srgb = parsed.to("srgb")
    except (NotImplementedError, ValueError, TypeError, ZeroDivisionError):
        return None
    red, green, blue = (round(min(1.0, max(0.0, c)), 3) for c in srgb.coordinates)
    return red, green, blue, round(min(1.0, max(0.0, srgb.alpha)), 3)


def _font_size(token: Any) -> tuple[str, float] | None:
    if token.type == "ident":
        if token.lower_value in _SIZE_KEYWORDS:
            return "abs", _SIZE_KEYWORDS[token.lower_value]
        return {"smaller": ("rel", 1 / 1.2), "larger": ("rel", 1.2)}.get(token.lower_value)
    if token.type == "percentage":
        return "rel", token.value / 100
    if token.type == "dimension" and token.lower_unit in _RELATIVE_FONT:
        return "rel", token.value * _RELATIVE_FONT[token.lower_unit]
    size = _px(token)
    return ("abs", size) if size is not None else None


def _font(tokens: Sequence[Any]) -> Pairs:
    # The size is the first length in the shorthand (`font: bold 12px/1.5 x`, `font: 0/0 a`);
    # a bare number other than 0 before it is a weight.
    for token in _values(tokens):
        if token.type == "number" and token.value != 0:
            continue
        if token.type in ("number", "dimension", "percentage") or (
            token.type == "ident" and token.lower_value in _SIZE_KEYWORDS
        ):
            size = _font_size(token)
            return [("font-size", size)] if size else []
    return []


def _background(tokens: Sequence[Any]) -> Pairs:
    found: Pairs = []
    for token in _values(tokens):
        if token.type == "url" or (
            token.type == "function" and token.lower_name.endswith(("gradient", *_IMAGES))
        ):
            found.append(("background-image", True))
        elif (color := _color(token)) is not None:
            found.append(("background-color", color))
    return found


def _clip(tokens: Sequence[Any]) -> Pairs:
    values = _values(tokens)
    if len(values) != 1 or values[0].type != "function" or values[0].lower_name != "rect":
        return []
    edges = [_px(t) for t in _values(values[0].arguments) if t.type != "literal"]
    if len(edges) != 4 or None in edges:
        return []
    top, right, bottom, left = (edge or 0.0 for edge in edges)
    empty = bottom - top <= MAX_BOX_PX_HIDDEN or right - left <= MAX_BOX_PX_HIDDEN
    return [("clip", True)] if empty else []


def _clip_path(tokens: Sequence[Any]) -> Pairs:
    values = _values(tokens)
    if values and values[0].type == "function" and values[0].lower_name == "inset":
        first = _values(values[0].arguments)[:1]
        if first and first[0].type == "percentage" and first[0].value >= 50:
            return [("clip", True)]
    return []


def _margin(tokens: Sequence[Any]) -> Pairs:
    lengths = [_px(t) for t in _values(tokens)]
    if not 1 <= len(lengths) <= 4:
        return []
    left = lengths[{1: 0, 2: 1, 3: 1, 4: 3}[len(lengths)]]
    return [("margin-top", lengths[0]), ("margin-left", left)]


def _overflow(tokens: Sequence[Any]) -> Pairs:
    shown = _ident(tokens)
    return [("overflow-x", shown), ("overflow-y", shown)]


def _one(name: str, read: Callable[[Any], object]) -> Reader:
    def interpret(tokens: Sequence[Any]) -> Pairs:
        values = _values(tokens)
        value = read(values[0]) if len(values) == 1 else None
        return [] if value is None else [(name, value)]

    return interpret


def _keyword(name: str) -> Reader:
    return lambda tokens: [(name, word)] if (word := _ident(tokens)) else []


def _opacity(token: Any) -> float | None:
    if token.type == "number":
        return float(token.value)
    return token.value / 100 if token.type == "percentage" else None


def _background_image(tokens: Sequence[Any]) -> Pairs:
    return [] if _ident(tokens) == "none" else [("background-image", True)]


_LENGTHS = ("left", "top", "right", "bottom", "margin-left", "margin-top", "text-indent",
            "height", "max-height", "width", "max-width")  # fmt: skip
_OFFSETS = frozenset(("left", "top", "right", "bottom", "margin-left", "margin-top", "text-indent"))
_INTERPRET: dict[str, Reader] = {
    "display": _keyword("display"),
    "visibility": _keyword("visibility"),
    "mso-hide": _keyword("mso-hide"),
    "position": _keyword("position"),
    "overflow": _overflow,
    "overflow-x": _keyword("overflow-x"),
    "overflow-y": _keyword("overflow-y"),
    "opacity": _one("opacity", _opacity),
    "font-size": _one("font-size", _font_size),
    "font": _font,
    "color": _one("color", _color),
    "background-color": _one("background-color", _color),
    "background": _background,
    "background-image": _background_image,
    "clip": _clip,
    "clip-path": _clip_path,
    "margin": _margin,
    **{name: _one(name, _px) for name in _LENGTHS},
}
RELEVANT = frozenset(_INTERPRET)


def interpret(name: str, tokens: Sequence[Any]) -> Pairs:
    """A declaration as (property, value) pairs for the properties that decide visibility."""
    read = _INTERPRET.get(name)
    return read(tokens) if read else []


def can_hide(prop: str, value: object) -> bool:
    """True when this declaration may hide text, alone or with the colours around it."""
    if prop in ("display", "visibility", "mso-hide"):
        return value in ("none", "hidden", "collapse", "all")
    if prop == "opacity":
        return isinstance(value, float) and value <= MAX_OPACITY_HIDDEN
    if prop == "font-size" and isinstance(value, tuple):
        kind, size = value
        return bool(size <= (MAX_FONT_PX_HIDDEN if kind == "abs" else MAX_FONT_PX_HIDDEN / 16))
    if prop in _OFFSETS:
        return isinstance(value, float) and value <= OFF_SCREEN_PX
    if prop in ("height", "max-height", "width", "max-width"):
        return isinstance(value, float) and value <= MAX_BOX_PX_HIDDEN
    return prop in ("clip", "color", "background-color")


@functools.lru_cache(maxsize=4096)  # newsletters repeat the same few styles on every cell
def style_declarations(style: str) -> tuple[tuple[str, object, bool], ...]:
    """declarations() of a style attribute."""
    return tuple(declarations(style))


def declarations(block: Sequence[Any] | str) -> list[tuple[str, object, bool]]:
    """(property, value, important) for each relevant declaration of a style block, in order."""
    found = []
    for item in tinycss2.parse_blocks_contents(block, skip_whitespace=True, skip_comments=True):
        if item.type == "declaration" and item.lower_name in RELEVANT:
            for prop, value in interpret(item.lower_name, item.value):
                found.append((prop, value, bool(item.important)))
    return found
