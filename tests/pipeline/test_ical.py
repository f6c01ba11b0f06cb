"""Calendar summaries: well-formed invitations through icalendar, broken ones line by line."""

from __future__ import annotations

import email
from email import policy
from pathlib import Path

import icalendar
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.pipeline import ical
from gateway.pipeline.ical import summarize_calendar
from gateway.types import Language

CORPUS = Path(__file__).resolve().parents[2] / ".." / "shared" / "corpus"


def calendar(method: str, *events: str, end: bool = True) -> str:
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//test//EN"]
    lines += [f"METHOD:{method}"] if method else []
    lines += [*events]
    lines += ["END:VCALENDAR"] if end else []
    return "\r\n".join(lines) + "\r\n"


def event(*props: str) -> str:
    return "\r\n".join(["BEGIN:VEVENT", "UID:1@example.jp", "DTSTAMP:20240101T000000Z", *props,
                        "END:VEVENT"])  # fmt: skip


MEETING = event(
    "SUMMARY:予算委員会\\, 第2回",
    "DTSTART;TZID=Asia/Tokyo:20240513T100000",
    "DTEND;TZID=Asia/Tokyo:20240513T113000",
    "LOCATION:本庁舎 3階 会議室A",
    'ORGANIZER;CN="総務課 山田":mailto:yamada@city.example.lg.jp',
    "DESCRIPTION:資料は当日配布します。\\nよろしくお願いします。",
)


def test_request_in_japanese() -> None:
    assert summarize_calendar(calendar("REQUEST", MEETING), Language.JA) == "\n".join([
        "会議出席依頼",
        "",
        "件名: 予算委員会, 第2回",
        "日時: 2024-05-13 10:00 – 11:30 (Asia/Tokyo)",
        "場所: 本庁舎 3階 会議室A",
        "主催者: yamada@city.example.lg.jp",
        "説明:",
        "  資料は当日配布します。",
        "  よろしくお願いします。",
    ])  # fmt: skip


def test_cancel_in_english_with_utc_times() -> None:
    text = calendar("CANCEL", event("SUMMARY:Review", "DTSTART:20240513T010000Z",
                                    "DTEND:20240513T020000Z"))  # fmt: skip
    assert summarize_calendar(text.encode(), Language.EN) == "\n".join([
        "Meeting cancelled", "", "What: Review", "When: 2024-05-13 01:00 – 02:00 (UTC)",
    ])  # fmt: skip


def test_reply_shows_the_answer() -> None:
    text = calendar("REPLY", event("SUMMARY:x", "ATTENDEE;PARTSTAT=DECLINED:mailto:a@b.jp"))
    assert summarize_calendar(text, Language.JA).splitlines()[-1] == "返答: 辞退"


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        ("20240501", "20240502", "日時: 2024-05-01 (終日)"),
        ("20240501", "20240504", "日時: 2024-05-01 – 2024-05-03 (終日)"),
    ],
)
def test_all_day_events(start: str, end: str, expected: str) -> None:
    text = calendar("PUBLISH", event(f"DTSTART;VALUE=DATE:{start}", f"DTEND;VALUE=DATE:{end}"))
    assert expected in summarize_calendar(text, Language.JA).splitlines()


def test_events_over_midnight_show_both_dates() -> None:
    text = calendar("REQUEST", event("DTSTART:20240513T230000Z", "DTEND:20240514T010000Z"))
    assert "When: 2024-05-13 23:00 – 2024-05-14 01:00 (UTC)" in summarize_calendar(
        text, Language.EN
    )


BROKEN = "\r\n".join([
    "BEGIN:VCALENDAR",
    "METHOD:REQUEST",
    "BEGIN:VTIMEZONE",
    "TZID:Tokyo Standard Time",
    "BEGIN:VEVENT",
    "SUMMARY:Budget\\, 2024",
    "  review",
    "DTSTART;TZID=\"Tokyo Standard Time\":20240513T100000",
    "BEGIN:VALARM",
    "DESCRIPTION:REMINDER",
    "END:VALARM",
    "ORGANIZER:mailto:kacho@example.lg.jp",
    "DESCRIPTION:line one\\nline two",
])  # fmt: skip


