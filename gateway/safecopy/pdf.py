"""PDF → pixel-rebuilt PDF, and the text of a PDF.

Renderer: pypdfium2 (PDFium, Chrome's PDF engine; Apache-2.0/BSD-3-Clause bindings, PDFium
under BSD-3-Clause), chosen over PyMuPDF because MuPDF is AGPL-3.0, which would bind every site
that modifies mutaika; PDFium is maintained by Google for Chrome, fuzzed continuously, and the
wheels are built without V8 and XFA, so no script in a PDF can run while it is rendered.

Writer: reportlab (BSD). Each page of the original is rendered to a JPEG and becomes the only
image of a new page of the same size; nothing else of the original is copied (no actions,
JavaScript, annotations, forms, links, embedded files, fonts or metadata). With the text layer
on, the original's text (as PDFium extracts it, no OCR) is laid over each line in invisible
render mode 3 with a non-embedded Japanese CID font, so search and copy work.
"""

from __future__ import annotations

import io
import math
import tempfile
from pathlib import Path

import pypdfium2 as pdfium
from PIL import Image
from reportlab import rl_config
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen.canvas import Canvas

from gateway.safecopy.budget import Budget
from gateway.safecopy.job import Job
from gateway.safecopy.kinds import renamed
from gateway.safecopy.results import Reason, Refusal, SafeCopy

TEXT_FONT = "HeiseiKakuGo-W5"  # Adobe-Japan1; not embedded, only carries invisible text
JPEG_QUALITY = 85
MAX_TEXT_RECTS = 5000  # per page: beyond this the text layer of that page is left out
_PASSWORD_ERROR = 4  # FPDF_ERR_PASSWORD

rl_config.useA85 = 0  # raw binary streams: the ASCII85 default makes every image 25% larger
pdfmetrics.registerFont(UnicodeCIDFont(TEXT_FONT))
# Loads the font's CMap (~0.25 s) once in the fork server instead of in every job's process.
pdfmetrics.stringWidth("文字", TEXT_FONT, 10)
Image.init()  # Pillow's format plugins, likewise


def open_pdf(job: Job, data: bytes | None = None) -> pdfium.PdfDocument:
    """The document, opened with the job's password if any; Refusal when it cannot be."""
    try:
        return pdfium.PdfDocument(job.data if data is None else data, password=job.password)
    except pdfium.PdfiumError as exc:
        if exc.err_code == _PASSWORD_ERROR:
            if job.password is None:
                raise Refusal(Reason.PASSWORD_PROTECTED, "the PDF needs a password") from None
            raise Refusal(Reason.WRONG_PASSWORD, "the password does not open the PDF") from None
        raise Refusal(Reason.FAILED, "PDFium cannot read the file as a PDF") from None


def _page_count(pdf: pdfium.PdfDocument, job: Job) -> int:
    pages = len(pdf)
    limit = job.settings.limits.max_pages
    if pages > limit:
        raise Refusal(Reason.TOO_MANY_PAGES, f"{pages} pages; the limit is {limit}")
    if pages == 0:
        raise Refusal(Reason.EMPTY, "the PDF has no pages")
    return pages


def _scale(width: float, height: float, job: Job) -> float:
    """Pixels per point: the configured DPI, less when the page would pass max_page_pixels."""
    if not (width > 0 and height > 0 and math.isfinite(width * height)):
        raise Refusal(Reason.FAILED, "a page has no size")
    scale = job.settings.pdf_dpi / 72
    most = job.settings.limits.max_page_pixels
    if width * height * scale * scale > most:
        scale = math.sqrt(most / (width * height))
        while math.ceil(width * scale) * math.ceil(height * scale) > most:  # PDFium rounds up
            scale *= 0.99
    if min(width, height) * scale < 1:
        raise Refusal(Reason.TOO_MANY_PIXELS, "a page is too long and thin to render")
    return scale


def _jpeg(page: pdfium.PdfPage, scale: float, path: Path) -> tuple[int, int]:
    """The page as a JPEG file in the job's private directory; its pixel size."""
    image = page.render(scale=scale, draw_annots=True, may_draw_forms=False).to_pil()
    if image.mode != "RGB":
        image = image.convert("RGB")
    image.save(path, "JPEG", quality=JPEG_QUALITY)
    return image.width, image.height


def _bmp_text(text: str) -> str:
    # reportlab writes the CID font as UCS-2: characters outside the BMP cannot be carried.
    return "".join(ch for ch in text if ch.isprintable() and ord(ch) < 0x10000)


