"""What text excerpts in the notice cost the text mail: sanitize() with the worker's excerpter
(gateway.safecopy.excerpter.RunnerExcerpter over a warm SafeCopyRunner) against sanitize()
without one, on the same mails, in alternating rounds in one process, as a worker runs them.

    (b)  bench/relay_bench.py's mail (b): newsletter_mail(50_000, 200_000); its "PDF" is 200 KB
         of noise after a %PDF header, which PDFium refuses (no excerpt, a note)
    (c)  the same 50 KB newsletter with a real 10-page Japanese PDF (reportlab)
    (d)  a short mail with three documents: a 3-page PDF, a docx and an xlsx (one process)

    python bench/excerpt_bench.py [--rounds 5] [--mails 30]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from email.message import EmailMessage
from email.policy import SMTP
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.newsletter import newsletter_html, newsletter_mail
from bench.safecopy_bench import make_pdf
from gateway.config import Settings
from gateway.pipeline import sanitize
from gateway.safecopy import SafeCopyRunner
from gateway.safecopy.excerpter import RunnerExcerpter

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Converter processes re-run this file as __mp_main__: module level stays imports only.


def _mail(html: str, *attachments: tuple[str, bytes, str]) -> bytes:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "news@example.co.jp", "staff@city.example.lg.jp", "x"
    msg.set_content(html, subtype="html")
    for name, data, mime in attachments:
        maintype, subtype = mime.split("/")
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return msg.as_bytes(policy=SMTP)


def mails() -> dict[str, bytes]:
    import io

    import docx
    import openpyxl

    document = docx.Document()
    for n in range(40):
        document.add_paragraph(f"第{n + 1}条 本規程は、令和9年度の予算執行について定める。")
    word = io.BytesIO()
    document.save(word)
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    for n in range(200):
        sheet.append([f"科目{n}", n * 1000, "総務課"])
    excel = io.BytesIO()
    book.save(excel)
    return {
        "(b) 50 KB HTML + 200 KB noise 'PDF'": newsletter_mail(50_000, 200_000),
        "(c) 50 KB HTML + real 10-page PDF": _mail(
            newsletter_html(50_000, 1), ("report.pdf", make_pdf(10), "application/pdf")),
        "(d) text + PDF, docx, xlsx": _mail("<p>資料を送付します。</p>",
                                            ("a.pdf", make_pdf(3), "application/pdf"),
                                            ("b.docx", word.getvalue(), DOCX),
                                            ("c.xlsx", excel.getvalue(), XLSX)),
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--mails", type=int, default=30, help="sanitize calls per mode per round")
    args = ap.parse_args()
    settings = Settings()
    runner = SafeCopyRunner(settings.safecopy)
    excerpter = RunnerExcerpter(runner)
    inputs = mails()
    for raw in inputs.values():  # warm: the fork server's imports, the sanitizer's caches
        sanitize(raw, settings.sanitize, excerpter=excerpter)
    print(f"median of {args.rounds} rounds x {args.mails} mails, ms per mail; "
          "baseline = sanitize() without an excerpter, same run")
    print(f"{'mail':40} {'size KB':>8} {'baseline':>9} {'excerpts':>9} {'added':>7} {'ratio':>6}")
    for name, raw in inputs.items():
        times: dict[str, list[float]] = {"off": [], "on": []}
        for _ in range(args.rounds):
            for mode in ("off", "on"):
                started = time.perf_counter()
                for _ in range(args.mails):
                    sanitize(raw, settings.sanitize,
                             excerpter=excerpter if mode == "on" else None)
                times[mode].append((time.perf_counter() - started) * 1e3 / args.mails)
        off, on = statistics.median(times["off"]), statistics.median(times["on"])
        print(f"{name:40} {len(raw) / 1024:8.0f} {off:9.1f} {on:9.1f} {on - off:7.1f} "
              f"{off / on:6.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