def test_broken_calendar_uses_the_tolerant_parser() -> None:
    with pytest.raises(ValueError):
        icalendar.Calendar.from_ical(BROKEN)
    assert summarize_calendar(BROKEN, Language.EN) == "\n".join([
        "Meeting request",
        "",
        "What: Budget, 2024 review",
        "When: 2024-05-13 10:00 (Tokyo Standard Time)",
        "Organizer: kacho@example.lg.jp",
        "Description:",
        "  line one",
        "  line two",
    ])  # fmt: skip


def test_long_descriptions_are_cut() -> None:
    text = calendar("REQUEST", event("DESCRIPTION:" + "あ" * 3000))
    lines = summarize_calendar(text, Language.JA).splitlines()
    assert lines[-1] == "  " + "あ" * ical.MAX_DESCRIPTION + " …"


def test_at_most_ten_events() -> None:
    events = [event(f"SUMMARY:event {i}", "DTSTART:20240513T100000Z") for i in range(15)]
    summary = summarize_calendar(calendar("PUBLISH", *events), Language.JA)
    assert summary.count("件名: event") == ical.MAX_EVENTS
    assert summary.splitlines()[-1] == "ほか 5 件の予定は省略しました"


def test_invisible_characters_and_odd_organizers() -> None:
    text = calendar("REQUEST", event("SUMMARY:pay\u202egpj.exe\u200b", "ORGANIZER:CN=nobody"))
    summary = summarize_calendar(text, Language.EN)
    assert "What: paygpj.exe" in summary
    assert "Organizer" not in summary
    assert "\u202e" not in summary and "\u200b" not in summary


def test_shift_jis_calendar_bytes() -> None:
    text = calendar("REQUEST", event("SUMMARY:打合せ", "LOCATION:第一会議室"))
    assert "件名: 打合せ" in summarize_calendar(text.encode("cp932"), Language.JA)


@pytest.mark.parametrize(
    "data",
    [b"", b"\xff\xfe\x00garbage", b"BEGIN:VEVENT\r\nDTSTART:202499T\r\n", "METHOD:\r\n" * 10],
)
def test_garbage_gives_a_short_answer(data: bytes | str) -> None:
    summary = summarize_calendar(data, Language.JA)
    assert summary.splitlines()[-1] == "(予定の内容を読み取れませんでした)"


def test_ten_megabytes_are_bounded() -> None:
    body = event("SUMMARY:big", "DESCRIPTION:" + "x" * 10_000_000)
    summary = summarize_calendar(calendar("REQUEST", body), Language.EN)
    assert summary.splitlines()[2] == "What: big"
    assert len(summary) < 1000
    many = "".join(event(f"SUMMARY:e{i}") + "\r\n" for i in range(100_000))
    summary = summarize_calendar(calendar("PUBLISH", many), Language.EN)
    assert summary.count("What: e") == ical.MAX_EVENTS


@pytest.mark.corpus
def test_corpus_calendar_parts() -> None:
    manifest = CORPUS / "MANIFEST.tsv"
    if not manifest.is_file():
        pytest.skip(f"corpus not found at {CORPUS} (../shared/corpus from the repo root)")
    rows = [line.split("\t") for line in manifest.read_text().splitlines()[1:]]
    paths = [row[0] for row in rows if "calendar" in row[-1].split(",")]
    with_time = 0
    for path in paths:
        message = email.message_from_bytes((CORPUS / path).read_bytes(), policy=policy.compat32)
        for part in message.walk():
            if part.get_content_type() != "text/calendar":
                continue
            data = part.get_payload(decode=True)
            summary = summarize_calendar(data if isinstance(data, bytes) else b"", Language.JA)
            assert summary.strip(), path
            with_time += "日時: " in summary
    assert with_time >= 15


_LINES = ["BEGIN:VCALENDAR", "END:VCALENDAR", "BEGIN:VEVENT", "END:VEVENT", "METHOD:REQUEST",
          "DTSTART;TZID=Asia/:20240101T000000", "DTSTART;VALUE=DATE:00010101", "DTEND:99991231",
          "DTEND:20240101T0000", "SUMMARY:\\", " folded", "ORGANIZER:mailto:", "BEGIN:VALARM",
          "ATTENDEE;PARTSTAT=\"ACC:mailto:x@y", "DESCRIPTION:\\n\\N\\,"]  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_LINES) | st.text(max_size=30), max_size=40))
def test_any_calendar_text_is_handled(lines: list[str]) -> None:
    summary = summarize_calendar("\r\n".join(lines), Language.EN)
    assert summary.splitlines()[0]
    assert "\u202e" not in summary
