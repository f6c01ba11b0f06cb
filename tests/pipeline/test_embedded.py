"""Embedded files cut from text bodies: encoders written here, so every test is a round trip."""

from __future__ import annotations

import base64
import binascii
import email
import os
import re
import zlib
from email import policy
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.pipeline.embedded import extract_embedded

CORPUS = Path(__file__).resolve().parents[2] / ".." / "shared" / "corpus"
BINARY = bytes(range(256)) * 4 + os.urandom(3000) + b"\x90\x90\x00=\r\n."


def uuencode(name: str, data: bytes, *, end: bool = True) -> str:
    lines = [f"begin 644 {name}"]
    lines += [
        binascii.b2a_uu(data[i : i + 45]).decode().rstrip("\n") for i in range(0, len(data), 45)
    ]
    lines += ["`", "end"] if end else []
    return "\n".join(lines) + "\n"


def yencode(name: str, data: bytes, *, part: tuple[int, int] | None = None) -> str:
    out, line = [], bytearray()
    for byte in data:
        value = (byte + 42) % 256
        if value in (0, 10, 13, 61):
            line += b"=" + bytes(((value + 64) % 256,))
        else:
            line.append(value)
        if len(line) >= 128:
            out.append(line.decode("latin-1"))
            line = bytearray()
    if line:
        out.append(line.decode("latin-1"))
    head = f"=ybegin line=128 size={len(data)} name={name}"
    if part is not None:
        head = (
            f"=ybegin part=1 line=128 size=99999 name={name}\n=ypart begin={part[0]} end={part[1]}"
        )
    crc = zlib.crc32(data)
    return "\n".join([head, *out, f"=yend size={len(data)} pcrc32={crc:08x}"]) + "\n"


def _rle90(data: bytes) -> bytes:
    out, i = bytearray(), 0
    while i < len(data):
        run = 1
        while i + run < len(data) and data[i + run] == data[i] and run < 255:
            run += 1
        if data[i] == 0x90:
            out += b"\x90\x00"
            run = 1
        elif run >= 3:
            out += bytes((data[i], 0x90, run))
        else:
            out += data[i : i + run]
        i += run
    return bytes(out)


def binhex(name: str, data: bytes) -> str:
    """BinHex 4.0 as Mac tools wrote it (binascii lost its hqx helpers in Python 3.11)."""
    raw_name = name.encode("mac_roman")
    header = bytes((len(raw_name),)) + raw_name + b"\x00TEXTttxt\x00\x00"
    header += len(data).to_bytes(4, "big") + (0).to_bytes(4, "big")
    stream = header + binascii.crc_hqx(header, 0).to_bytes(2, "big")
    stream += data + binascii.crc_hqx(data, 0).to_bytes(2, "big") + b"\x00\x00"
    coded = base64.b64encode(_rle90(stream)).decode().rstrip("=")
    table = str.maketrans(
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/",
        "!\"#$%&'()*+,-012345689@ABCDEFGHIJKLMNPQRSTUVXYZ[`abcdefhijklmpqr",
    )
    body = ":" + coded.translate(table) + ":"
    lines = [body[i : i + 64] for i in range(0, len(body), 64)]
    return "(This file must be converted with BinHex 4.0)\n\n" + "\n".join(lines) + "\n"


def test_plain_text_takes_the_fast_path() -> None:
    text = "こんにちは。\nTo begin with, the meeting is at 10:00.\n" * 50
    out, found = extract_embedded(text)
    assert out is text  # the fast path returns the very same object, nothing was rebuilt
    assert found == []


def test_uuencode_round_trip_keeps_the_surrounding_text() -> None:
    text = "Hello,\n\n" + uuencode("report.pdf", BINARY) + "\nRegards\n"
    out, found = extract_embedded(text)
    assert out == "Hello,\n\n\x00EMBEDDED:0\x00\n\nRegards\n"
    assert [(f.filename, f.kind, f.payload) for f in found] == [("report.pdf", "uuencode", BINARY)]


def test_uuencode_without_end_and_with_damaged_lines() -> None:
    block = uuencode("a.bin", BINARY[:450], end=False).splitlines()
    block[3] = "M" + "!" * 5  # cut short: decoded zero-filled, so later offsets stay right
    block[5] = block[5] + "XYZW"  # padding past the length byte: decoded up to that length
    out, found = extract_embedded("\n".join(block) + "\n")
    assert out == "\x00EMBEDDED:0\x00\n"
    assert found[0].filename == "a.bin"
    payload = found[0].payload
    assert len(payload) == 450
    assert payload[:90] == BINARY[:90]
    assert payload[135:] == BINARY[135:450]


def test_uuencode_header_in_prose_is_left_alone() -> None:
    text = "begin 644 is the mode, as in\nbegin 644 notes.txt\nwhich is not followed by data.\n"
    assert extract_embedded(text) == (text, [])


