"""Where links lead: <base href>, meta refresh, form actions, image maps, SVG and MathML."""

from __future__ import annotations

import pytest

from gateway.pipeline.html_links import base_url, refresh_targets, resolve, same_address
from gateway.pipeline.html_text import html_to_text, parse
from gateway.types import Language, UrlPolicy


def text(html: str, policy: UrlPolicy = UrlPolicy.DEFANG, language: Language = Language.JA) -> str:
    return html_to_text(html, url_policy=policy, language=language, max_nodes=10_000).text


def test_relative_links_resolve_against_the_base_a_browser_would_use() -> None:
    html = (
        "<base href='https://evil.example/app/'><base href='https://second.example/'>"
        "<a href='login?x=1'>ログイン</a> <a href='/root'>r</a> <a href='../up'>u</a>"
        " <a href='https://other.example/'>abs</a> <a href='#top'>top</a>"
    )
    assert text(html) == (
        "ログイン <hxxps://evil[.]example/app/login?x=1> r <hxxps://evil[.]example/root>"
        " u <hxxps://evil[.]example/up> abs <hxxps://other[.]example/> top"
    )


def test_without_a_web_base_a_relative_link_leads_nowhere() -> None:
    assert text("<a href='login'>x</a>") == "x [URL削除]"
    assert text("<base href='javascript:alert(1)//'><a href='login'>x</a>") == "x [URL削除]"
    assert text("<base href='/relative/'><a href='login'>x</a>") == "x [URL削除]"


def test_a_base_does_not_rescue_a_dangerous_href() -> None:
    html = "<base href='https://ok.example/'><a href='javascript:alert(1)'>x</a>"
    assert text(html) == "x [URL削除]"


@pytest.mark.parametrize(
    "content",
    [
        "0; url=https://evil.example/go",
        "0;URL='https://evil.example/go'",
        "5, url = &quot;https://evil.example/go&quot;",
        "  0.5 ; https://evil.example/go",
        "0; URL=/go",
    ],
)
def test_meta_refresh_target_is_shown_first(content: str) -> None:
    html = (
        f"<base href='https://evil.example/'><meta http-equiv='Refresh' content=\"{content}\">"
        "<p>本文</p>"
    )
    assert text(html) == "[自動的に移動する先: hxxps://evil[.]example/go]\n\n本文"


def test_meta_refresh_without_a_url_only_reloads_and_shows_nothing() -> None:
    assert text("<meta http-equiv='refresh' content='30'><p>x</p>") == "x"


def test_form_action_and_button_formaction_are_shown() -> None:
    html = (
        "<p>ログインしてください</p><form action='https://evil.example/post' method='post'>"
        "<input name='pw' type='password'><input type='submit' value='送信'>"
        "<button formaction='http://other.example/alt'>別送信</button></form>"
    )
    assert text(html) == (
        "ログインしてください\n\n[フォームの送信先: hxxps://evil[.]example/post]\n[送信]\n"
        "[フォームの送信先: hxxp://other[.]example/alt]\n別送信"
    )
    assert "[The form sends to: hxxps://evil[.]example/post]" in text(html, language=Language.EN)


def test_form_with_a_dangerous_or_empty_action() -> None:
    assert text("<form action='javascript:steal()'><p>x</p></form>") == (
        "[フォームの送信先: [URL削除]]\n\nx"
    )
    assert text("<form><p>x</p></form>") == "x"


def test_image_map_areas_are_links_named_by_their_alt() -> None:
    html = (
        "<img src='map.png' usemap='#m' alt='庁舎案内図'><map name='m'>"
        "<area shape='rect' coords='0,0,9,9' href='https://a.example/honcho' alt='本庁舎'>"
        "<area shape='rect' coords='9,9,19,19' href='https://b.example/'>"
        "<area href='javascript:x()' alt='悪'><area nohref alt='飾り'></map>"
    )
    assert text(html) == (
        "[画像: 庁舎案内図] [画像: 本庁舎] <hxxps://a[.]example/honcho>"
        " [画像] <hxxps://b[.]example/> [画像: 悪] [URL削除]"
    )


def test_inline_svg_text_is_kept_and_its_links_neutralised() -> None:
    html = (
        "<p>図:</p><svg><title>tooltip</title><desc>description</desc><style>.x{}</style>"
        "<rect width='10' height='10'/><text x='1'>売上 <tspan>前年比</tspan></text>"
        "<a xlink:href='http://evil.example/x'><text>詳細</text></a>"
        "<a href='https://ok.example/'><text>公式</text></a></svg>"
    )
    assert text(html) == (
        "図:\n\n売上 前年比\n詳細\n<hxxp://evil[.]example/x>\n公式\n<hxxps://ok[.]example/>"
    )


def test_mathml_text_is_kept_and_its_links_neutralised() -> None:
    html = (
        "<p>式 <math><mi>x</mi><mo>=</mo><mfrac><mn>1</mn><mn>2</mn></mfrac>"
        "<semantics><mi href='http://m.example/'>y</mi><annotation>x=1/2</annotation>"
        "</semantics></math></p><p><span href='http://not-a-link.example/'>span</span></p>"
    )
    assert text(html) == "式 x=12y <hxxp://m[.]example/>\n\nspan"


def test_helpers_directly() -> None:
    root = parse("<base href=' https://a.example/b/ '><meta http-equiv=refresh content='0;x'>", [])
    assert root is not None
    base = base_url([root])
    assert base == "https://a.example/b/"
    assert resolve("c", base) == "https://a.example/b/c"
    assert resolve("mailto:a@b.example", base) == "mailto:a@b.example"
    assert resolve("c", None) == "c"
    assert refresh_targets([root], base) == ["https://a.example/b/x"]
    assert same_address("https://example.com", "hxxps://example[.]com/") is True
    assert same_address("www.paypal.com", "hxxp://evil[.]example/") is False
    assert same_address("こちら", "hxxp://evil[.]example/") is None
