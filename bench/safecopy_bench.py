"""Safe-copy cost per page (PDF) and per MB (docx), against baselines measured in the same run.

PDF baseline: PDFium rendering every page to a bitmap in this process (the renderer's own
cost, no encoding or writing). docx baseline: reading every member of the package and zipping
them again (the cost of touching the bytes at all). Each is compared with the converter called
in this process and with the real path: SafeCopyRunner, one confined forked process per job.
Also measured: the runner's cost per job (a task that does nothing) against starting a fresh
interpreter that imports the converter libraries, and text excerpts.
Rounds alternate the modes so drift on a shared machine hits all of them; medians are shown.

    python bench/safecopy_bench.py [--rounds 5]
"""

from __future__ import annotations

import argparse
import io
import random
import statistics
import subprocess
import sys
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from gateway.config import SafeCopySettings
from gateway.safecopy import Excerpt, SafeCopy, SafeCopyRunner
from gateway.safecopy.job import Job
from gateway.safecopy.kinds import Kind
from gateway.safecopy.runner import EXCERPT

SETTINGS = SafeCopySettings()
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
# Converter processes re-run this file as __mp_main__: module level stays imports only, and
# the writers below are imported inside the functions that build the inputs.


def make_pdf(pages: int) -> bytes:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen.canvas import Canvas

    pdfmetrics.registerFont(UnicodeCIDFont("HeiseiMin-W3"))
    out = io.BytesIO()
    canvas = Canvas(out, pagesize=(595, 842))
    rng = random.Random(pages)
    for number in range(pages):
        canvas.setFont("HeiseiMin-W3", 10.5)
        for row in range(45):  # a page of body text, as in a report or an invoice
            amount = rng.randint(1000, 99999)
            line = f"第{number + 1}頁 {row + 1}行 令和6年度 予算執行状況 {amount:,}円 Lorem ipsum"
            canvas.drawString(60, 780 - row * 16, line)
        canvas.rect(60, 40, 470, 20)
        canvas.showPage()
    canvas.save()
    return out.getvalue()


def make_docx(target_mb: float, *, images: bool) -> bytes:
    """Body text of varied kanji and kana (so it compresses like real prose), or photos."""
    import docx
    from docx.shared import Cm
    from PIL import Image

    document = docx.Document()
    rng = random.Random(int(target_mb * 100))
    letters = [chr(c) for c in range(0x4E00, 0x4E00 + 2000)] + [
        chr(c) for c in range(0x3041, 0x3094)
    ]
    while True:
        for _ in range(50 if images else 400):
            document.add_paragraph("".join(rng.choices(letters, k=rng.randint(20, 120))))
        if images:
            noise = Image.effect_noise((600, 450), 60).convert("RGB")
            picture = io.BytesIO()
            noise.save(picture, "JPEG", quality=90)
            picture.seek(0)
            document.add_picture(picture, width=Cm(8))
        out = io.BytesIO()
        document.save(out)
        if len(out.getvalue()) >= target_mb * 1024 * 1024:
            return out.getvalue()


def rezip(data: bytes) -> None:
    with zipfile.ZipFile(io.BytesIO(data)) as source:
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
            for info in source.infolist():
                target.writestr(info.filename, source.read(info))


def render_only(data: bytes) -> None:
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(data)
    for page in pdf:
        page.render(scale=SETTINGS.pdf_dpi / 72)
    pdf.close()


def in_process(task: Callable[[Job], object], kind: Kind) -> Callable[[bytes], None]:
    def run(data: bytes) -> None:
        job = Job(data, "bench", "", kind, SETTINGS, time.monotonic() + 600)
        assert isinstance(task(job), SafeCopy)

    return run


