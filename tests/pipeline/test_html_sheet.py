"""Text hidden by the document's <style> sheets, and bounded work on hostile sheets."""

from __future__ import annotations

import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.pipeline.html_sheet import MAX_SHEET_CHARS, sheet_styles
from gateway.pipeline.html_text import HtmlText, html_to_text, parse
from gateway.types import Language, UrlPolicy


def render(html: str) -> HtmlText:
    return html_to_text(html, url_policy=UrlPolicy.DEFANG, language=Language.JA, max_nodes=100_000)


def text(html: str) -> str:
    return render(html).text


def styled(css: str, body: str) -> str:
    return text(f"<html><head><style>{css}</style></head><body>{body}</body></html>")


@pytest.mark.parametrize(
    ("css", "body"),
    [
        (".preheader{display:none}", "<div class='preheader'>SECRET</div>"),
        ("#salt{font-size:0}", "<span id='salt'>SECRET</span>"),
        ("span{visibility:hidden}", "<span>SECRET</span>"),
        ("td.x span{color:#fff}", "<table><tr><td class='x'><span>SECRET</span></td></tr></table>"),
        (".off{position:absolute;left:-9999px}", "<p class='off'>SECRET</p>"),
        ("div > .a.b{opacity:0}", "<div><p class='a b'>SECRET</p></div>"),
        ("[data-x]{display:none}", "<p data-x='1'>SECRET</p>"),
        ("b:first-child{display:none}", "<div><b>SECRET</b></div>"),
        ("@media screen{.m{display:none}}", "<p class='m'>SECRET</p>"),
        ("@media all, print{.m{display:none}}", "<p class='m'>SECRET</p>"),
        (".c{color:#fff} .bg{background:#fff}", "<div class='bg'><p class='c'>SECRET</p></div>"),
        ("/* c */ .a{display:none !important}", "<p class='a' style='display:block'>SECRET</p>"),
    ],
)
def test_sheet_rules_hide_like_inline_styles(css: str, body: str) -> None:
    assert styled(css, f"<p>visible</p>{body}<p>end</p>") == "visible\n\nend"


@pytest.mark.parametrize(
    ("css", "body"),
    [
        (".a{display:none} .a.b{display:block}", "<p class='a b'>SHOWN</p>"),  # specificity
        (".a{display:none} .a{display:block}", "<p class='a'>SHOWN</p>"),  # order
        (".a{display:none}", "<p class='a' style='display:block'>SHOWN</p>"),  # inline wins
        ("@media (max-width:600px){.d{display:none}}", "<p class='d'>SHOWN</p>"),  # a phone only
        ("@media print{.d{display:none}}", "<p class='d'>SHOWN</p>"),
        ("a:hover{display:none}", "<p><a href='https://a.example/'>SHOWN</a></p>"),  # dynamic
        ("p::before{display:none}", "<p>SHOWN</p>"),  # only the generated box
        (".x{display:none}", "<p class='xx'>SHOWN</p>"),
        (".c{color:#fff}", "<div style='background:#036'><p class='c'>SHOWN</p></div>"),
        ("= .broken { display:none }", "<p class='broken'>SHOWN</p>"),  # invalid: dropped
    ],
)
def test_sheet_rules_that_do_not_hide_leave_the_text(css: str, body: str) -> None:
    result = render(f"<style>{css}</style>{body}")
    assert result.text.startswith("SHOWN")
    assert result.notes == []


def test_a_style_element_with_a_print_media_attribute_is_not_applied() -> None:
    assert text("<style media='print'>p{display:none}</style><p>x</p>") == "x"
    assert text("<style media='screen'>p{display:none}</style><p>x</p>") == ""


def test_style_in_the_body_and_after_the_html_end_still_applies() -> None:
    html = "<p class='p'>A</p><style>.p{display:none}</style></html><p class='p'>B</p>C"
    assert text(html) == "C"


