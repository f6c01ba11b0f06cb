"""URLs shown but not followable: dangerous schemes gone, hosts honest, text scanned linearly."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.pipeline.urls import MAX_URL_CHARS, neutralize_url, neutralize_urls_in_text
from gateway.types import Language, UrlPolicy

DEFANG, KEEP, REMOVE = UrlPolicy.DEFANG, UrlPolicy.KEEP, UrlPolicy.REMOVE


def in_text(text: str, policy: UrlPolicy = DEFANG, language: Language = Language.JA) -> str:
    return neutralize_urls_in_text(text, policy, language)


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "JaVaScRiPt:alert(1)",
        "  javascript:alert(1)",
        "\x01\x02javascript:alert(1)",
        "java\tscript:alert(1)",
        "java\nscript:alert(1)",
        "java\u200bscript:alert(1)",
        "jav&#x61;script:alert(1)",
        "&#106;avascript:alert(1)",
        "javascript&colon;alert(1)",
        "vbscript:msgbox(1)",
        "data:text/html;base64,PHNjcmlwdD4=",
        "file:///C:/Windows/system32/calc.exe",
        "cid:image001.png@01D9",
        "ms-msdt:/id PCWDiagnostic",
        "/relative/path",
        "index.html",
        "example.com:8080/x",
        "",
    ],
)
@pytest.mark.parametrize("policy", [DEFANG, KEEP])
def test_non_web_schemes_are_always_removed(url: str, policy: UrlPolicy) -> None:
    assert neutralize_url(url, policy) is None


def test_remove_policy_removes_every_url() -> None:
    assert neutralize_url("https://example.com/", REMOVE) is None
    assert neutralize_url("mailto:a@example.com", REMOVE) is None


@pytest.mark.parametrize(
    ("url", "defanged", "kept"),
    [
        (
            "http://Example.COM/Path?Q=1#F",
            "hxxp://example[.]com/Path?Q=1#F",
            "http://example.com/Path?Q=1#F",
        ),
        (
            "HTTPS://www.city.example.lg.jp/",
            "hxxps://www[.]city[.]example[.]lg[.]jp/",
            "https://www.city.example.lg.jp/",
        ),
        (
            "ftp://files.example.org/a.zip",
            "fxp://files[.]example[.]org/a.zip",
            "ftp://files.example.org/a.zip",
        ),
        ("www.example.com/x", "www[.]example[.]com/x", "www.example.com/x"),
        ("WWW.Example.COM:8080/X", "www[.]example[.]com:8080/X", "www.example.com:8080/X"),
        ("//cdn.example.net/x", "hxxp://cdn[.]example[.]net/x", "http://cdn.example.net/x"),
        ("http:\\\\evil.example\\x", "hxxp://evil[.]example/x", "http://evil.example/x"),
        (
            "http://example.com:8080/a b",
            "hxxp://example[.]com:8080/a%20b",
            "http://example.com:8080/a%20b",
        ),
        ("http://[2001:db8::1]/", "hxxp://[2001:db8::1]/", "http://[2001:db8::1]/"),
    ],
)
def test_web_urls_defanged_or_kept_normalised(url: str, defanged: str, kept: str) -> None:
    assert neutralize_url(url, DEFANG) == defanged
    assert neutralize_url(url, KEEP) == kept


def test_userinfo_cannot_pose_as_the_host() -> None:
    shown = neutralize_url("http://paypal.com@evil.example/login", DEFANG)
    assert shown == "hxxp://evil[.]example/login (user: paypal[.]com)"
    assert neutralize_url("http://paypal.com@evil.example/", KEEP) == (
        "http://paypal.com@evil.example/"
    )


def test_cyrillic_homograph_is_shown_in_punycode() -> None:
    assert neutralize_url("http://аpple.com/", KEEP) == "http://xn--pple-43d.com/"
    assert neutralize_url("http://аpple.com/", DEFANG) == "hxxp://xn--pple-43d[.]com/"


def test_japanese_and_full_width_hosts() -> None:
    assert neutralize_url("http://例え.テスト/パス", KEEP) == "http://xn--r8jz45g.xn--zckzah/パス"
    # UTS 46 maps full-width letters and the ideographic full stop to ASCII
    assert neutralize_url("http://ｅｘａｍｐｌｅ。com/", KEEP) == "http://example.com/"


def test_hosts_idna_refuses_still_end_up_ascii() -> None:
    shown = neutralize_url("http://a_b.例え.com/", KEEP)
    assert shown == "http://a_b.xn--r8jz45g.com/"
    emoji = neutralize_url("http://😀.example/", KEEP)
    assert emoji is not None and emoji.isascii() and "xn--" in emoji


def test_urls_nested_in_the_query_are_defanged_too() -> None:
    shown = neutralize_url("https://t.example/r?next=https://real.example/&b=HTTP://x", DEFANG)
    assert shown == "hxxps://t[.]example/r?next=hxxps://real.example/&b=hxxp://x"
    assert neutralize_url("https://t.example/?u=https://r.example/", KEEP) == (
        "https://t.example/?u=https://r.example/"
    )


def test_percent_encoded_host_is_decoded_before_display() -> None:
    assert neutralize_url("http://evil%2Eexample/", DEFANG) == "hxxp://evil[.]example/"


def test_invisible_and_bidi_characters_are_stripped() -> None:
    assert neutralize_url("http://exa\u200bmple.com/\u202egnp.exe", KEEP) == (
        "http://example.com/gnp.exe"
    )


def test_length_is_capped_with_a_marker() -> None:
    shown = neutralize_url("http://example.com/" + "a" * 10_000, KEEP)
    assert shown is not None and len(shown) == MAX_URL_CHARS and shown.endswith("…")


def test_a_huge_crafted_unicode_host_is_cut_to_dns_limits_before_punycode() -> None:
    host = "".join(chr(0x4E00 + i) for i in range(7_900))
    shown = neutralize_url(f"http://{host}/", KEEP)
    assert shown is not None and shown.isascii() and shown.startswith("http://xn--")
    assert len(shown) < 400


def test_mailto_shows_the_address_only() -> None:
    url = "mailto:info@city.example.jp?subject=%E4%BB%B6&body=x"
    assert neutralize_url(url, DEFANG) == "info@city[.]example[.]jp"
    assert neutralize_url(url, KEEP) == "info@city.example.jp"
    assert neutralize_url("mailto:a@x.example,b@y.example", KEEP) == "a@x.example, b@y.example"
    assert neutralize_url("mailto:", KEEP) is None
    assert neutralize_url("mailto:%E2%80%AEfdp.exe@x.example", KEEP) == "fdp.exe@x.example"


# --- in text -------------------------------------------------------------------------------


def test_text_urls_of_each_kind_are_rewritten() -> None:
    text = (
        "see http://a.example/x, https://b.example. ftp://c.example/f www.d.example "
        "mailto:e@f.example"
    )
    assert in_text(text) == (
        "see hxxp://a[.]example/x, hxxps://b[.]example. fxp://c[.]example/f www[.]d[.]example "
        "e@f[.]example"
    )


def test_dangerous_urls_in_text_become_a_placeholder_per_language() -> None:
    text = "click javascript:alert(1) or data:text/html,<b> or file:///etc/passwd"
    assert in_text(text) == "click [URL削除] or [URL削除],<b> or [URL削除]"
    assert in_text("javascript:x()", language=Language.EN) == "[URL removed]"
    assert in_text("http://a.example/", REMOVE) == "[URL削除]"


def test_prose_that_only_looks_like_a_scheme_is_left_alone() -> None:
    text = "Input data: see below. JavaScript: a language. 時刻 10:00 www"
    assert in_text(text) is text


def test_parentheses_and_sentence_punctuation_stay_outside() -> None:
    assert in_text("(see https://x.example/a_(b)).") == "(see hxxps://x[.]example/a_(b))."
    assert in_text("URL: http://x.example/?q=1!") == "URL: hxxp://x[.]example/?q=1!"


def test_url_running_into_japanese_text_ends_where_the_kana_begin() -> None:
    assert in_text("詳細はhttp://example.comをご覧ください。") == (
        "詳細はhxxp://example[.]comをご覧ください。"
    )
    assert in_text("案内（https://example.jp/a）参照") == "案内（hxxps://example[.]jp/a）参照"


def test_homograph_in_text_is_punycoded() -> None:
    assert in_text("login at http://аpple.com now") == "login at hxxp://xn--pple-43d[.]com now"


def test_already_defanged_text_is_not_defanged_again() -> None:
    text = "hxxp://example[.]com and www[.]example[.]com"
    assert in_text(text) == text


def test_text_without_urls_is_returned_as_is() -> None:
    text = "市民の皆さまへ、今月のイベント情報をお届けします。" * 100
    assert in_text(text) is text


def test_pathological_text_stays_bounded() -> None:
    repeated = in_text("http://" * 150_000)
    assert len(repeated) <= MAX_URL_CHARS
    no_urls = "a" * 10_000_000
    assert in_text(no_urls) is no_urls
    colons = "x:" * 500_000
    assert in_text(colons) == colons
    hosts = in_text("www." * 250_000)
    assert len(hosts) <= MAX_URL_CHARS + 1
    closers = "http://x.example/" + ")" * 100_000
    assert in_text(closers) == "hxxp://x[.]example/" + ")" * 100_000


_SCHEMES = st.sampled_from(["http://", "https://", "HTTP://", "ftp://", "javascript:", "data:", ""])


@settings(max_examples=300, deadline=None)
@given(scheme=_SCHEMES, rest=st.text(max_size=80))
def test_any_url_gives_none_or_an_ascii_host_without_a_live_scheme(scheme: str, rest: str) -> None:
    for policy in (DEFANG, KEEP):
        shown = neutralize_url(scheme + rest, policy)
        if shown is None:
            continue
        assert len(shown) <= 2 * MAX_URL_CHARS + 16
        lowered = shown.lower()
        assert not lowered.startswith(("javascript:", "data:", "vbscript:", "file:"))
        if policy is DEFANG:
            assert not lowered.startswith(("http:", "https:", "ftp:"))
        if "://" in shown:
            url = shown.split(" (user: ", 1)[0]
            authority = url.split("://", 1)[1].split("/", 1)[0].split("?", 1)[0].split("#", 1)[0]
            assert authority.rpartition("@")[2].isascii()


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_text_scanning_is_total_and_leaves_no_live_http_scheme(text: str) -> None:
    out = in_text(text)
    assert "http://" not in out.lower().replace("hxxp://", "")


def test_percent_encoded_inner_url_never_comes_alive_on_a_second_pass() -> None:
    href = "http://www.example.net/r?u=http%3A%2F%2Fwww.cnn.com%2F&v=http%3A%2F%2Fevil.org%2F"
    once = neutralize_url(href, UrlPolicy.DEFANG)
    assert once is not None
    twice = neutralize_urls_in_text(once, UrlPolicy.DEFANG, Language.JA)
    assert "http://" not in twice and "http:" not in twice.replace("http%3A", "")
    assert neutralize_urls_in_text(twice, UrlPolicy.DEFANG, Language.JA) == twice


# --- hosts without a scheme ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "defanged"),
    [
        ("split-evil.example.com/path", "split-evil[.]example[.]com/path"),
        ("see evil.example.com.", "see evil[.]example[.]com."),
        ("詳細はexample.co.jpをご覧ください", "詳細はexample[.]co[.]jpをご覧ください"),
        ("(login.example.net:8443/x)", "(login[.]example[.]net:8443/x)"),
        ("mail a.b@city.example.lg.jp", "mail a.b@city[.]example[.]lg[.]jp"),
        ("invoice.zip is a domain", "invoice[.]zip is a domain"),
        ("xn--r8jz45g.example", "xn--r8jz45g[.]example"),
        ("EXAMPLE.COM/Path", "EXAMPLE[.]COM/Path"),
    ],
)
def test_bare_hosts_are_defanged(text: str, defanged: str) -> None:
    assert in_text(text) == defanged


@pytest.mark.parametrize(
    "text",
    [
        "添付の report.pdf と 議事録.docx をご確認ください",
        "version 1.2.3 and v2.0, e.g. i.e. etc.",
        "setup.exe, index.html, data.csv, app.js",
        "3.14 and 10.5%",
        "already hxxps://example[.]com/ and www[.]example[.]org",
        "U.S.A. and a.m.",
    ],
)
def test_file_names_versions_and_defanged_text_read_as_written(text: str) -> None:
    assert in_text(text) == text


def test_bare_hosts_under_the_other_policies() -> None:
    assert in_text("evil.example.com/path and evil.example.com", REMOVE, Language.EN) == (
        "[URL removed] and evil[.]example[.]com"
    )
    assert in_text("evil.example.com/path", KEEP) == "evil.example.com/path"


def test_bare_host_scan_is_linear_on_hostile_text() -> None:
    dots = "a." * 500_000
    assert in_text(dots) == dots
    letters = "a" * 1_000_000 + ".com"
    assert in_text(letters) == letters  # a 1M-character label is no DNS label
    words = "word " * 200_000
    assert in_text(words) is words or in_text(words) == words


_LABELS = st.lists(st.from_regex(r"[a-z][a-z0-9]{0,6}", fullmatch=True), min_size=1, max_size=3)
_TLD = st.sampled_from(["com", "jp", "net", "org", "zip", "info", "co.jp"])
_JOINERS = st.sampled_from(["", "<b></b>", "<span></span>", "<!-- x -->", "\u200b", "<i></i>"])


@settings(max_examples=300, deadline=None)
@given(
    labels=_LABELS,
    tld=_TLD,
    joiner=_JOINERS,
    dot=st.sampled_from([".", "&#46;", "&period;", "&#x2E;"]),
    scheme=st.sampled_from(["", "http://", "https://", "htt<b></b>p://", "HTTP://"]),
    path=st.sampled_from(["", "/", "/path?x=1", "/a.b"]),
    before=st.sampled_from(["", "see ", "詳細は", "("]),
    after=st.sampled_from(["", " now", "をご覧", ")", "."]),
)
def test_a_host_assembled_any_way_in_html_is_never_live(
    labels: list[str], tld: str, joiner: str, dot: str, scheme: str, path: str, before: str,
    after: str,
) -> None:
    from gateway.pipeline.html_text import html_to_text

    host_pieces = [*labels, *tld.split(".")]
    written = (joiner + dot + joiner).join(host_pieces)
    html = f"<p>{before}{scheme}{written}{path}{after}</p>"
    out = html_to_text(html, url_policy=DEFANG, language=Language.JA, max_nodes=1000).text
    host = ".".join(host_pieces)
    assert host not in out.lower(), (html, out)
    assert "http://" not in out.lower() and "https://" not in out.lower()
    assert host.replace(".", "[.]") in out.lower()
