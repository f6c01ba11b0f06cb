"""One set of invisible characters, removed the same way from bodies, headers and names."""

from __future__ import annotations

from gateway.pipeline.textclean import one_line, strip_invisible, tidy


def test_body_keeps_lines_and_tabs_drops_the_rest() -> None:
    assert strip_invisible("a\u202eb\u200bc\r\n\x00d\te\ufeff\x85") == "abc\nd\te"


def test_one_line_folds_breaks_and_tabs() -> None:
    assert one_line(" a\r\n b\tc ") == "a b c"
    assert one_line("Subject\r\nBcc: x") == "Subject Bcc: x"


def test_ideographic_space_is_text_not_white_space() -> None:
    assert one_line("【重要】\u3000お知らせ") == "【重要】\u3000お知らせ"
    assert strip_invisible("全角\u3000スペース") == "全角\u3000スペース"


def test_bidi_override_in_a_file_name() -> None:
    assert one_line("report\u202efdp.exe") == "reportfdp.exe"


def test_emoji_sequences_keep_their_joiners_and_selectors() -> None:
    for emoji in (
        "👨\u200d👩\u200d👧\u200d👦",
        "❤\ufe0f\u200d🔥",
        "🏳\ufe0f\u200d🌈",
        "👩🏽\u200d💻",
        "1\ufe0f\u20e3",
    ):
        assert strip_invisible(f"a {emoji} b") == f"a {emoji} b"
        assert one_line(f"a {emoji}") == f"a {emoji}"


def test_a_joiner_between_letters_or_at_an_edge_goes() -> None:
    assert strip_invisible("exa\u200dmple.com \u200d👍 👍\u200d x\u200d") == "example.com 👍 👍 x"
    assert one_line("pay\u200dpal.com") == "paypal.com"


def test_signature_delimiter_keeps_its_space() -> None:
    assert tidy("body\n-- \nname \n--\n-- x") == "body\n-- \nname\n--\n-- x"
