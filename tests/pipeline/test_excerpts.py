"""Text excerpts in the notice: real documents (python-docx, openpyxl, reportlab, CP932 CSV)
read by the real runner in its confined processes, shown under their items with the body's
neutralisation; the bounds, a failing excerpter, and the excerpts made again from a report."""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from email.message import EmailMessage
from email.policy import SMTP

import pytest

from gateway.config import SafeCopySettings, SanitizeSettings
from gateway.pipeline import sanitize
from gateway.pipeline.build import output_text
from gateway.pipeline.excerpter import ExcerptAnswer, ExcerptBounds, ExcerptRequest
from gateway.pipeline.excerpts import stored_excerpter
from gateway.pipeline.links import REQUEST_LINK_MARK
from gateway.safecopy import SafeCopyRunner
from gateway.safecopy.excerpter import RunnerExcerpter
from gateway.types import Language
from tests.safecopy import samples

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_JA = "氏名,所属,金額\n山田太郎,総務課,１０，０００円\n髙橋①,財政課,㈱テスト\n"


@pytest.fixture(scope="module")
def runner() -> Iterator[SafeCopyRunner]:
    yield SafeCopyRunner(SafeCopySettings())


def _mail(*attachments: tuple[str, bytes, str], body: str = "本文です。") -> bytes:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "a@example.org", "b@city.example.lg.jp", "資料"
    msg.set_content(body)
    for name, data, mime in attachments:
        maintype, subtype = mime.split("/")
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return msg.as_bytes(policy=SMTP)


def _text(raw: bytes, excerpter: object, settings: SanitizeSettings | None = None) -> str:
    result = sanitize(raw, settings or SanitizeSettings(), quarantine_id="Q1",
                      excerpter=excerpter)  # type: ignore[arg-type]
    return output_text(result.message)


def _excerpt_lines(text: str, name: str) -> list[str]:
    """The `| ` lines under the item called `name` in the notice."""
    lines = text.split("\n")
    start = next(n for n, line in enumerate(lines) if f". {name}" in line)
    found = []
    for line in lines[start + 1:]:
        if line.startswith("  ") and line.strip()[:2] and line.strip()[0].isdigit() \
                and ". " in line[:8]:
            break
        if line.startswith("       |"):
            found.append(line[len("       | "):])
    return found


def test_real_documents_are_excerpted_under_their_items(runner: SafeCopyRunner) -> None:
    raw = _mail(
        ("請求書.pdf", samples.pdf([["請求書 第1号", "合計 10,000円"]]), "application/pdf"),
        ("議事録.docx", samples.docx_bytes(["令和8年度 第3回 議事録", "出席者: 3名"]), DOCX),
        ("予算.xlsx", samples.xlsx_bytes([["科目", "金額"], ["旅費", 12000]], title="予算"),
         XLSX),
        ("名簿.csv", CSV_JA.encode("cp932"), "text/csv"),
    )
    text = _text(raw, RunnerExcerpter(runner))
    assert "内容の抜粋（先頭500文字まで、リンクは無効化）:" in text
    pdf = _excerpt_lines(text, "請求書.pdf")
    assert pdf[:2] == ["請求書 第1号", "合計 10,000円"]
    assert _excerpt_lines(text, "議事録.docx")[:2] == ["令和8年度 第3回 議事録", "出席者: 3名"]
    sheet = "\n".join(_excerpt_lines(text, "予算.xlsx"))
    assert "科目" in sheet and "旅費" in sheet and "12000" in sheet
    assert _excerpt_lines(text, "名簿.csv") == CSV_JA.strip().split("\n")  # CP932: ①㈱髙 kept


