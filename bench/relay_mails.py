"""The two mails of bench/relay_bench.py and the envelope they travel in: (a) 20 KB UTF-8 8bit
Japanese/ASCII text; (b) newsletter_mail(50_000, 200_000)."""

from __future__ import annotations

from collections.abc import Callable

from bench.newsletter import newsletter_mail

DOMAIN = "city.example.lg.jp"
RCPT = f"staff@{DOMAIN}"
SENDER = "sender@pref.example.jp"

_PARA = (
    "平素より格別のご高配を賜り、厚く御礼申し上げます。標記の件につきまして、下記のとおり",
    "ご連絡いたします。来年度の予算要求に係る資料の提出期限は12月15日（火）17時です。",
    "提出先: 総務課 財政係（内線 2345）／ Please submit the form as an Excel file.",
    "なお、LGWAN接続系の端末からは参照できない場合がありますので、ご注意ください。",
    "詳細は https://www.city.example.lg.jp/soumu/zaisei/yosan2027.html をご覧ください。",
    "ご不明な点がございましたら、担当までお問い合わせください。よろしくお願いいたします。",
    "Meeting ID: 845 2231 0098 / Passcode: 7731 — 令和8年度 第3回 情報政策連絡会議",
    "・第1項 個人情報の取扱いについては、条例及び規則の定めるところによる。",
)


def text_mail(size: int = 20_000, subject: str = "令和9年度 予算要求資料の提出について") -> bytes:
    """(a): a plain-text mail of `size` body bytes, UTF-8, 8bit, lines well under 998 octets."""
    lines: list[str] = []
    total = 0
    n = 0
    while total < size:
        line = f"{n + 1:03d} {_PARA[n % len(_PARA)]}"
        lines.append(line)
        total += len(line.encode()) + 2
        n += 1
    head = (
        "From: 総務課 <soumu@pref.example.jp>\r\n".encode()
        + b"To: staff@city.example.lg.jp\r\n"
        + b"Subject: "
        + subject.encode()
        + b"\r\nDate: Thu, 26 Nov 2026 10:00:00 +0900\r\n"
        + b"Message-ID: <text20k@pref.example.jp>\r\nMIME-Version: 1.0\r\n"
        + b"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
    )
    return head + "\r\n".join(lines).encode() + b"\r\n"


def with_token(raw: bytes, token: str) -> bytes:
    """The token in the Message-ID (kept as is by both relays) and in the Subject."""
    head, sep, body = raw.partition(b"\r\n\r\n")
    out = []
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"message-id:"):
            line = f"Message-ID: <{token}@bench.example.jp>".encode()
        elif line.lower().startswith(b"subject:"):
            line = b"Subject: " + token.encode() + b" " + line[8:].lstrip()
        out.append(line)
    return b"\r\n".join(out) + sep + body


MAILS: dict[str, Callable[[], bytes]] = {
    "a-text20k": text_mail,
    "b-html50k+pdf200k": lambda: newsletter_mail(50_000, 200_000),
}
