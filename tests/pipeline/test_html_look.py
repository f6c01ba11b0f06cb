"""What a reader can see: inline styles, presentational attributes and inheritance."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.pipeline.html_text import html_to_text
from gateway.types import Language, UrlPolicy


def text(html: str) -> str:
    return html_to_text(
        html, url_policy=UrlPolicy.DEFANG, language=Language.JA, max_nodes=100_000
    ).text


@pytest.mark.parametrize(
    "style",
    [
        "display:none",
        "visibility:hidden",
        "visibility:collapse",
        "opacity:0",
        "opacity:2%",
        "mso-hide:all",
        "font-size:0",
        "font-size:1px",
        "font:0/0 a",
        "color:#fff",
        "color:white;background:#fff",
        "color:#fefefe",
        "color:rgba(0,0,0,0)",
        "color:transparent",
        "position:absolute;left:-9999px",
        "position:fixed;top:-5000px",
        "text-indent:-9999em",
        "margin-left:-10000px",
        "max-height:0;overflow:hidden",
        "width:1px;height:1px;overflow:hidden",
        "position:absolute;clip:rect(0 0 0 0)",
        "clip-path:inset(50%)",
        "display:/* x */none",
        "DISPLAY : NONE !important",
        "d\\69splay:none",
    ],
)
def test_each_way_to_hide_text_hides_it(style: str) -> None:
    assert text(f"<p>shown<span style='{style}'>SECRET</span> too</p>") == "shown too"


@pytest.mark.parametrize(
    "style",
    [
        "color:#333",
        "color:#ddd",  # pale, but readable against white
        "font-size:9px",
        "font-size:0.5em",
        "opacity:0.5",
        "position:relative;left:-20px",
        "position:static;left:-9999px",  # offsets do nothing to a static box
        "height:0",  # without overflow:hidden the text spills out and shows
        "text-indent:-2em",
        "color:#fff;background-image:url(x.png)",  # white on a picture: judged readable
        "color:red;color:bogus",  # an invalid value is ignored, red stays
    ],
)
def test_visible_styles_keep_the_text(style: str) -> None:
    assert text(f"<p>shown <span style='{style}'>VISIBLE</span></p>") == "shown VISIBLE"


def test_white_text_on_a_dark_cell_is_read_and_white_on_white_is_not() -> None:
    html = (
        "<table><tr><td bgcolor='#003366'><font color='#ffffff'>見える</font></td>"
        "<td style='background:#fff'><span style='color:#fff'>見えない</span></td></tr></table>"
        "<div style='background-color:black'><p style='color:black'>黒地に黒</p></div>"
    )
    assert text(html) == "見える"


def test_legacy_hex_without_hash_is_read_as_browsers_read_it() -> None:
    assert text("<body bgcolor='ffffff'><font color='ffffff'>x</font>y</body>") == "y"


def test_a_child_can_undo_what_it_inherits() -> None:
    html = (
        "<div style='visibility:hidden'>gone<span style='visibility:visible'>back</span></div>"
        "<td style='font-size:0'><div style='font-size:14px'>column</div></td>"
        "<div style='color:#fff'>white<span style='color:#000'>black</span></div>"
    )
    assert text(html) == "back\ncolumn\nblack"


def test_a_hidden_subtree_cannot_be_undone_by_its_children() -> None:
    html = "<div style='display:none'><p style='display:block'>x</p></div><p>y</p>"
    assert text(html) == "y"
    assert text("<div style='opacity:0'><p style='opacity:1'>x</p></div>") == ""


def test_images_survive_text_hiding_but_not_box_hiding() -> None:
    html = (
        "<a style='font-size:0' href='https://a.example/'><img alt='logo' src='l.png'></a>"
        "<span style='visibility:hidden'><img alt='gone' src='g.png'></span>"
    )
    assert text(html) == "[画像: logo] <hxxps://a[.]example/>"


def test_aria_hidden_text_is_visible_text() -> None:
    html = "<p><span aria-hidden='true'>★★★★☆</span> 4.0 / 5</p>"
    assert text(html) == "★★★★☆ 4.0 / 5"


def test_hidden_attribute_loses_to_an_author_display() -> None:
    assert text("<p>a<span hidden>b</span><span hidden style='display:inline'>c</span></p>") == "ac"


def test_salted_words_between_visible_ones_are_dropped() -> None:
    html = (
        "<p>Your <span style='font-size:0'>xqz lorem</span>account"
        "<span style='color:#ffffff'> harmless newsletter </span> is locked.</p>"
    )
    assert text(html) == "Your account is locked."


def test_unseen_text_is_counted_in_a_warning() -> None:
    result = html_to_text(
        "<p>a<span style='display:none'>b</span><span style='color:#fff'>c</span></p>",
        url_policy=UrlPolicy.DEFANG,
        language=Language.JA,
        max_nodes=1000,
    )
    assert result.warnings == [
        "html: 1 hidden element(s) and 1 run(s) of unseen text were not shown"
    ]


_HIDING = st.sampled_from(
    [
        "display:none",
        "visibility:hidden",
        "font-size:0px",
        "opacity:0",
        "color:#ffffff",
        "position:absolute;left:-3000px",
        "max-height:0px;overflow:hidden",
        "mso-hide:all",
    ]
)
_HARMLESS = st.sampled_from(
    ["", "padding:4px", "font-family:serif", "line-height:1.5", "background:#fff", "margin:0"]
)


@settings(max_examples=200, deadline=None)
@given(
    hiding=_HIDING,
    before=_HARMLESS,
    after=_HARMLESS,
    important=st.booleans(),
    # Well-nested wrappers: libxml2 is no HTML5 tree builder, so misnested markup (a stray
    # <td> inside a <span>) may move text out of its element where a browser would not.
    wrappers=st.lists(st.sampled_from(["span", "b", "div", "p", "font", "a", "em"]), max_size=4),
)
def test_inline_hidden_text_never_shows_however_wrapped(
    hiding: str, before: str, after: str, important: bool, wrappers: list[str]
) -> None:
    declaration = hiding.replace(";", " !important;") + " !important" if important else hiding
    inner = "SECRETWORD"
    for tag in wrappers:
        inner = f"<{tag}>{inner}</{tag}>"
    html = f"<div>visible<div style='{before};{declaration};{after}'>{inner}</div>end</div>"
    out = text(html)
    assert "SECRETWORD" not in out
    assert out.replace("\n", "") == "visibleend"
