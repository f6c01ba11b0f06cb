"""Walk the MIME tree in reading order: what becomes body text, what is removed.

Only decisions are made here; decoding and rendering the text is render.py's job. The tree has
already been bounded in depth and part count by the parse stage, so recursion here is bounded.
"""

from __future__ import annotations

import quopri
from email.message import Message

from gateway.errors import QuarantineWhole
from gateway.pipeline import enriched, pointers
from gateway.pipeline import mimeinfo as mi
from gateway.pipeline.context import Context, PieceKind
from gateway.pipeline.embedded import lenient_b64decode
from gateway.pipeline.headers import decode_header_value
from gateway.pipeline.labels import label
from gateway.pipeline.parse import children, measure_tree, parse_message
from gateway.pipeline.partactions import PartActions
from gateway.types import PartFlag


def _is_empty_text(part: Message) -> bool:
    """Empty once decoded; only a short payload is decoded to find out (the chosen one is
    decoded again later, but a long payload is never empty)."""
    raw = part.get_payload()
    if not isinstance(raw, str) or len(raw.strip()) > 256:
        return False
    data, _ = mi.payload(part, 4096)
    return not data.strip()


_PLAIN_FIRST = ("text/plain", enriched.ENRICHED, enriched.RICHTEXT, "text/html")
_HTML_FIRST = ("text/html", "text/plain", enriched.ENRICHED, enriched.RICHTEXT)


def choose_alternative(alternatives: list[Message], prefer_plain: bool) -> Message | None:
    """The alternative to show: text/plain first (or HTML first), never an empty one."""
    order = _PLAIN_FIRST if prefer_plain else _HTML_FIRST
    by_rank: list[tuple[int, int, Message]] = []
    for position, part in enumerate(alternatives):
        ctype = mi.content_type(part)
        if ctype in order and not _is_empty_text(part):
            rank = order.index(ctype)
        elif ctype.startswith("multipart/"):
            rank = len(order) if prefer_plain else 0  # related/mixed wrapping the HTML
        else:
            continue
        by_rank.append((rank, -position, part))  # equal rank: the later, more faithful one
    if not by_rank:
        return None
    return min(by_rank, key=lambda item: (item[0], item[1]))[2]


_ENCODED = frozenset({"base64", "quoted-printable"})


