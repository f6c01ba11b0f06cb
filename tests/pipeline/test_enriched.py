"""text/enriched (RFC 1896) and text/richtext (RFC 1341) read as plain text."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from gateway.pipeline.enriched import RICHTEXT, enriched_to_text


def test_rfc1896_line_breaks_and_commands() -> None:
    # One break is a space, n breaks are n - 1 line breaks (RFC 1896 §3).
    text = "<bold>Now</bold> is\r\nthe time\r\n\r\nfor <italic>all</italic>\r\n\r\n\r\ngood"
    assert enriched_to_text(text) == "Now is the time\nfor all\n\ngood"


def test_param_contents_are_not_text_and_double_angle_is_a_literal() -> None:
    text = "<color><param>red</param>Warning</color> a <<b> c <fontfamily><param>Times</param>x"
    assert enriched_to_text(text) == "Warning a <b> c x"


def test_nofill_keeps_its_lines() -> None:
    text = "intro\r\n<nofill>a  b\r\nc\r\n</nofill>end"
    assert enriched_to_text(text) == "intro a  b\nc\nend"


def test_unknown_commands_vanish_and_stray_angles_stay() -> None:
    assert enriched_to_text("<x-custom>hi</x-custom> 3 < 4 <not a command>") == (
        "hi 3 < 4 <not a command>"
    )


def test_richtext_commands() -> None:
    text = "<bold>Hello</bold><nl>a <lt> b\r\nc<comment>hidden</comment><np>next"
    assert enriched_to_text(text, RICHTEXT) == "Hello\na < b c\n\nnext"


@given(st.text(alphabet=st.sampled_from("<>/abc param nofill\r\n字"), max_size=200))
def test_any_input_converts_without_markup_commands_left(text: str) -> None:
    out = enriched_to_text(text)
    assert "<param>" not in out.lower() and "<nofill>" not in out.lower()