def test_two_blocks_get_their_own_placeholders() -> None:
    text = uuencode("one.gif", b"GIF89a" * 20) + "between\n" + uuencode("two.exe", b"MZ" * 40)
    out, found = extract_embedded(text)
    assert out == "\x00EMBEDDED:0\x00\nbetween\n\x00EMBEDDED:1\x00\n"
    assert [f.filename for f in found] == ["one.gif", "two.exe"]
    assert found[1].payload == b"MZ" * 40


def test_yenc_round_trip_latin1_and_surrogateescape() -> None:
    encoded = yencode("photo.jpg", BINARY)
    for text in (encoded, encoded.encode("latin-1").decode("utf-8", "surrogateescape")):
        out, found = extract_embedded("Here:\n" + text + "bye\n")
        assert out == "Here:\n\x00EMBEDDED:0\x00\nbye\n"
        assert (found[0].filename, found[0].kind) == ("photo.jpg", "yenc")
        assert found[0].payload == BINARY


def test_yenc_in_a_body_a_detector_decoded_as_cp1252() -> None:
    holes = {0x81, 0x8D, 0x8F, 0x90, 0x9D}  # bytes cp1252 leaves undefined
    data = bytes(b for b in range(256) if (b + 42) % 256 not in holes) * 3
    text = yencode("a.bin", data).encode("latin-1").decode("cp1252")
    assert "€" in text
    _, found = extract_embedded(text)
    assert found[0].payload == data


def test_yenc_multipart_parts_decode_to_their_slices() -> None:
    half = len(BINARY) // 2
    text = yencode("big.bin", BINARY[:half], part=(1, half))
    text += yencode("big.bin", BINARY[half:], part=(half + 1, len(BINARY)))
    out, found = extract_embedded(text)
    assert out == "\x00EMBEDDED:0\x00\n\x00EMBEDDED:1\x00\n"
    assert b"".join(f.payload for f in found) == BINARY


def test_yenc_without_yend_runs_to_the_end() -> None:
    text = yencode("x.bin", BINARY[:300]).rsplit("=yend", 1)[0]
    out, found = extract_embedded("start\n" + text)
    assert out == "start\n\x00EMBEDDED:0\x00\n"
    assert found[0].payload == BINARY[:300]


def test_binhex_round_trip_with_runs_and_escapes() -> None:
    data = b"A" * 300 + b"\x90" * 5 + BINARY[:500]
    out, found = extract_embedded("See below.\n" + binhex("Budget.xls", data) + "-- \nsig\n")
    assert out == "See below.\n\x00EMBEDDED:0\x00\n-- \nsig\n"
    assert (found[0].filename, found[0].kind, found[0].payload) == ("Budget.xls", "binhex", data)


def test_binhex_without_closing_colon_keeps_the_raw_block() -> None:
    text = "(This file must be converted with BinHex 4.0)\n:abc" + "d" * 100 + "\n"
    out, found = extract_embedded(text)
    assert out == "\x00EMBEDDED:0\x00\n"
    assert found[0].kind == "binhex"
    assert found[0].payload.startswith(b":abc")


def test_bare_base64_run_is_cut_completely() -> None:
    data = os.urandom(1500)
    lines = base64.encodebytes(data).decode()
    text = "The attachment broke:\n" + lines + "Thanks\n"
    out, found = extract_embedded(text)
    assert out == "The attachment broke:\n\x00EMBEDDED:0\x00\nThanks\n"
    assert (found[0].filename, found[0].kind, found[0].payload) == ("", "base64", data)
    assert not re.search(r"^[A-Za-z0-9+/]{20,}", out, re.M)


def test_short_base64_runs_stay() -> None:
    text = "key:\n" + base64.encodebytes(os.urandom(150)).decode()  # 3 lines
    assert extract_embedded(text) == (text, [])


def test_indented_base64_run_is_cut() -> None:
    data = os.urandom(250)  # 5 lines, indented like a DKIM signature in bounced headers
    lines = base64.encodebytes(data).decode().splitlines()
    text = "DKIM-Signature: v=1;\n" + "".join(f"        {line}\n" for line in lines) + "end\n"
    out, found = extract_embedded(text)
    assert out == "DKIM-Signature: v=1;\n\x00EMBEDDED:0\x00\nend\n"
    assert found[0].payload == data


def test_digit_rulers_are_not_base64() -> None:
    text = "".join("1" * 79 + "\n" for _ in range(6))
    assert extract_embedded(text) == (text, [])