class _Walker(PartActions):
    """Reading order and the choice of parts; what happens to each part is PartActions'."""

    def walk(self, part: Message, quote: int) -> None:
        self.ctx.check_deadline()
        ctype = mi.content_type(part)
        if ctype in pointers.TYPES:
            self.pointer(part, ctype)
        elif ctype in mi.NESTED_TYPES:
            self.nested(part, quote)
        elif ctype in mi.REPORT_TEXT_TYPES and part.is_multipart():
            self.report_blocks(part, quote)
        elif part.is_multipart():
            self.multipart(part, ctype, quote)
        else:
            self.leaf(part, ctype, quote)

    def multipart(self, part: Message, ctype: str, quote: int) -> None:
        kids = children(part)
        if ctype == "multipart/alternative":
            chosen = choose_alternative(kids, self.ctx.settings.prefer_plain)
            for kid in kids:
                if kid is chosen:
                    self.walk(kid, quote)
                else:
                    self.drop_alternative(kid, quote)
        elif ctype == "multipart/related":
            root = self.related_root(part, kids)
            for kid in kids:
                if kid is root:
                    self.walk(kid, quote)
                else:
                    self.remove(kid, "inline-image", [PartFlag.INLINE_IMAGE])
        elif ctype == "multipart/signed":
            for position, kid in enumerate(kids):
                if position == 0:
                    self.walk(kid, quote)
                else:
                    self.remove(kid, "signature", [PartFlag.SIGNATURE])
                    self.ctx.note(label(self.language, "signature_removed"))
        elif ctype == "multipart/encrypted":
            self.encrypted(kids, quote)
        else:
            for kid in kids:
                self.walk(kid, quote)

    def drop_alternative(self, part: Message, quote: int) -> None:
        """An alternative not shown: its text is the same content; anything else is listed."""
        ctype = mi.content_type(part)
        if ctype in mi.BODY_TYPES or ctype in enriched.TYPES:
            return
        if ctype in mi.CALENDAR_TYPES:
            self.leaf(part, ctype, quote)
        elif part.is_multipart() and ctype not in mi.NESTED_TYPES:
            for kid in children(part):
                self.drop_alternative(kid, quote)
        else:
            self.remove(part, "attachment", [PartFlag.ALTERNATIVE_BODY])

    @staticmethod
    def related_root(part: Message, kids: list[Message]) -> Message | None:
        start = str(part.get_param("start", "") or "").strip().strip("<>")
        if start:
            for kid in kids:
                if mi.content_id(kid) == start:
                    return kid
        return kids[0] if kids else None

    def leaf(self, part: Message, ctype: str, quote: int) -> None:
        attached = mi.is_attachment(part)
        readable = mi.transfer_encoding(part) in mi.KNOWN_TRANSFER_ENCODINGS
        if not readable:  # e.g. x-gzip64: the bytes are not text we can show
            self.ctx.report.warn(f"unknown transfer encoding {mi.transfer_encoding(part)[:40]!r}")
            self.remove(part, "attachment", [])
        elif ctype in mi.BODY_TYPES and not attached:
            self.body(part, PieceKind.HTML if ctype == "text/html" else PieceKind.PLAIN, quote)
        elif ctype in enriched.TYPES and not attached:
            self.enriched_text(part, ctype, quote)
        elif ctype in mi.REPORT_TEXT_TYPES:
            self.body(part, PieceKind.PLAIN, quote)
        elif ctype.startswith("multipart/"):  # no usable boundary: the parser left it as text
            self.broken_multipart(part, ctype, quote)
        elif ctype in mi.CALENDAR_TYPES:
            self.calendar(part, quote)
        elif ctype in mi.TNEF_TYPES or mi.filename(part).lower() == "winmail.dat":
            self.tnef(part, quote)
        elif ctype in mi.SIGNATURE_TYPES:
            self.remove(part, "signature", [PartFlag.SIGNATURE])
            self.ctx.note(label(self.language, "signature_removed"))
        elif ctype in mi.ENCRYPTED_TYPES:
            self.encrypted([part], quote)
        elif ctype.startswith("text/") and not attached:  # RFC 2046 §4.1.4: read as plain
            self.ctx.report.warn(f"{ctype[:60]} shown as plain text")
            self.body(part, PieceKind.PLAIN, quote)
        else:
            inline = ctype.startswith("image/") and (
                mi.disposition(part) == "inline" or bool(mi.content_id(part))
            )
            flags = [PartFlag.INLINE_IMAGE] if inline else []
            self.remove(part, "inline-image" if inline else "attachment", flags)

    def nested(self, part: Message, quote: int) -> None:
        kids = children(part)
        if not kids:
            return
        inner = kids[0]
        if mi.transfer_encoding(part) in _ENCODED and not inner.keys():
            inner = self.decoded_message(inner, mi.transfer_encoding(part))
        lang = self.language
        heading = [label(lang, "forwarded")]
        for key, name in (("from", "From"), ("date", "Date"), ("subject", "Subject")):
            value = decode_header_value(inner.get(name))
            if value:
                heading.append(f"{label(lang, key)}: {value}")
        self.text("\n".join(heading), quote + 1)
        self.walk(inner, quote + 1)

    def decoded_message(self, encoded: Message, encoding: str) -> Message:
        """message/rfc822 sent base64- or QP-encoded (RFC 2046 forbids it, mailers do it): the
        parser read the encoded text as a body; decode and parse it, within the same limits."""
        text = encoded.get_payload()
        text = text if isinstance(text, str) else ""
        if encoding == "quoted-printable":
            data = quopri.decodestring(text.encode("ascii", "surrogateescape"))
        else:
            data = lenient_b64decode(text)
        inner = parse_message(data[: self.limit])
        parts, depth = measure_tree(inner)
        limits = self.ctx.settings.limits
        if parts > limits.max_parts or depth > limits.max_mime_depth:
            raise QuarantineWhole("too-many-parts" if parts > limits.max_parts else "too-deep")
        return inner


class Structure:
    name = "structure"

    def process(self, ctx: Context) -> None:
        assert ctx.message is not None, "the parse stage runs first"
        _Walker(ctx).walk(ctx.message, 0)