def test_preheader_newsletter_keeps_its_message_and_loses_the_preview() -> None:
    html = (
        "<style>.preheader{display:none!important;max-height:0;overflow:hidden}"
        ".hide-mobile{display:block}@media only screen and (max-width:480px)"
        "{.hide-mobile{display:none!important}}</style>"
        "<span class='preheader'>今だけ特典のご案内 ‌ ‌ ‌</span>"
        "<div class='hide-mobile'>本文: 来月の説明会のお知らせ</div>"
    )
    assert text(html) == "本文: 来月の説明会のお知らせ"


def test_unsupported_selector_of_a_hiding_rule_adds_a_note() -> None:
    result = render("<style>p:focus-within{display:none}</style><p>x</p>")
    assert result.notes == ["css_uncertain"]
    assert any("not applied" in warning for warning in result.warnings)


def test_a_hundred_thousand_rules_are_bounded_and_the_reader_is_told() -> None:
    rules = "".join(f".c{i} .d{i}{{display:none}}" for i in range(100_000))
    body = "".join(f"<div class='c{i}'><p class='d{i}'>p{i}</p></div>" for i in range(300))
    started = time.perf_counter()
    result = render(f"<style>{rules}</style>{body}")
    elapsed = time.perf_counter() - started
    assert "css_uncertain" in result.notes
    assert any(f"{MAX_SHEET_CHARS}" in warning for warning in result.warnings)
    assert elapsed < 60  # a bound, not a benchmark: unbounded this takes many minutes


def test_selectors_on_a_deep_tree_are_charged_for_the_depth() -> None:
    deep = "<div>" * 2000 + "<p class='t'>deep</p>" + "</div>" * 2000
    css = "".join(f"div div .t{i}, div div div .t{{color:#fff}}" for i in range(50))
    root = parse(f"<style>{css}</style>{deep}", [])
    assert root is not None
    styles = sheet_styles([root])
    assert styles.uncertain


def test_rules_naming_absent_classes_cost_nothing_and_change_nothing() -> None:
    css = "".join(f".absent{i} p{{display:none}}" for i in range(3000))
    root = parse(f"<style>{css}</style><p>x</p>", [])
    assert root is not None
    styles = sheet_styles([root])
    assert styles.props == {} and not styles.uncertain


_HIDING = st.sampled_from(
    [
        "display:none",
        "visibility:hidden",
        "font-size:0",
        "opacity:0",
        "color:#fff",
        "position:absolute;top:-2000px",
        "height:0;overflow:hidden",
    ]
)
_SELECTOR = st.sampled_from(
    ["{tag}.{cls}", ".{cls}", "#{id}", "body {tag}", "div {tag}", "[class~={cls}]", "{tag}#{id}"]
)


@settings(max_examples=200, deadline=None)
@given(
    hiding=_HIDING,
    selector=_SELECTOR,
    tag=st.sampled_from(["p", "span", "td", "li"]),
    cls=st.from_regex(r"[a-z][a-z0-9_-]{0,8}", fullmatch=True),
    important=st.booleans(),
    inside_media=st.booleans(),
)
def test_sheet_hidden_text_never_shows(
    hiding: str, selector: str, tag: str, cls: str, important: bool, inside_media: bool
) -> None:
    declaration = hiding.replace(";", "!important;") + "!important" if important else hiding
    rule = selector.format(tag=tag, cls=cls, id=cls) + "{" + declaration + "}"
    if inside_media:
        rule = "@media screen{" + rule + "}"
    if tag == "td":
        element = f"<table><tr><td class='{cls}' id='{cls}'>SECRETWORD</td></tr></table>"
    elif tag == "li":
        element = f"<ul><li class='{cls}' id='{cls}'>SECRETWORD</li></ul>"
    else:
        element = f"<{tag} class='{cls}' id='{cls}'>SECRETWORD</{tag}>"
    out = styled(rule, f"<div>visible</div><div>{element}</div><div>end</div>")
    assert "SECRETWORD" not in out
    assert out.startswith("visible") and out.endswith("end")