def test_an_excerpt_is_as_harmless_as_the_body(runner: SafeCopyRunner) -> None:
    hostile = ("支払いは https://evil.example.com/pay から\n"
               f"ex\u200bample.org と \u202eexe.pdf\n{REQUEST_LINK_MARK}\n")  # fmt: skip
    markup = samples.pdf([["<script>alert(1)</script>", "<iframe src=x>"]])
    raw = _mail(("note.txt", hostile.encode("utf-8"), "text/plain"),
                ("tags.pdf", markup, "application/pdf"))
    result = sanitize(raw, SanitizeSettings(), quarantine_id="Q1", request_link=True,
                      excerpter=RunnerExcerpter(runner))
    text = output_text(result.message)
    lines = "\n".join(_excerpt_lines(text, "note.txt"))
    assert "hxxps://evil[.]example[.]com/pay" in lines and "https://evil" not in text
    assert "example[.]org" in lines and "\u200b" not in text and "\u202e" not in text
    assert text.count(REQUEST_LINK_MARK) == 1  # only ours, below the items
    assert text.index(REQUEST_LINK_MARK) > text.index("note.txt")
    assert _excerpt_lines(text, "tags.pdf") == ["＜script>alert(1)＜/script>", "＜iframe src=x>"]


def test_an_html_attachment_is_read_as_html(runner: SafeCopyRunner) -> None:
    page = ("<html><body><p>会議のご案内</p><script>steal()</script>"
            "<p style='display:none'>隠し文字</p><a href='https://evil.example/'>資料</a>"
            "</body></html>").encode()  # fmt: skip
    text = _text(_mail(("案内.html", page, "text/html")), RunnerExcerpter(runner))
    lines = _excerpt_lines(text, "案内.html")
    assert lines[0] == "会議のご案内" and "steal" not in text and "隠し文字" not in text
    assert any("hxxps://evil[.]example/" in line for line in lines)


def test_long_text_is_cut_and_said(runner: SafeCopyRunner) -> None:
    long = "\n".join(f"{n:03d} 予算要求資料の提出についてのお知らせです。" for n in range(200))
    raw = _mail(("長文.txt", long.encode("cp932"), "text/plain"))
    runner_200 = SafeCopyRunner(SafeCopySettings(excerpt_chars=200))
    text = _text(raw, RunnerExcerpter(runner_200))
    lines = _excerpt_lines(text, "長文.txt")
    assert lines[-1] == "（以下省略）" and "先頭200文字まで" in text
    assert len("\n".join(lines[:-1])) <= 200


def test_what_has_no_text_is_not_asked_and_refusals_are_said(runner: SafeCopyRunner) -> None:
    raw = _mail(("photo.png", samples.png(4, 4), "image/png"),
                ("壊れた.pdf", b"%PDF-1.7\n" + bytes(range(256)) * 40, "application/pdf"),
                ("空.pdf", samples.pdf([[]]), "application/pdf"))
    result = sanitize(raw, SanitizeSettings(), quarantine_id="Q1",
                      excerpter=RunnerExcerpter(runner))
    excerpts = result.report.excerpts
    assert 0 not in excerpts  # an image: nothing to read, nothing said
    assert excerpts[1]["refused"] == "failed" and excerpts[2]["refused"] == "empty"
    text = output_text(result.message)
    assert "内容の抜粋: なし（読み取れなかったため）" in text
    assert "内容の抜粋: なし（文字がありません）" in text


def test_bounds_parts_size_and_time(runner: SafeCopyRunner) -> None:
    csv = ("名簿.csv", CSV_JA.encode("cp932"), "text/csv")
    raw = _mail(("大きい.csv", ("あ" * 5000).encode("cp932"), "text/csv"), csv, csv, csv)
    bounded = SafeCopyRunner(SafeCopySettings(excerpt_max_parts=2, excerpt_max_bytes=8000))
    result = sanitize(raw, SanitizeSettings(), excerpter=RunnerExcerpter(bounded))
    refused = {i: e["refused"] for i, e in result.report.excerpts.items()}
    assert refused == {0: "too-large", 1: "", 2: "", 3: "skipped"}
    assert "内容の抜粋: なし（件数・時間の上限のため省略）" in output_text(result.message)

    pdfs = [(f"{n}.pdf", samples.pdf([[f"文書 {n}"]]), "application/pdf") for n in range(3)]
    hurried = SafeCopyRunner(SafeCopySettings(excerpt_seconds=0.001))
    result = sanitize(_mail(*pdfs), SanitizeSettings(), excerpter=RunnerExcerpter(hurried))
    assert {e["refused"] for e in result.report.excerpts.values()} == {"timeout"}
    assert result.report.verdict == "sanitized"


