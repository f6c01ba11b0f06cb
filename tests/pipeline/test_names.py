"""Padded file names: collapsed for display and flagged, whatever blanks pad them."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from gateway.pipeline.headers import safe_filename
from gateway.pipeline.names import PADDING_MARK, collapse_padding, was_padded
from gateway.pipeline.parts import describe_removed

BLANKS = " \u3000\u00a0\u2002\u2003\u2007\u2009\u202f\u205f\u2800\u3164\uffa0"


@given(
    st.text(alphabet=st.sampled_from("請求書abc_-1"), min_size=1, max_size=20),
    st.text(alphabet=st.sampled_from(BLANKS), min_size=3, max_size=60),
    st.sampled_from(["exe", "scr", "js", "lnk"]),
)
def test_any_blank_run_before_a_second_extension_is_collapsed_and_flagged(
    stem: str, blanks: str, ext: str
) -> None:
    name = f"{stem}.pdf{blanks}.{ext}"
    shown = safe_filename(name)
    assert shown.endswith(f".pdf{PADDING_MARK}.{ext}") and was_padded(shown)
    part = describe_removed(b"MZ", filename=shown, declared_type="", reason="attachment")
    assert "padded-name" in part.flags and part.filename == shown


def test_two_blanks_before_the_extension_count_and_ordinary_names_do_not() -> None:
    assert collapse_padding("a.pdf\u3000\u3000.exe") == f"a.pdf{PADDING_MARK}.exe"
    for name in ("議事録 第3回.docx", "a  b.txt", "【重要】\u3000お知らせ.pdf", "x.pdf .exe"):
        assert collapse_padding(name) == name
    part = describe_removed(b"x", filename="report.pdf", declared_type="", reason="a")
    assert "padded-name" not in part.flags
