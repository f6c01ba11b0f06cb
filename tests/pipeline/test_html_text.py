"""HTML to plain text: the rendering rules, hostile links, and bounds on pathological input."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.pipeline.html_text import HtmlText, html_to_text
from gateway.types import Language, UrlPolicy

NODES = 200_000


def render(
    html: str,
    policy: UrlPolicy = UrlPolicy.DEFANG,
    language: Language = Language.JA,
    max_nodes: int = NODES,
    **kwargs: int,
) -> HtmlText:
    return html_to_text(html, url_policy=policy, language=language, max_nodes=max_nodes, **kwargs)


def text(html: str, policy: UrlPolicy = UrlPolicy.DEFANG, language: Language = Language.JA) -> str:
    return render(html, policy, language).text


def newsletter(target_bytes: int) -> str:
    """A marketing mail shaped like real ones: layout tables, inline styles, tracked links."""
    head = (
        "<!DOCTYPE html><html><head><meta charset='utf-8'><title>今月のお知らせ</title>"
        "<style>td{font-family:sans-serif} .btn{color:#fff}</style></head>"
        "<body style='margin:0;padding:0'><div style='display:none;max-height:0'>プレヘッダー</div>"
        "<table width='100%' cellpadding='0' cellspacing='0' border='0'><tr><td align='center'>"
        "<table width='600' style='border-collapse:collapse'>"
    )
    tail = (
        "<tr><td style='font-size:11px;color:#999'>配信停止は<a href='https://example.jp/unsub?"
        "u=123'>こちら</a> &copy; 2026 Example Co.</td></tr></table></td></tr></table>"
        "<img src='https://t.example.jp/open.gif?u=123' width='1' height='1' alt=''></body></html>"
    )
    parts = [head]
    size = len(head) + len(tail)
    item = 0
    while size < target_bytes:
        item += 1
        track = f"https://click.example.jp/ls/click?upn=u001.{'Xy9_kLmN2pQ' * 8}{item}&amp;u=123"
        cell = (
            "padding:12px 24px;font-family:'Hiragino Kaku Gothic ProN',Meiryo,sans-serif;"
            "font-size:14px;line-height:1.6;color:#333333;mso-line-height-rule:exactly"
        )
        block = (
            f"<tr><td style=\"{cell}\"><h2 style='margin:0 0 8px;font-size:18px;color:#1a1a1a'>"
            f"第{item}号の特集&nbsp;記事</h2><p style='margin:0 0 12px'>市民の皆さまへ、"
            f"今月の<strong>イベント情報</strong>をお届けします。会場の混雑が予想されますので、"
            f"公共交通機関をご利用のうえお越しください。詳しくは&nbsp;<a href='{track}' "
            f"style='color:#0066cc;text-decoration:underline' target='_blank'>特設ページ</a>"
            f"をご覧ください。ご不明な点は市民課までお問い合わせください。</p>"
            f"<table width='100%' cellpadding='0' cellspacing='0' border='0' role='presentation'>"
            f"<tr><td width='50%' valign='top'><a href='{track}&amp;img=1' target='_blank'>"
            f"<img src='https://img.example.jp/newsletter/2026/11/{item}.jpg' width='260' "
            f"height='140' alt='イベント写真{item}' style='display:block;border:0;outline:none'>"
            f"</a></td><td width='50%' valign='top' style=\"{cell}\"><ul style='margin:0'>"
            f"<li>日時: 11月{item % 28 + 1}日 10:00〜16:00</li><li>会場: 市民ホール 大会議室</li>"
            f"<li>費用: 無料（事前申込制）</li></ul></td></tr></table>"
            f"<a href='{track}&amp;btn=1' class='btn' style='background:#0066cc;"
            f"display:inline-block;padding:8px 16px;border-radius:4px;color:#ffffff;"
            f"text-decoration:none'>申し込む</a>"
            f"</td></tr>"
        )
        parts.append(block)
        size += len(block)
    parts.append(tail)
    return "".join(parts)


# --- structure ---------------------------------------------------------------------------


def test_blocks_and_br_become_single_line_breaks_with_at_most_one_blank_line() -> None:
    out = text("<div>a</div><div>b<br>c</div><p>d</p><p></p><p></p><br><br><br><p>e</p>")
    assert out == "a\nb\nc\n\nd\n\ne"


def test_whitespace_collapses_except_in_pre_and_nbsp_is_a_space() -> None:
    out = text("<p>  many \n\t spaces&nbsp;here </p><pre>  keep   this\n    indent</pre>")
    assert out == "many spaces here\n\n  keep   this\n    indent"


def test_textarea_keeps_its_layout() -> None:
    assert text("<textarea>line1\n  line2</textarea>") == "line1\n  line2"


def test_japanese_entities_and_full_width_text_survive() -> None:
    out = text("<p>お知らせ&amp;更新&#x3042;&#12356;　全角ＡＢＣ１２３「引用」</p>")
    assert out == "お知らせ&更新あい　全角ＡＢＣ１２３「引用」"


def test_lists_get_bullets_numbers_and_nested_indentation() -> None:
    html = "<ul><li>one</li><li>two<ul><li>inner</li></ul></li></ul><ol start='3'><li>x<li>y</ol>"
    assert text(html) == "・ one\n・ two\n  ・ inner\n\n3. x\n4. y"
    assert text(html, language=Language.EN).startswith("- one\n- two\n  - inner")


def test_tables_join_cells_and_layout_tables_add_no_separator() -> None:
    html = (
        "<table><tr><th>名前</th><th>値</th></tr><tr><td>a</td><td></td><td>b</td></tr></table>"
        "<table><tr><td><table><tr><td><p>layout</p></td></tr></table></td></tr></table>"
    )
    out = text(html)
    assert out.splitlines()[:2] == ["名前 | 値", "a | b"]
    assert "layout" in out
    assert "| layout" not in out and "layout |" not in out


def test_blockquotes_are_quoted_line_by_line() -> None:
    html = "<blockquote><p>q1</p><p>q2</p><blockquote>deeper</blockquote></blockquote>after"
    assert text(html) == "> q1\n>\n> q2\n> >\n> > deeper\n\nafter"


def test_definition_lists_and_rules() -> None:
    assert text("<dl><dt>用語</dt><dd>説明</dd></dl><hr>x") == "用語\n  説明\n\n" + "-" * 40 + "\nx"


def test_ruby_text_is_kept_in_its_parentheses() -> None:
    assert text("<ruby>漢字<rp>(</rp><rt>かんじ</rt><rp>)</rp></ruby>") == "漢字(かんじ)"


def test_head_scripts_styles_comments_and_templates_are_dropped() -> None:
    html = (
        "<html><head><title>TITLE</title><style>.x{}</style><script>var a=1</script></head>"
        "<body><!-- secret --><template>tpl</template><noscript>nos</noscript>"
        "<![CDATA[cdata]]><?php echo 1 ?>visible<script>alert(2)</script></body></html>"
    )
    assert text(html) == "visible"


def test_embeds_leave_a_marker_and_a_warning() -> None:
    result = render("<p>a<iframe src='x'>fallback</iframe><object>o</object><video>v</video>")
    assert result.text == "a" + " [埋め込みコンテンツ削除]" * 3
    assert "fallback" not in result.text
    assert any("embedded" in warning for warning in result.warnings)
    assert "[embedded content removed]" in text("<embed src=x>", language=Language.EN)


def test_form_controls_show_only_button_labels() -> None:
    html = (
        "<form><input type='hidden' value='token'><input type='text' value='typed'>"
        "<select><option>choice</option></select><input type='submit' value='送信'>"
        "<button>押す</button></form>"
    )
    assert text(html) == "[送信] 押す"


def test_images_show_alt_and_tracking_pixels_vanish() -> None:
    result = render(
        "<p>a<img src='x' alt='ロゴ'>b<img src='t' width='1' height='1'>"
        "<img src='t2' style='width:1px;height:1px'><img src='y'><img src='d' alt=''></p>"
    )
    assert result.text == "a [画像: ロゴ] b [画像]"
    assert result.images == 2
    assert text("<img alt='logo'>", language=Language.EN) == "[image: logo]"


# --- links ---------------------------------------------------------------------------------


def test_link_shows_text_and_the_real_defanged_href() -> None:
    result = render("<a href='https://Example.COM/path?q=1'>お申し込み</a>")
    assert result.text == "お申し込み <hxxps://example[.]com/path?q=1>"
    assert result.links == 1


def test_link_whose_text_is_its_href_is_shown_once() -> None:
    assert text("<a href='https://example.com/'>https://example.com</a>") == (
        "hxxps://example[.]com/"
    )
    assert text("<a href='http://www.example.com/'>www.example.com</a>") == (
        "hxxp://www[.]example[.]com/"
    )


def test_link_text_that_is_its_address_is_replaced_by_the_neutral_form() -> None:
    assert text("<a href='https://example.com'>example.com</a>") == "hxxps://example[.]com"
    assert text("<p>mail <a href='mailto:a@b.example'>a@b.example</a></p>") == (
        "mail a@b[.]example"
    )


def test_phishing_link_text_shows_the_real_target_and_warns() -> None:
    result = render("<a href='http://evil.example/login'>https://www.paypal.com/signin</a>")
    assert result.text == ("hxxps://www[.]paypal[.]com/signin <hxxp://evil[.]example/login>")
    assert any("other than their target" in warning for warning in result.warnings)


def test_same_host_tracking_link_is_not_phishing() -> None:
    result = render("<a href='https://example.com/a?utm=1'>https://example.com/a</a>")
    assert "<hxxps://example[.]com/a?utm=1>" in result.text
    assert result.warnings == []


@pytest.mark.parametrize(
    "href",
    ["javascript:alert(1)", " JaVaScRiPt:alert(1)", "java&#x09;script:x", "data:text/html,x"],
)
def test_dangerous_href_is_removed_but_its_text_stays(href: str) -> None:
    assert text(f'<a href="{href}">click</a>') == "click [URL削除]"
    assert text(f'<a href="{href}">click</a>', language=Language.EN) == "click [URL removed]"


def test_link_policies_keep_and_remove() -> None:
    html = "<a href='http://Example.com/x'>site</a>"
    assert text(html, policy=UrlPolicy.KEEP) == "site <http://example.com/x>"
    assert text(html, policy=UrlPolicy.REMOVE) == "site [URL削除]"


def test_image_link_fragment_link_mailto_and_link_without_href() -> None:
    html = (
        "<a href='https://example.com/'><img src='b.png' alt='バナー'></a>"
        "<p><a href='#top'>上へ</a> <a name='x'>anchor</a> <a href='mailto:info@city.example.jp'>"
        "問い合わせ</a></p><a href='https://example.com/'><img src='p' width='1' height='1'></a>"
    )
    result = render(html)
    assert result.text == (
        "[画像: バナー] <hxxps://example[.]com/>\n\n"
        "上へ anchor 問い合わせ <info@city[.]example[.]jp>"
    )
    assert result.links == 2


def test_homograph_href_is_shown_in_punycode() -> None:
    assert text("<a href='http://аpple.com/'>Apple</a>") == "Apple <hxxp://xn--pple-43d[.]com/>"


def test_bare_urls_in_text_are_neutralised_but_hrefs_are_not_defanged_twice() -> None:
    out = text("<p>see http://example.com/a and <a href='http://b.example/'>b</a></p>")
    assert out == "see hxxp://example[.]com/a and b <hxxp://b[.]example/>"
    assert "[[.]]" not in out


def test_no_markup_survives_but_escaped_text_does() -> None:
    out = text("<p>a &lt; b</p><div><b>bold</b><i>it</i><font color=red>f</font></div>")
    assert out == "a < b\n\nbolditf"
    assert not re.search(r"<(?:b|i|font|div|p)\b", out)


def test_invisible_and_bidi_characters_are_stripped() -> None:
    assert text("<p>pay\u200bpal \u202eexe.pdf</p>") == "paypal exe.pdf"


# --- bounds --------------------------------------------------------------------------------


def test_100k_nested_divs_do_not_recurse() -> None:
    result = render("<div>" * 100_000 + "deep" + "</div>" * 100_000)
    assert result.text == "deep"
    assert any("deep" in warning for warning in result.warnings)


def test_100k_nested_quotes_indent_to_a_bounded_depth() -> None:
    result = render("<blockquote>" * 100_000 + "deep")
    assert result.text == "> " * 16 + "deep"
    assert any("deep" in warning for warning in result.warnings)


def test_node_limit_stops_with_a_warning_and_the_text_so_far() -> None:
    result = render("".join(f"<p>p{i}</p>" for i in range(1000)), max_nodes=100)
    assert result.text.startswith("p0\n\np1")
    assert "p500" not in result.text
    assert any("elements" in warning for warning in result.warnings)


def test_input_over_max_bytes_is_cut_with_a_warning() -> None:
    result = render("<p>" + "あ" * 10_000 + "</p>", max_bytes=3_000)
    assert 0 < len(result.text) <= 1_000
    assert any("cut" in warning for warning in result.warnings)


def test_a_megabyte_of_unclosed_anchors_stays_bounded() -> None:
    result = render("<a href='http://x.example/'>x" * 60_000)
    assert result.links == 60_000
    assert len(result.text) < 60_000 * 40


def test_ten_megabytes_of_one_text_node_is_cut_not_choked_on() -> None:
    result = render("<p>" + "a" * 10_000_000 + "</p>")
    assert len(result.text) <= 4 * 1024 * 1024
    assert any("cut" in warning for warning in result.warnings)


def test_a_table_of_ten_thousand_rows() -> None:
    row = "<tr>" + "".join(f"<td>c{i}</td>" for i in range(10)) + "</tr>"
    result = render("<table>" + row * 10_000 + "</table>")
    lines = result.text.split("\n")
    assert len(lines) == 10_000
    assert lines[0] == " | ".join(f"c{i}" for i in range(10))


def test_garbage_never_raises() -> None:
    for junk in ["", "<", "<<<>>>", "</p></div>", "<a href=", "\x00\x01<p\x00>", "<!--", "&#0;"]:
        assert isinstance(render(junk).text, str)


def test_newsletter_renders_readably() -> None:
    result = render(newsletter(50_000))
    assert "プレヘッダー" not in result.text
    assert "今月のお知らせ" not in result.text  # the <title>
    first = "hxxps://click[.]example[.]jp/ls/click?upn=u001." + "Xy9_kLmN2pQ" * 8 + "1&u=123"
    assert f"特設ページ <{first}>" in result.text
    assert f"[画像: イベント写真1] <{first}&img=1>" in result.text
    assert "・ 会場: 市民ホール 大会議室" in result.text
    assert "open.gif" not in result.text
    assert result.warnings == [
        "html: 1 hidden element(s) and 0 run(s) of unseen text were not shown"
    ]


_MARKUP = st.lists(
    st.sampled_from(
        [
            "<a href='javascript:x'>",
            "<a href='http://h.example/'>",
            "</a>",
            "<p>",
            "</p>",
            "<ul>",
            "<li>",
            "</ul>",
            "<table>",
            "<tr>",
            "<td>",
            "<pre>",
            "</pre>",
            "<br>",
            "<img alt='i'>",
            "<script>",
            "</script>",
            "<blockquote>",
            "<div hidden>",
            "</div>",
            "<!--",
            "-->",
            "&amp;",
            "&#0;",
            "<",
            ">",
            "text",
            "テキスト",
            "http://t.example/",
            " ",
            "\n",
        ]
    )
    | st.text(max_size=8),
    max_size=40,
)


@settings(max_examples=300, deadline=None)
@given(_MARKUP)
def test_any_markup_renders_without_markup_or_live_links(pieces: list[str]) -> None:
    result = render("".join(pieces))
    assert "<script" not in result.text.lower()
    assert "javascript:" not in result.text.lower()
    assert "http://" not in result.text