def test_begin_base64_variant() -> None:
    data = os.urandom(200)
    text = "begin-base64 644 key.bin\n" + base64.encodebytes(data).decode() + "====\nok\n"
    out, found = extract_embedded(text)
    assert out == "\x00EMBEDDED:0\x00\nok\n"
    assert (found[0].filename, found[0].payload) == ("key.bin", data)


def test_names_are_made_one_line_and_visible() -> None:
    _, found = extract_embedded(uuencode("\u202efdp.exe\t", b"x" * 10))
    assert found[0].filename == "fdp.exe"


def test_hostile_bodies_are_bounded() -> None:
    prose = ("begin 644 \n" + "=ybegin\n" + "BinHex\n" + "A" * 70 + "\n") * 50_000
    assert extract_embedded(prose) == (prose, [])
    long_line = "A" * 5_000_000 + "\n"
    assert extract_embedded(long_line * 3) == (long_line * 3, [])
    open_ended = "text\n=ybegin line=128 size=9 name=x\n" + "k" * 3_000_000
    out, found = extract_embedded(open_ended)
    assert out == "text\n\x00EMBEDDED:0\x00\n"
    assert len(found[0].payload) == 3_000_000


@pytest.mark.corpus
@pytest.mark.parametrize(
    ("path", "names"),
    [
        ("mime-tools-testmsgs-via-mime4j/uu-zeegee.msg", ["up.gif", "zeegee.gif"]),
        ("mime-tools-testmsgs-via-mime4j/sig-uu.msg", [".signature", ""]),
        ("jstedfast-mimekit/yenc__00000020.ntx", ["joystick.jpg"]),
        ("jstedfast-mimekit/yenc__00000021.ntx", ["joystick.jpg"]),
        ("jstedfast-mimekit/yenc__simple.msg", ["testfile.txt"]),
    ],
)
def test_corpus_embedded_files(path: str, names: list[str]) -> None:
    source = CORPUS / path
    if not source.is_file():
        pytest.skip(f"corpus not found at {CORPUS} (../shared/corpus from the repo root)")
    message = email.message_from_bytes(source.read_bytes(), policy=policy.compat32)
    body = message.get_payload(decode=True)
    assert isinstance(body, bytes)
    text = body.decode("latin-1")
    out, found = extract_embedded(text)
    assert [f.filename for f in found] == names
    assert out.count("\x00EMBEDDED:") == len(names)
    for item, crc in zip(
        found, re.findall(r"^=yend .*?crc32=([0-9a-f]{8})", text, re.M), strict=False
    ):
        assert f"{zlib.crc32(item.payload):08x}" == crc
    if path.endswith(".msg") and "uu" in path:
        assert found[-1].payload.startswith(b"GIF8")


_PIECES = ["begin 644 a.b\n", "M" + "A" * 60 + "\n", "`\n", "end\n", "=ybegin name=x\n", "=ypart ",
           "=yend\n", "(This file must be converted with BinHex 4.0)\n", ":", "A" * 64 + "\n",
           "====\n", "begin-base64 644 k\n", "\n", "テキスト", "\udcff", "="]  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_PIECES) | st.text(max_size=20), max_size=40))
def test_any_text_is_handled(pieces: list[str]) -> None:
    text = "".join(pieces)
    out, found = extract_embedded(text)
    assert len(re.findall("\x00EMBEDDED:\\d+\x00", out)) == len(found)
    if not found:
        assert out == text


def test_base64_run_cut_short_at_the_end_of_the_text() -> None:
    lines = base64.encodebytes(os.urandom(216)).decode().splitlines()  # 4 lines, no last newline
    out, found = extract_embedded("see:\n" + "\n".join(lines))
    assert out == "see:\n\x00EMBEDDED:0\x00\n" and len(found) == 1


# --- one long base64 line; uuencode with short lines ------------------------------------------


def test_a_single_long_base64_line_is_cut_out() -> None:
    data = bytes(range(256)) * 8
    text = "see:\n  " + base64.b64encode(data).decode() + "\nthanks\n"
    out, found = extract_embedded(text)
    assert out == "see:\n\x00EMBEDDED:0\x00\nthanks\n" and found[0].payload == data


def test_long_lines_that_are_not_base64_stay() -> None:
    for line in ("a" * 2000, "x1" * 1000, "word " * 400, "https://example.com/" + "a1B" * 400):
        assert extract_embedded(f"head\n{line}\ntail\n")[1] == []


@pytest.mark.parametrize("width", [3, 15, 30, 40, 45])
def test_uuencode_with_any_line_length(width: int) -> None:
    data = bytes(range(200))
    lines = "".join(binascii.b2a_uu(data[i : i + width]).decode() for i in range(0, 200, width))
    out, found = extract_embedded(f"hi\nbegin 644 f.bin\n{lines}`\nend\nbye\n")
    assert out == "hi\n\x00EMBEDDED:0\x00\nbye\n" and found[0].payload == data