def median_ms(function: Callable[[bytes], object], data: bytes, rounds: int) -> float:
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        function(data)
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    rounds = parser.parse_args().rounds
    from gateway.safecopy.ooxml_clean import safe_ooxml
    from gateway.safecopy.pdf import safe_pdf

    runner = SafeCopyRunner(SETTINGS)
    runner.convert(make_pdf(1), "warm.pdf", "application/pdf")  # starts the fork server

    def through_runner(mime: str, name: str) -> Callable[[bytes], None]:
        def run(data: bytes) -> None:
            assert isinstance(runner.convert(data, name, mime), SafeCopy)

        return run

    print(f"safe copies, median of {rounds} rounds, {SETTINGS.pdf_dpi} dpi, text layer on")
    print(f"{'input':<26}{'baseline':>10}{'in-process':>12}{'runner':>10}"
          f"{'per unit (runner)':>20}{'ratio':>8}")  # fmt: skip
    cases: list[tuple[str, bytes, float, str, Callable[[bytes], None], Callable[[bytes], None],
                      Callable[[bytes], None]]] = []  # fmt: skip
    for pages in (1, 10, 50):
        data = make_pdf(pages)
        cases.append((f"PDF {pages} p ({len(data) // 1024} KB)", data, pages, "page",
                      render_only, in_process(safe_pdf, Kind.PDF),
                      through_runner("application/pdf", "a.pdf")))  # fmt: skip
    for size, images in ((0.5, False), (2.0, False), (2.0, True), (8.0, True)):
        data = make_docx(size, images=images)
        label = f"docx {len(data) / 2**20:.1f} MB {'images' if images else 'text'}"
        local = in_process(safe_ooxml, Kind.WORD)
        cases.append(
            (label, data, len(data) / 2**20, "MB", rezip, local, through_runner(DOCX, "a.docx"))
        )
    for label, data, units, unit, base, local, isolated in cases:
        times: list[list[float]] = [[], [], []]
        for _ in range(rounds):  # alternate, one run of each at a time
            for mode, function in enumerate((base, local, isolated)):
                times[mode].append(median_ms(function, data, 1))
        base_ms, local_ms, run_ms = (statistics.median(t) for t in times)
        per = f"{run_ms / units:.0f} ms/{unit}"
        print(f"{label:<26}{base_ms:>9.0f} {local_ms:>11.0f} {run_ms:>9.0f} {per:>19}"
              f"{run_ms / base_ms:>8.1f}")  # fmt: skip

    print("\nper job: the runner's forked process against a fresh interpreter")
    nothing = runner._job(b"", "n", "", Kind.OTHER)  # the excerpt task refuses it at once
    fork_ms = median_ms(lambda _: runner.run(EXCERPT, nothing), b"", rounds)
    imports = ("import pypdfium2, reportlab.pdfgen.canvas, PIL.Image, lxml.etree, docx, "
               "openpyxl, pptx, msoffcrypto, pyzipper, xlrd")  # fmt: skip
    spawn_ms = median_ms(lambda _: subprocess.run([sys.executable, "-c", imports], check=True),
                         b"", rounds)  # fmt: skip
    print(
        f"  forked job (no work) {fork_ms:.0f} ms; fresh interpreter {spawn_ms:.0f} ms; "
        f"ratio {spawn_ms / fork_ms:.1f}"
    )

    print("\ntext excerpts (500 characters)")
    for label, data, name, mime in (
        ("PDF 50 pages", make_pdf(50), "a.pdf", "application/pdf"),
        ("docx 2 MB text", make_docx(2.0, images=False), "a.docx", DOCX),
        ("CSV 1 MB CP932 (in-process)", ("氏名,所属,金額\n" * 40000).encode("cp932"), "a.csv",
         "text/plain"),
    ):  # fmt: skip

        def excerpt(data: bytes, name: str = name, mime: str = mime) -> None:
            assert isinstance(runner.excerpt(data, name, mime), Excerpt)

        ms = median_ms(excerpt, data, rounds)
        print(f"  {label:<30}{ms:>8.0f} ms")


if __name__ == "__main__":
    main()