Box = tuple[float, float, float, float]


def _lines(boxes: list[Box]) -> list[Box]:
    """Neighbouring boxes of one line joined (LibreOffice, for one, places CJK glyph by glyph)."""
    joined: list[Box] = []
    for x0, y0, x1, y1 in boxes:
        if joined:
            a0, b0, a1, b1 = joined[-1]
            height = max(b1 - b0, y1 - y0, 1.0)
            same_line = abs(y0 - b0) < 0.3 * height and abs(y1 - b1) < 0.3 * height
            if same_line and -1 <= x0 - a1 < 2 * height:
                joined[-1] = (a0, min(b0, y0), max(a1, x1), max(b1, y1))
                continue
        joined.append((x0, y0, x1, y1))
    return joined


def _text_layer(canvas: Canvas, page: pdfium.PdfPage) -> bool:
    """Invisible lines at the places PDFium finds them; False when the page has none."""
    if page.get_rotation() % 360:
        return False  # text boxes are in unrotated page space; the image is rotated
    left, bottom, _right, _top = page.get_cropbox()
    textpage = page.get_textpage()
    rects = textpage.count_rects()
    if rects == 0 or rects > MAX_TEXT_RECTS:
        return False
    for x0, y0, x1, y1 in _lines([textpage.get_rect(i) for i in range(rects)]):
        line = _bmp_text(textpage.get_text_bounded(x0, y0, x1, y1)).strip()
        size = y1 - y0
        if not line or size <= 0 or x1 <= x0:
            continue
        if len(line) == 1:
            line += " "  # PDFium reads no text object of a single CJK character back
        natural = pdfmetrics.stringWidth(line, TEXT_FONT, size)
        text = canvas.beginText(x0 - left, y0 - bottom + size * 0.12)
        text.setTextRenderMode(3)
        text.setFont(TEXT_FONT, size)
        if natural > 0:
            text.setHorizScale(100 * (x1 - x0) / natural)
        text.textOut(line)
        canvas.drawText(text)
    return True


def rebuild(job: Job, pdf: pdfium.PdfDocument) -> tuple[bytes, list[str]]:
    """The new PDF's bytes and notes; pages rendered one at a time to bound memory."""
    pages = _page_count(pdf, job)
    out = io.BytesIO()
    canvas = Canvas(out, pageCompression=1, invariant=1)
    canvas.setProducer("mutaika safe copy")
    with_text = 0
    folder = Path(tempfile.mkdtemp())  # inside the job's private directory
    for number in range(pages):
        job.check_time()
        page = pdf[number]
        width, height = page.get_size()
        scale = _scale(width, height, job)
        # A file, not bytes: reportlab then embeds the JPEG as it is, without decoding it
        # again to hash its pixels; the job's directory is private and removed afterwards.
        jpeg = folder / f"page{number}.jpg"
        px_w, px_h = _jpeg(page, scale, jpeg)
        # The page's own size in points; its orientation follows the bitmap, so a /Rotate
        # of 90 or 270 comes along.
        size = (width, height) if (px_w >= px_h) == (width >= height) else (height, width)
        canvas.setPageSize(size)
        canvas.drawImage(str(jpeg), 0, 0, *size)
        if job.settings.pdf_text_layer and _text_layer(canvas, page):
            with_text += 1
        canvas.showPage()
        page.close()
        jpeg.unlink()
    canvas.save()
    notes = [f"{pages} page(s) rebuilt from images at up to {job.settings.pdf_dpi} dpi"]
    if job.settings.pdf_text_layer:
        notes.append(f"invisible text layer on {with_text} page(s), from the original's text")
    return out.getvalue(), notes


def safe_pdf(job: Job) -> SafeCopy:
    pdf = open_pdf(job)
    try:
        data, notes = rebuild(job, pdf)
    except pdfium.PdfiumError:
        raise Refusal(Reason.FAILED, "PDFium could not read a page") from None
    finally:
        pdf.close()
    return SafeCopy(data, renamed(job.filename, "pdf"), "application/pdf", tuple(notes))


def pdf_text(job: Job, budget: Budget, data: bytes | None = None) -> None:
    """Page text in order into the budget, until it is full (data: another PDF than the job's)."""
    pdf = open_pdf(job, data)
    try:
        for number in range(min(len(pdf), job.settings.limits.max_pages)):
            job.check_time()
            textpage = pdf[number].get_textpage()
            budget.add(textpage.get_text_range())
            if budget.full:
                return
    finally:
        pdf.close()
