"""What happens to one part: shown as body text, summarised, or removed and described.

The walker in structure.py decides which part goes where; these are its actions.
"""

from __future__ import annotations

from email.message import Message

from gateway.errors import QuarantineWhole
from gateway.pipeline import enriched, pointers
from gateway.pipeline import mimeinfo as mi
from gateway.pipeline.charset import decode_bytes, wide_codec
from gateway.pipeline.context import BodyPiece, Context, PieceKind
from gateway.pipeline.headers import decode_header_value
from gateway.pipeline.ical import summarize_calendar
from gateway.pipeline.labels import label
from gateway.pipeline.parse import children
from gateway.pipeline.recover import cut_mime_source
from gateway.pipeline.tnef import tnef_contents
from gateway.types import PartFlag


class PartActions:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.language = ctx.settings.language
        self.limit = ctx.settings.limits.max_decoded_part_bytes
        self.calendars: set[str] = set()  # summaries shown: an invitation sent twice is one

    def body(self, part: Message, kind: PieceKind, quote: int) -> None:
        data, cut = mi.payload(part, self.limit)
        charset = mi.charset(part)
        if b"\x00" in data[:8192] and wide_codec(data, charset) is None:
            # e.g. a gzip whose type lost its subtype: not text at all (UTF-16 text is)
            self.ctx.report.warn("a part declared as text holds binary data")
            self.remove(part, "attachment", [], data=data)
            return
        self.name_heading(part, quote)
        if self.ctx.body_charset_hint is None and charset:
            self.ctx.body_charset_hint = charset
        if cut:
            self.ctx.report.warn("a body part was damaged or cut at the size limit")
        self.ctx.pieces.append(BodyPiece(kind, payload=data, charset=charset, quote=quote))

    def name_heading(self, part: Message, quote: int) -> None:
        name = mi.filename(part)
        if name:  # an inline text attachment: shown, and named so the reader knows it was one
            self.text(label(self.language, "attached_text", name=name), quote)

    def enriched_text(self, part: Message, ctype: str, quote: int) -> None:
        data, cut = mi.payload(part, self.limit)
        decoded = decode_bytes(data, mi.charset(part), self.ctx.carrier)
        self.ctx.report.note_charset(decoded.charset)
        if cut:
            self.ctx.report.warn("a body part was damaged or cut at the size limit")
        self.name_heading(part, quote)
        # Back to bytes as plain UTF-8 text, so that render.py treats it as any text body
        # (embedded files cut out, URLs neutralised).
        plain = enriched.enriched_to_text(decoded.text, ctype).encode("utf-8", "replace")
        self.ctx.pieces.append(
            BodyPiece(PieceKind.PLAIN, payload=plain, charset="utf-8", quote=quote)
        )

    def broken_multipart(self, part: Message, ctype: str, quote: int) -> None:
        """No usable boundary, and no single one to repair it with (parse.py tried): MIME
        source is never shown as text; the parts in it are cut out and listed."""
        text = part.get_payload()
        rest, pieces = cut_mime_source(text if isinstance(text, str) else "")
        if not pieces:  # no MIME inside: the body is just text under a wrong type
            self.ctx.report.warn(f"{ctype} without a usable boundary was read as text")
            self.body(part, PieceKind.PLAIN, quote)
            return
        self.ctx.report.warn(f"{ctype} without a usable boundary: {len(pieces)} parts cut out")
        self.text(rest, quote)
        limit = self.ctx.settings.limits.max_parts
        if len(self.ctx.report.removed) + len(pieces) > limit:
            raise QuarantineWhole("too-many-parts", f"{len(pieces)} parts in a broken multipart")
        for piece in pieces:
            self.remove(piece, "attachment", [PartFlag.BROKEN_STRUCTURE])

    def pointer(self, part: Message, ctype: str) -> None:
        found = pointers.describe_pointer(part, ctype)
        flag = PartFlag.EXTERNAL_BODY if ctype == pointers.EXTERNAL_BODY else PartFlag.PARTIAL
        self.ctx.remove(
            found.payload,
            filename=found.filename,
            declared_type=ctype,
            reason="pointer",
            flags=[flag],
            detail=found.detail,
        )
        self.ctx.note(
            label(self.language, "external_note" if flag == "external-body" else "partial_note")
        )

    def text(self, text: str, quote: int) -> None:
        if text.strip():
            self.ctx.pieces.append(BodyPiece(PieceKind.TEXT, text=text, quote=quote))

    def report_blocks(self, part: Message, quote: int) -> None:
        """message/delivery-status and kin: the parser split them into header blocks."""
        blocks = []
        for block in children(part):
            lines = [f"{name}: {decode_header_value(value)}" for name, value in block.items()]
            blocks.append("\n".join(lines))
        self.text("\n\n".join(blocks), quote)

    def calendar(self, part: Message, quote: int) -> None:
        data, _ = mi.payload(part, self.limit)
        summary = summarize_calendar(data, self.language, mi.charset(part))
        if summary not in self.calendars:  # Outlook sends the same invitation inline and attached
            self.calendars.add(summary)
            self.text(f"{label(self.language, 'calendar')}\n{summary}", quote)
        self.remove(part, "calendar", [PartFlag.CALENDAR], data=data)

    def tnef(self, part: Message, quote: int) -> None:
        data, _ = mi.payload(part, self.limit)
        contents = tnef_contents(data, self.language)
        for warning in contents.warnings:
            self.ctx.report.warn(f"winmail.dat: {warning}")
        names = ", ".join(name for name, _ in contents.items)
        detail = label(self.language, "contains", names=names) if names else ""
        self.remove(part, "tnef", [PartFlag.TNEF], data=data, detail=detail)
        for name, payload in contents.items:
            self.ctx.remove(
                payload, filename=name, declared_type="", reason="tnef-item", flags=[PartFlag.TNEF]
            )
        if contents.body_text.strip():
            self.text(f"{label(self.language, 'tnef_body')}\n{contents.body_text}", quote)

    def encrypted(self, parts: list[Message], quote: int) -> None:
        for part in parts:
            self.remove(part, "encrypted", [PartFlag.ENCRYPTED_MESSAGE])
        self.text(label(self.language, "encrypted_body"), quote)
        self.ctx.note(label(self.language, "encrypted_note"))

    def remove(
        self,
        part: Message,
        reason: str,
        flags: list[PartFlag],
        *,
        data: bytes | None = None,
        detail: str = "",
    ) -> None:
        if part.is_multipart():  # e.g. a multipart inside multipart/related: list its leaves
            for kid in children(part):
                self.remove(kid, reason, flags)
            return
        cut = False
        if data is None:
            data, cut = mi.payload(part, self.limit)
        name = mi.filename(part)
        if not data and reason in ("inline-image", "attachment"):
            if not name:  # nothing to list and nothing to release: an empty part
                self.ctx.report.warn(f"an empty {mi.content_type(part)[:60]} part was dropped")
                return
            reason = "attachment"
            flags = [*(f for f in flags if f != PartFlag.INLINE_IMAGE), PartFlag.EMPTY]
        self.ctx.remove(
            data,
            filename=name,
            declared_type=mi.content_type(part),
            reason=reason,
            flags=[*flags, PartFlag.TRUNCATED] if cut else flags,
            detail=detail,
        )
