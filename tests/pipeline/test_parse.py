"""Parsing with base64 runs cut out must give exactly what the stdlib parser gives."""

from __future__ import annotations

import base64
import os
from email.message import Message
from email.parser import BytesParser
from email.policy import compat32
from pathlib import Path

import pytest

from gateway.pipeline.parse import measure_tree, parse_message

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus"
STDLIB = BytesParser(policy=compat32)
B64 = base64.encodebytes(os.urandom(6000)).replace(b"\n", b"\r\n")  # 108 lines


def same_tree(a: Message, b: Message) -> bool:
    decoded = [(p.get_content_type(), p.get_payload(decode=True)) for p in a.walk()]
    expected = [(p.get_content_type(), p.get_payload(decode=True)) for p in b.walk()]
    return decoded == expected and a.as_bytes() == b.as_bytes()


def check(raw: bytes) -> Message:
    message = parse_message(raw)
    assert same_tree(message, STDLIB.parsebytes(raw))
    return message


def test_attachment_run_is_restored_byte_for_byte() -> None:
    raw = (
        b"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\n"
        b"hi\r\n--b\r\nContent-Type: application/pdf\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        + B64
        + b"--b--\r\n"
    )
    message = check(raw)
    assert message.get_payload()[1].get_payload(decode=True) == base64.b64decode(B64)


def test_run_in_a_preamble_falls_back_to_a_whole_parse() -> None:
    raw = (
        b"Content-Type: multipart/mixed; boundary=b\r\n\r\n"
        + B64
        + b"--b\r\nContent-Type: text/plain\r\n\r\nhi\r\n--b--\r\n"
    )
    check(raw)


def test_two_runs_in_one_part_and_lf_line_ends() -> None:
    lf = B64.replace(b"\r\n", b"\n")
    raw = b"Content-Type: text/plain\n\nbefore\n" + lf + b"middle\n" + lf + b"after\n"
    check(raw)


def test_measure_tree() -> None:
    raw = b"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\r\nx\r\n--b--\r\n"
    assert measure_tree(parse_message(raw)) == (2, 1)


@pytest.mark.corpus
def test_every_corpus_mail_parses_as_the_stdlib_parses_it() -> None:
    if not CORPUS.is_dir():
        pytest.skip(f"corpus not found at {CORPUS}")
    files = sorted(p for p in CORPUS.rglob("*") if p.is_file() and p.parent != CORPUS)
    different = [
        p.name
        for p in files
        if not same_tree(parse_message(p.read_bytes()), STDLIB.parsebytes(p.read_bytes()))
    ]
    assert not different, different[:10]
