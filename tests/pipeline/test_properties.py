"""Random and mutated MIME never raises out of the sanitizer and always keeps the shape."""

from __future__ import annotations

import base64
import quopri
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gateway.config import SanitizeSettings
from gateway.pipeline import sanitize
from tests.shape import shape_problems

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus"
SETTINGS = SanitizeSettings()
FAST = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True
)

CONTENT_TYPES = [
    "text/plain",
    "text/html",
    "text/calendar",
    "application/pdf",
    "application/octet-stream",
    "image/png",
    "application/ms-tnef",
    "application/pkcs7-signature",
    "message/rfc822",
    "application/pkcs7-mime",
    "text/x-unknown",
    "multipart/mixed",
    "bogus",
]
CHARSETS = ["utf-8", "iso-2022-jp", "shift_jis", "euc-jp", "utf-7", "x-unknown", "", "us-ascii"]
ENCODINGS = ["7bit", "8bit", "base64", "quoted-printable", "x-uuencode", "bogus", ""]
# Markup and URLs that only appear once HTML has become text.
HOSTILE_HTML = [
    "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>",
    "<p>htt<b></b>p://evil.example/x and java<span></span>script:alert(1)</p>",
    "<a href='http://real.example/'>javascript:alert(1)</a><img alt='<iframe src=x>'>",
    "<button value='<svg onload=x>'>go</button><p>www<i></i>.evil.example</p>",
]
TEXT = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=300)


def encode(payload: bytes, cte: str) -> bytes:
    if cte == "base64":
        return base64.encodebytes(payload)
    if cte == "quoted-printable":
        return quopri.encodestring(payload)
    return payload


@st.composite
def leaf(draw: st.DrawFn) -> bytes:
    ctype = draw(st.sampled_from(CONTENT_TYPES))
    charset = draw(st.sampled_from(CHARSETS))
    cte = draw(st.sampled_from(ENCODINGS))
    if ctype == "text/html" and draw(st.booleans()):
        payload = draw(st.sampled_from(HOSTILE_HTML)).encode()
    elif draw(st.booleans()):
        codec = charset if charset in ("utf-8", "shift_jis", "euc-jp", "us-ascii") else "utf-8"
        payload = draw(TEXT).encode(codec, "replace")
    else:
        payload = draw(st.binary(max_size=300))
    name = draw(
        st.sampled_from(
            [
                "",
                "a.pdf",
                "=?utf-8?b?5pel5pys?=.exe",
                "x\u202etxt.exe",
                "javascript:x().pdf",
                "www.evil.example.com <script>.zip",
                "http://evil.example/a.exe",
            ]
        )
    )
    head = f"Content-Type: {ctype}" + (f"; charset={charset}" if charset else "")
    if name:
        head += f'\r\nContent-Disposition: attachment; filename="{name}"'
    if cte:
        head += f"\r\nContent-Transfer-Encoding: {cte}"
    return head.encode("utf-8", "surrogateescape") + b"\r\n\r\n" + encode(payload, cte)


def multipart(children: list[bytes], subtype: str, boundary: str, close: bool) -> bytes:
    parts = b"".join(b"--" + boundary.encode() + b"\r\n" + c + b"\r\n" for c in children)
    end = (b"--" + boundary.encode() + b"--\r\n") if close else b""
    head = f'Content-Type: multipart/{subtype}; boundary="{boundary}"\r\n\r\n'.encode()
    return head + b"preamble\r\n" + parts + end


MIME_TREE = st.recursive(
    leaf(),
    lambda inner: st.builds(
        multipart,
        st.lists(inner, min_size=0, max_size=4),
        st.sampled_from(["mixed", "alternative", "related", "signed", "encrypted", "report"]),
        st.sampled_from(["b1", "=_x", "a" * 80, "", "b 1"]),
        st.booleans(),
    ),
    max_leaves=12,
)


@st.composite
def message(draw: st.DrawFn) -> bytes:
    subject = draw(st.sampled_from(["hi", "=?ISO-2022-JP?B?GyRCJDMkcxsoQg==?=", "\x1b$B$3\x1b(B"]))
    extra = draw(st.sampled_from(["", "X-Evil: a\r\n b\r\n", "Bcc: x@y\r\n", "From: \r\n"]))
    head = f"From: a@example.jp\r\nTo: b@city.lg.jp\r\nSubject: {subject}\r\n{extra}"
    head += "MIME-Version: 1.0\r\n"
    return head.encode("utf-8", "surrogateescape") + draw(MIME_TREE)


def check(raw: bytes) -> None:
    result = sanitize(raw, SETTINGS, quarantine_id="QPROP")
    assert shape_problems(result.message) == [], shape_problems(result.message)
    assert len(result.removed_payloads) == len(result.report.removed)


@FAST
@given(message())
def test_generated_mime_keeps_the_shape(raw: bytes) -> None:
    check(raw)


@FAST
@given(st.binary(max_size=2000))
def test_random_bytes_keep_the_shape(raw: bytes) -> None:
    check(raw)


def _corpus_sample() -> list[bytes]:
    if not CORPUS.is_dir():
        return [b"From: a@example.jp\r\nSubject: fallback\r\n\r\nbody\r\n"]
    files = sorted(p for p in CORPUS.rglob("*.eml") if p.stat().st_size < 200_000)
    return [p.read_bytes() for p in files[::25]]


SAMPLE = _corpus_sample()


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    raw = bytearray(draw(st.sampled_from(SAMPLE)))
    for _ in range(draw(st.integers(1, 6))):
        if not raw:
            break
        at = draw(st.integers(0, len(raw) - 1))
        kind = draw(st.sampled_from(["flip", "cut", "insert", "dup", "drop"]))
        if kind == "flip":
            raw[at] ^= draw(st.integers(1, 255))
        elif kind == "cut":
            del raw[at:]
        elif kind == "insert":
            noise = [b"\r\n--", b"\r\n\r\n", b"=?", b"\x1b$B", b"<script>"]
            raw[at:at] = draw(st.sampled_from(noise))
        elif kind == "dup":
            raw[at:at] = raw[at : at + draw(st.integers(1, 400))]
        else:
            del raw[at : at + draw(st.integers(1, 200))]
    return bytes(raw)


@FAST
@given(mutated())
def test_mutated_corpus_mail_keeps_the_shape(raw: bytes) -> None:
    check(raw)
