"""message/external-body and message/partial: described, removed, never followed."""

from __future__ import annotations

from gateway.config import SanitizeSettings
from gateway.pipeline import sanitize
from gateway.pipeline.parse import parse_message
from gateway.pipeline.pointers import describe_pointer
from tests.shape import body_text, shape_problems

HEAD = b"From: a@example.jp\r\nTo: b@city.lg.jp\r\nSubject: s\r\nMIME-Version: 1.0\r\n"


def pointer_part(params: str, body: str = "Content-Type: application/pdf\r\n\r\n") -> bytes:
    return f"Content-Type: message/external-body; {params}\r\n\r\n{body}".encode()


def test_url_access_type_names_the_url_without_its_folding() -> None:
    # RFC 2017: a long URL may be folded with white space that is not part of it.
    part = parse_message(pointer_part('access-type=URL;\r\n URL="http://a.example/x/ y.pdf"'))
    found = describe_pointer(part, "message/external-body")
    assert "http://a.example/x/y.pdf" in found.detail and found.filename == "y.pdf"
    assert "type=application/pdf" in found.detail


def test_ftp_local_file_and_mail_server() -> None:
    ftp = parse_message(
        pointer_part("access-type=anon-ftp; site=f.example; directory=/p; name=a.z")
    )
    assert "ftp://f.example/p/a.z" in describe_pointer(ftp, "message/external-body").detail
    local = parse_message(pointer_part("access-type=local-file; name=/etc/passwd; site=host"))
    found = describe_pointer(local, "message/external-body")
    assert "/etc/passwd" in found.detail and found.filename == "passwd"
    mail = parse_message(
        pointer_part('access-type=mail-server; server="ls@example.org"; subject="get x"')
    )
    assert (
        "mail-server ls@example.org (get x)"
        in describe_pointer(mail, "message/external-body").detail
    )


def test_partial_names_its_place_and_keeps_the_fragment() -> None:
    part = parse_message(
        b'Content-Type: message/partial; id="x@y"; number=2; total=3\r\n\r\n'
        b"Subject: inner\r\n\r\nfragment text\r\n"
    )
    found = describe_pointer(part, "message/partial")
    assert found.detail == "message/partial: 2/3, id=x@y" and b"fragment text" in found.payload


def test_no_url_is_left_live_and_nothing_is_read_as_a_forward() -> None:
    raw = HEAD + pointer_part(
        'access-type=URL; URL="https://evil.example/payload.exe"',
        "Content-Type: text/plain\r\n\r\nSECRET BODY\r\n",
    )
    result = sanitize(raw, SanitizeSettings(), quarantine_id="QP")
    assert shape_problems(result.message) == []
    text = body_text(result.message)
    assert "SECRET BODY" not in text and "hxxps://evil[.]example/payload.exe" in text
    assert [p.flags[0] for p in result.report.removed] == ["external-body"]


def test_whole_mail_as_partial_is_not_shown() -> None:
    raw = HEAD.replace(b"MIME-Version: 1.0\r\n", b"") + (
        b'MIME-Version: 1.0\r\nContent-Type: message/partial; id="a"; number=1; total=2\r\n\r\n'
        b"Subject: real\r\nContent-Type: text/plain\r\n\r\nfirst half of a mail\r\n"
    )
    result = sanitize(raw, SanitizeSettings(), quarantine_id="QP")
    assert "first half" not in body_text(result.message)
    assert result.report.removed[0].declared_type == "message/partial"
