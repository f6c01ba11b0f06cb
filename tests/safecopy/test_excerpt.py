"""Text excerpts: Japanese text right in every format, cut at the budget."""

from __future__ import annotations

import codecs
import datetime as dt

import pytest

from gateway.pipeline.parts import detect_type
from gateway.safecopy import Excerpt, NoSafeCopy, Reason, SafeCopyRunner
from tests.safecopy import samples

CSV_JA = "氏名,所属,金額\n山田太郎,総務課,１０，０００円\n髙橋①,財政課,㈱テスト\n"


def _excerpt(runner: SafeCopyRunner, data: bytes, name: str, **kw: object) -> Excerpt:
    result = runner.excerpt(data, name, detect_type(data), **kw)  # type: ignore[arg-type]
    assert isinstance(result, Excerpt), result
    return result


CSV_EUC = CSV_JA.replace("髙橋①", "高橋").replace("㈱", "（株）")  # EUC-JP has neither


@pytest.mark.parametrize(
    ("encoded", "text"),
    [
        (CSV_JA.encode("cp932"), CSV_JA),
        (CSV_JA.encode("utf-8"), CSV_JA),
        (codecs.BOM_UTF8 + CSV_JA.encode("utf-8"), CSV_JA),
        (CSV_EUC.encode("euc_jp"), CSV_EUC),
        (codecs.BOM_UTF16_LE + CSV_JA.encode("utf-16-le"), CSV_JA),
    ],
    ids=["cp932", "utf-8", "utf-8-bom", "euc-jp", "utf-16-bom"],
)
def test_csv_in_japanese_charsets(runner: SafeCopyRunner, encoded: bytes, text: str) -> None:
    result = _excerpt(runner, encoded, "名簿.csv")
    assert result.text == text.strip() and not result.truncated


def test_long_text_is_cut_and_marked(runner: SafeCopyRunner) -> None:
    text = ("あいうえお" * 30 + "\n") * 100
    result = _excerpt(runner, text.encode("cp932"), "a.txt", max_chars=200)
    assert len(result.text) == 200 and result.truncated
    assert result.text.startswith("あいうえお")


def test_docx_paragraphs_and_table(runner: SafeCopyRunner) -> None:
    data = samples.docx_bytes(
        ["令和6年度 予算案", "担当：髙橋"], [["項目", "金額"], ["消耗品", "5,000円"]]
    )
    result = _excerpt(runner, data, "予算.docx")
    assert result.text == "令和6年度 予算案\n担当：髙橋\n項目 | 金額\n消耗品 | 5,000円"


def test_xlsx_rows_with_values(runner: SafeCopyRunner) -> None:
    data = samples.xlsx_bytes(
        [
            ["日付", "件名", "金額"],
            [dt.datetime(2024, 4, 1), "備品購入", 12000],
            [None, "合計", 12000.5],
        ],
        title="経費",
    )
    result = _excerpt(runner, data, "経費.xlsx")
    assert (
        result.text
        == "[経費]\n日付 | 件名 | 金額\n2024-04-01 | 備品購入 | 12000\n | 合計 | 12000.5"
    )


def test_pptx_slides(runner: SafeCopyRunner) -> None:
    data = samples.pptx_bytes([["会議資料", "議題一", "議題二"], ["まとめ"]])
    result = _excerpt(runner, data, "資料.pptx")
    assert result.text == "[1]\n会議資料\n議題一\n議題二\n[2]\nまとめ"


def test_pdf_text(runner: SafeCopyRunner) -> None:
    data = samples.pdf([["請求書 令和6年度", "合計 10,000円 ①㈱髙"], ["二ページ目"]])
    result = _excerpt(runner, data, "請求書.pdf")
    assert result.text == "請求書 令和6年度\n合計 10,000円 ①㈱髙\n二ページ目"


def test_macro_documents_have_excerpts_too(runner: SafeCopyRunner) -> None:
    assert "見積書をお送りします。" in _excerpt(runner, samples.hostile_docm(), "a.docm").text
    assert _excerpt(runner, samples.hostile_xlsm(), "a.xlsm").text.startswith("[Sheet1]\n売上")


def test_html_is_rendered_without_hidden_text(runner: SafeCopyRunner) -> None:
    html = (
        '<html><head><meta charset="shift_jis"><style>p{}</style></head><body>'
        "<h1>お知らせ</h1><p>本文です。</p><div style='display:none'>隠し文字</div>"
        "<script>alert(1)</script></body></html>"
    ).encode("cp932")
    result = _excerpt(runner, html, "a.html")
    assert "お知らせ" in result.text and "本文です。" in result.text
    assert "隠し文字" not in result.text and "alert" not in result.text


def test_opendocument_text(runner: SafeCopyRunner) -> None:
    content = (
        '<?xml version="1.0" encoding="UTF-8"?><office:document-content xmlns:office='
        '"urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:text="urn:oasis:names:tc:'
        'opendocument:xmlns:text:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:'
        'table:1.0">'
        "<office:body><office:text><text:h>議事録</text:h><text:p>出席者：<text:span>3名</text:span>"
        "</text:p><table:table><table:table-row><table:table-cell><text:p>a</text:p>"
        "</table:table-cell><table:table-cell><text:p>b</text:p></table:table-cell>"
        "</table:table-row></table:table></office:text></office:body></office:document-content>"
    )
    data = samples.zip_bytes(
        {
            "mimetype": b"application/vnd.oasis.opendocument.text",
            "content.xml": content.encode(),
            "META-INF/manifest.xml": b"<m/>",
        }
    )
    result = runner.excerpt(data, "a.odt", "application/vnd.oasis.opendocument.text")
    assert isinstance(result, Excerpt), result
    assert result.text == "議事録\n出席者：3名\na | b"


def test_legacy_word_without_libreoffice_says_so(runner: SafeCopyRunner) -> None:
    result = runner.excerpt(b"\xd0\xcf\x11\xe0" + b"\0" * 600, "a.doc", "application/msword")
    if isinstance(result, NoSafeCopy) and result.reason is Reason.NO_CONVERTER:
        assert "LibreOffice" in result.detail
    else:  # a host with LibreOffice reads (or refuses) the file itself
        assert isinstance(result, NoSafeCopy | Excerpt)


def test_excerpt_off_and_unsupported(runner: SafeCopyRunner) -> None:
    off = runner.excerpt(b"text", "a.txt", "text/plain", max_chars=0)
    assert isinstance(off, NoSafeCopy) and off.reason is Reason.POLICY
    exe = runner.excerpt(b"MZ\x90\0", "a.exe", "application/x-dosexec")
    assert isinstance(exe, NoSafeCopy) and exe.reason is Reason.UNSUPPORTED
