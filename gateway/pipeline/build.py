"""Write the one text/plain mail: allowlisted headers, our trace headers, the encoded body."""

from __future__ import annotations

import binascii
import email.utils
from email.message import Message
from email.parser import BytesHeaderParser, BytesParser
from email.policy import compat32

from gateway.pipeline.charset import encode_body
from gateway.pipeline.context import Context
from gateway.pipeline.headers import decode_header_value, format_header, output_headers
from gateway.pipeline.jiscodec import CP50221
from gateway.pipeline.limits import header_block
from gateway.pipeline.parse import describe_headers
from gateway.pipeline.textclean import one_line
from gateway.types import Verdict

MAX_LINE_OCTETS = 998
_CHARSET_LABELS = {"utf-8": "utf-8", "iso-2022-jp": "ISO-2022-JP"}
_QP_MAX_NON_ASCII_SHARE = 0.15  # above it base64 is smaller and no less readable
_ASCII_BYTES = bytes(range(0x80))


def choose_transfer_encoding(body: bytes) -> str:
    longest = max((len(line) for line in body.split(b"\n")), default=0)
    if body.isascii():
        return "7bit" if longest <= MAX_LINE_OCTETS else "quoted-printable"
    non_ascii = len(body.translate(None, _ASCII_BYTES))  # deleting ASCII in C leaves the rest
    if non_ascii / max(len(body), 1) <= _QP_MAX_NON_ASCII_SHARE:
        return "quoted-printable"
    return "base64"


def encode_transfer(body: bytes, encoding: str) -> bytes:
    """Encoded body with CRLF line ends; every line is at most 76 (7bit: 998) octets."""
    if encoding == "base64":
        # one C call for the whole body, then 76-character lines (base64.encodebytes calls
        # the encoder once per 57-byte chunk: 2.4x slower on 24 KB)
        flat = binascii.b2a_base64(body, newline=False)
        return b"".join([flat[i : i + 76] + b"\r\n" for i in range(0, len(flat), 76)])
    if encoding == "quoted-printable":
        encoded = binascii.b2a_qp(body, quotetabs=False, istext=True, header=False)
    else:
        encoded = body if body.endswith(b"\n") else body + b"\n"
    return encoded.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


def decide_verdict(ctx: Context) -> Verdict:
    if ctx.report.verdict is Verdict.QUARANTINED_WHOLE:
        return Verdict.QUARANTINED_WHOLE
    message = ctx.message
    single_text = (
        message is not None
        and not message.is_multipart()
        and (message.get_content_type() == "text/plain")
    )
    return Verdict.CLEAN if single_text and not ctx.report.removed else Verdict.SANITIZED


def salvage_headers(raw: bytes, limit: int) -> Message:
    """Only the header block, bounded: for a message whose whole parse is not to be trusted."""
    block = header_block(raw, limit)
    if block is None:
        block = raw[:limit].rsplit(b"\n", 1)[0]
    return BytesHeaderParser(policy=compat32).parsebytes(block + b"\r\n\r\n")


def trace_headers(ctx: Context, verdict: Verdict) -> list[tuple[str, str]]:
    report = ctx.report
    original = one_line(report.original_content_type).encode("ascii", "replace").decode()
    fields = [("X-Mutaika-Verdict", verdict.value)]
    if report.quarantine_id:
        fields.append(("X-Mutaika-Quarantine-ID", report.quarantine_id))
    fields.append(("X-Mutaika-Original-Content-Type", original[:200] or "unknown"))
    fields.append(("X-Mutaika-Removed", str(len(report.removed))))
    if report.reason:
        fields.append(("X-Mutaika-Reason", report.reason))
    return fields


class Build:
    name = "build"

    def process(self, ctx: Context) -> None:
        verdict = decide_verdict(ctx)
        ctx.report.verdict = verdict
        charset = ctx.settings.output_charset
        message = ctx.message or salvage_headers(ctx.raw, ctx.settings.limits.max_header_bytes)
        report = ctx.report
        if not report.original_content_type:  # stopped before the parse stage
            describe_headers(report, message)
        fields = output_headers(message, hint=ctx.body_charset_hint, carrier=ctx.carrier)
        names = {name.lower() for name, _ in fields}
        if "from" not in names and ctx.envelope is not None and ctx.envelope.mail_from:
            fields.insert(0, ("From", ctx.envelope.mail_from))
        if "date" not in names:
            fields.append(("Date", email.utils.formatdate(localtime=True)))
        fields += trace_headers(ctx, verdict)
        body = encode_body(ctx.body_text, charset)
        encoding = choose_transfer_encoding(body)
        fields += [
            ("MIME-Version", "1.0"),
            ("Content-Type", f"text/plain; charset={_CHARSET_LABELS[charset]}"),
            ("Content-Transfer-Encoding", encoding),
        ]
        head = b"".join(format_header(name, value, charset) for name, value in fields)
        ctx.output = head + b"\r\n" + encode_transfer(body, encoding)


READ_BACK_HEADERS = ("From", "To", "Cc", "Subject", "Date")


def output_text(message: bytes) -> str:
    """What staff read in a sanitized mail: its visible headers and its decoded body."""
    parsed = BytesParser(policy=compat32).parsebytes(message)
    lines = [
        f"{name}: {decode_header_value(parsed[name])}"
        for name in READ_BACK_HEADERS
        if parsed[name] is not None
    ]
    payload = parsed.get_payload(decode=True)
    charset = parsed.get_content_charset() or "utf-8"
    codec = CP50221 if charset == "iso-2022-jp" else charset
    body = payload.decode(codec, "replace") if isinstance(payload, bytes) else ""
    return "\n".join(lines) + "\n\n" + body.replace("\r\n", "\n")
