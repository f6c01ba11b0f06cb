"""Two Content-Type or Content-Transfer-Encoding fields on one part: one mail, two readings.

A filter that reads the second field and a client that reads the first see different mails;
attackers use exactly that. The rule here: the FIRST field counts (what the stdlib parser,
and so every later stage, uses). A duplicate that reads the same (same type and subtype,
boundary, charset and name; transfer encodings that decode alike) is only reported. A
duplicate that reads differently quarantines the mail whole: no reading is safe to show.
"""

from __future__ import annotations

from email.message import Message

from gateway.pipeline.charset import codec_for
from gateway.pipeline.textclean import one_line

_IDENTITY = frozenset({"", "7bit", "8bit", "binary"})  # decode the same: as they are


def _raw_values(part: Message, name: str) -> list[str]:
    return [str(v) for k, v in part.raw_items() if k.strip().lower() == name]


def _type_reading(value: str) -> tuple[str, ...]:
    probe = Message()
    probe["Content-Type"] = value
    try:
        charset = probe.get_param("charset")
        ctype = probe.get_content_type()
        codec = codec_for(charset if isinstance(charset, str) else None)
        return (
            ctype,
            str(probe.get_param("boundary") or ""),
            codec or ("ascii" if ctype.startswith("text/") else ""),  # RFC 2046's default
            str(probe.get_param("name") or ""),
        )
    except (ValueError, LookupError, TypeError, IndexError):
        return (one_line(value).lower(),)


def _encoding_reading(value: str) -> str:
    word = one_line(value).lower()
    return "identity" if word in _IDENTITY else word


def duplicate_fields(message: Message) -> tuple[list[str], list[str]]:
    """(warnings for duplicates that read alike, descriptions of those that differ)."""
    alike: list[str] = []
    differ: list[str] = []
    for part in message.walk():
        for name, reading in (
            ("content-type", _type_reading),
            ("content-transfer-encoding", _encoding_reading),
        ):
            values = _raw_values(part, name)
            if len(values) < 2:
                continue
            readings = {reading(v) for v in values}
            shown = " | ".join(one_line(v)[:80] for v in values[:3])
            if len(readings) > 1:
                differ.append(f"{len(values)} {name} fields: {shown}")
            else:
                alike.append(f"duplicate {name} fields read alike; the first is used: {shown}")
    return alike, differ
