"""The path of MAIL FROM / RCPT TO: what is accepted is exactly what the gateway can store and
deliver, UTF-8 clean and bounded.

RFC 5321 4.1.2: Path = "<" [ A-d-l ":" ] Mailbox ">", then ESMTP parameters after a space. We
find the path's end ourselves (a ">" inside a quoted local part does not end it) and leave the
mailbox to email-validator, which knows RFC 5321/6531 local parts, IDNA domains and address
literals; aiosmtpd's own parser (the stdlib's private email._header_value_parser) is lenient in
ways that matter here: it takes NUL, bytes that are not UTF-8 and unbalanced brackets.

Refused, before any parsing: bytes that are not UTF-8 (aiosmtpd hands them over as surrogate
escapes, with or without SMTPUTF8), control characters anywhere in the argument, a path over
RFC 5321 4.5.3.1's 256 octets or a local part over 64. Non-ASCII needs SMTPUTF8 on MAIL FROM.
A source route is dropped from a sender (RFC 5321 appendix C: ignore it) and, like the
percent hack, bang paths and a quoted "@", refused in a recipient while routing is refused.
"""

from __future__ import annotations

from dataclasses import dataclass

import email_validator

import gateway.domains  # noqa: F401  (takes localhost off email-validator's special-use list)
from gateway.smtp import status

MAX_PATH_OCTETS = 256  # RFC 5321 4.5.3.1.3, with the angle brackets
MAX_LOCAL_OCTETS = 64  # RFC 5321 4.5.3.1.1
_ROUTING_CHARS = frozenset("%!@")


class AddressRefused(Exception):
    def __init__(self, reply: str, why: str) -> None:
        super().__init__(why)
        self.reply = reply
        self.why = why  # a fixed word for the log: bad-utf8, control, syntax, too-long...


@dataclass(frozen=True, slots=True)
class Path:
    mailbox: str  # as the client wrote it, without a route; "" for the null path <>
    route: str  # "@hop1,@hop2", or ""
    params: str  # the ESMTP parameters after the path


def _split(arg: str) -> tuple[str, str] | None:
    """(path without brackets, parameters), or None when the brackets do not balance."""
    if not arg.startswith("<"):
        path, _, params = arg.partition(" ")  # a bare address, as Postfix takes it
        return (path, params) if "<" not in path and ">" not in path else None
    quoted = escaped = False
    for i, c in enumerate(arg[1:], start=1):
        if escaped:
            escaped = False
        elif quoted and c == "\\":
            escaped = True
        elif c == '"':
            quoted = not quoted
        elif not quoted and c == "<":
            return None
        elif not quoted and c == ">":
            params = arg[i + 1 :]
            if params and not params.startswith(" "):
                return None
            return arg[1:i], params.strip()
    return None


def has_control(text: str) -> bool:
    """C0, DEL or C1: RFC 5321 4.1.2's invalid character codes, answered 501."""
    return any(c < " " or "\x7f" <= c <= "\x9f" for c in text)


def _is_utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def parse_path(arg: str, *, sender: bool, smtputf8: bool | None) -> Path:
    """Parse the argument after FROM:/TO:; raise AddressRefused with the reply to send.

    `smtputf8` None: whether the parameters after the path declare SMTPUTF8 (MAIL FROM).
    """
    bad = status.BAD_SENDER_SYNTAX if sender else status.BAD_RECIPIENT_SYNTAX
    if not _is_utf8(arg):
        raise AddressRefused(bad, "bad-utf8")
    if has_control(arg):
        raise AddressRefused(bad, "control")
    split = _split(arg.strip())
    if split is None:
        raise AddressRefused(bad, "brackets")
    path, params = split
    if smtputf8 is None:
        smtputf8 = "SMTPUTF8" in params.upper().split()
    if len(path.encode()) + 2 > MAX_PATH_OCTETS:
        raise AddressRefused(bad, "too-long")
    if not path:
        if sender:
            return Path("", "", params)
        raise AddressRefused(bad, "null-recipient")
    if not path.isascii() and not smtputf8:
        raise AddressRefused(status.SENDER_NEEDS_SMTPUTF8, "needs-smtputf8")
    route, mailbox = "", path
    if path.startswith("@"):
        route, colon, mailbox = path.partition(":")
        hops = route.split(",")
        # A-d-l: each hop is "@" and a domain; checked as the domain of an address would be.
        if not colon or not all(hop.startswith("@") and _valid(f"x{hop}", smtputf8)
                                for hop in hops):
            raise AddressRefused(bad, "syntax")
    if not sender and not route and mailbox.lower() == "postmaster":
        return Path(mailbox, "", params)  # RFC 5321 4.1.1.3: no domain needed
    if len(mailbox.rpartition("@")[0].encode()) > MAX_LOCAL_OCTETS:
        raise AddressRefused(bad, "too-long")  # octets: email-validator counts characters
    if not _valid(mailbox, smtputf8):
        raise AddressRefused(bad, "syntax")
    return Path(mailbox, route, params)


def _valid(mailbox: str, smtputf8: bool) -> bool:
    try:
        email_validator.validate_email(
            mailbox, allow_smtputf8=smtputf8, allow_quoted_local=True,
            allow_domain_literal=True, check_deliverability=False,
            globally_deliverable=False, strict=True,
        )
    except email_validator.EmailNotValidError:
        return False
    return True


def is_routed(path: Path) -> bool:
    """Sender-specified routing: a source route, or %, ! or a quoted @ in the local part."""
    local = path.mailbox.rpartition("@")[0]
    return bool(path.route) or any(c in _ROUTING_CHARS for c in local)