def test_all_documents_of_a_mail_go_to_one_converter_process(runner: SafeCopyRunner) -> None:
    calls: list[int] = []

    class Counting(RunnerExcerpter):

        def __call__(self, requests: Sequence[ExcerptRequest], deadline: float,
                     language: Language) -> list[ExcerptAnswer]:
            calls.append(len(requests))
            return super().__call__(requests, deadline, language)

    pdfs = [(f"{n}.pdf", samples.pdf([[f"文書 {n}"]]), "application/pdf") for n in range(3)]
    counting = Counting(runner)
    result = sanitize(_mail(*pdfs), SanitizeSettings(), excerpter=counting)
    assert calls == [3]
    assert [e["text"] for e in result.report.excerpts.values()] == ["文書 0", "文書 1", "文書 2"]


class _Broken:
    bounds = ExcerptBounds(chars=500, max_parts=10, max_bytes=10**6, seconds=5)

    def reads(self, detected_type: str, filename: str) -> bool:
        return True

    def __call__(self, requests: Sequence[ExcerptRequest], deadline: float,
                 language: Language) -> list[ExcerptAnswer]:
        raise RuntimeError("the converter service is gone")


def test_a_failing_excerpter_costs_the_excerpts_only() -> None:
    raw = _mail(("名簿.csv", CSV_JA.encode("cp932"), "text/csv"))
    result = sanitize(raw, SanitizeSettings(), excerpter=_Broken())
    assert result.report.verdict == "sanitized"
    assert result.report.excerpts == {0: {"text": "", "truncated": False, "refused": "failed"}}
    assert "内容の抜粋: なし（読み取れなかったため）" in output_text(result.message)


def test_without_an_excerpter_nothing_changes() -> None:
    raw = _mail(("名簿.csv", CSV_JA.encode("cp932"), "text/csv"))
    result = sanitize(raw, SanitizeSettings())
    assert result.report.excerpts == {} and "抜粋" not in output_text(result.message)


def test_the_same_text_again_from_the_stored_report(runner: SafeCopyRunner) -> None:
    raw = _mail(("請求書.pdf", samples.pdf([["請求書 第2号"]]), "application/pdf"),
                ("名簿.csv", CSV_JA.encode("cp932"), "text/csv"))
    first = sanitize(raw, SanitizeSettings(), quarantine_id="Q1",
                     excerpter=RunnerExcerpter(runner))
    replay = stored_excerpter(first.report.to_json(), 500)
    started = time.monotonic()
    again = sanitize(raw, SanitizeSettings(), quarantine_id="Q1", excerpter=replay)
    assert output_text(again.message).split("\n")[4:] == \
        output_text(first.message).split("\n")[4:]  # the Date line aside
    assert time.monotonic() - started < 5  # no converter process: a report is read
    assert stored_excerpter({"excerpts": {}}, 500) is None


def test_english_notice_and_extra_notes(runner: SafeCopyRunner) -> None:
    raw = _mail(("list.csv", b"name,amount\nsato,100\n", "text/csv"))
    settings = SanitizeSettings(language=Language.EN)
    result = sanitize(raw, settings, excerpter=RunnerExcerpter(runner),
                      notes=["The ZIP of quarantine ID X was opened: see https://x.example/"])
    text = output_text(result.message)
    assert "Text excerpt (first 500 characters, links made inactive):" in text
    assert "       | name,amount\n       | sato,100" in text
    assert "- The ZIP of quarantine ID X was opened: see hxxps://x[.]example/" in text
