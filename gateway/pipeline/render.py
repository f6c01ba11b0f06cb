"""Body pieces to one plain text: decode, render HTML, cut embedded files, defang URLs."""

from __future__ import annotations

import re

from gateway.errors import QuarantineWhole
from gateway.pipeline.charset import decode_bytes
from gateway.pipeline.context import BodyPiece, Context, PieceKind
from gateway.pipeline.embedded import extract_embedded
from gateway.pipeline.html_text import html_to_text
from gateway.pipeline.labels import label
from gateway.pipeline.textclean import strip_invisible, tidy
from gateway.pipeline.urls import neutralize_urls_in_text
from gateway.types import Language, PartFlag, UrlPolicy

# A text/plain part that is really an HTML document (mislabelled spam, broken clients).
_HTML_DOCUMENT = re.compile(
    r"\A\s*(?:<!--.*?-->\s*)?<(?:!doctype\s+html|html|head|body)\b", re.IGNORECASE | re.DOTALL
)
# Tag-like runs in plain text. Shown as text they are harmless, but a client or a later hop that
# renders HTML must find no markup: the "<" becomes a full-width "＜" the reader still understands.
_TAG = re.compile(
    r"<(?=\s*/?\s*(?:script|style|html|head|body|div|span|table|tr|td|th|iframe|frame|object|"
    r"embed|form|input|img|meta|link|base|svg|math|font|a\s|p\s*>|br\s*/?>|!--))",
    re.IGNORECASE,
)


_EMBEDDED_TOKEN = re.compile("\x00EMBEDDED:(\\d+)\x00")


def looks_like_html_document(text: str) -> bool:
    return _HTML_DOCUMENT.match(text[:4096]) is not None


def defang_markup(text: str) -> str:
    return _TAG.sub("＜", text) if "<" in text else text


def normalize_newlines(text: str) -> str:
    if "\r" not in text:
        return text
    return text.replace("\r\n", "\n").replace("\r", "\n")


def quote_lines(text: str, depth: int) -> str:
    if depth <= 0:
        return text
    prefix = "> " * depth
    return "\n".join(prefix + line if line else prefix.rstrip() for line in text.split("\n"))


class Render:
    name = "render"

    def process(self, ctx: Context) -> None:
        texts = []
        for piece in ctx.pieces:
            ctx.check_deadline()
            text = tidy(self.render_piece(ctx, piece))
            if text:
                texts.append(quote_lines(text, piece.quote))
        body = "\n\n".join(texts)
        limit = ctx.settings.limits.max_text_bytes
        if len(body) > limit // 4 and len(encoded := body.encode("utf-8")) > limit:
            body = encoded[:limit].decode("utf-8", "ignore")  # a UTF-8 character may be 4 bytes
            ctx.note(label(ctx.settings.language, "text_truncated"))
            ctx.report.warn("body text cut at the size limit")
        ctx.body_text = body or label(ctx.settings.language, "no_body")

    def render_piece(self, ctx: Context, piece: BodyPiece) -> str:
        """Every piece, whatever its source, ends through harmless(): a URL split by an inline
        tag or a tag written as &lt;script&gt; only appears once the HTML is text."""
        settings = ctx.settings
        return harmless(self.piece_text(ctx, piece), settings.url_policy, settings.language)

    def piece_text(self, ctx: Context, piece: BodyPiece) -> str:
        settings = ctx.settings
        if piece.kind is PieceKind.TEXT:
            return piece.text
        decoded = decode_bytes(piece.payload, piece.charset, ctx.carrier)
        ctx.report.note_charset(decoded.charset)
        for warning in decoded.warnings:
            ctx.report.warn(warning)
        if not decoded.exact:
            ctx.note(label(settings.language, "charset_guess"))
        text = normalize_newlines(decoded.text)
        is_html = piece.kind is PieceKind.HTML
        if not is_html and looks_like_html_document(text):
            ctx.report.warn("a text/plain part holding an HTML document was rendered as HTML")
            is_html = True
        if is_html:
            rendered = html_to_text(
                text,
                url_policy=settings.url_policy,
                language=settings.language,
                max_nodes=settings.limits.max_html_nodes,
                max_bytes=settings.limits.max_html_bytes,
            )
            for warning in rendered.warnings:
                ctx.report.warn(warning)
            ctx.note(label(settings.language, "html_converted"))
            for key in rendered.notes:
                ctx.note(label(settings.language, key))
            return rendered.text
        return self.cut_embedded(ctx, text)

    @staticmethod
    def cut_embedded(ctx: Context, text: str) -> str:
        text, found = extract_embedded(text)
        if not found:
            return text
        limit = ctx.settings.limits.max_parts
        if len(ctx.report.removed) + len(found) > limit:  # files in text count as parts too
            raise QuarantineWhole("too-many-parts", f"{len(found)} files embedded in text")
        markers = []
        for embedded in found:
            ctx.check_deadline()
            part = ctx.remove(
                embedded.payload,
                filename=embedded.filename,
                declared_type=f"({embedded.kind})",
                reason="embedded",
                flags=[PartFlag.EMBEDDED_IN_TEXT],
            )
            name = part.filename or label(ctx.settings.language, "unnamed")
            markers.append(label(ctx.settings.language, "embedded_removed", name=name))
        return _EMBEDDED_TOKEN.sub(lambda m: markers[int(m.group(1))], text)


def harmless(text: str, policy: UrlPolicy, language: Language) -> str:
    """Invisible characters gone, URLs neutralised, markup defanged: the last step of any text.
    Invisible characters go first: `evil\u200b.example.com` is a host once they are gone."""
    return defang_markup(neutralize_urls_in_text(strip_invisible(text), policy, language))
