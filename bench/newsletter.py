"""Generated test mail: an HTML newsletter of a chosen size, optionally with an attachment.

Shaped like what municipal staff receive from vendors and associations: nested layout tables,
inline styles, many links and images, Japanese and English text.
"""

from __future__ import annotations

import base64
import random

# Tag density is calibrated to the corpus: its HTML parts over 8 KB have a median of 61 bytes
# per tag (quartiles 36 / 61 / 100); this block gives ~49, a little denser than the median.
# `dense=True` gives ~25 bytes per tag, denser than 3 in 4 real mails: the stress case.
_BLOCK = """<tr><td style="padding:12px 18px;font-family:'Meiryo',sans-serif;\
color:#333333;font-size:14px;line-height:1.7">
<h2 style="font-size:18px;margin:0 0 8px 0;color:#1a4f8b">
第{n}号 お知らせ: <span style="color:#c00">自治体DX推進セミナー</span>のご案内</h2>
<p style="margin:0 0 12px 0">平素より格別のご高配を賜り、厚く御礼申し上げます。<br>
本セミナーでは、<strong>LGWAN接続系</strong>と<strong>インターネット接続系</strong>の<br>
分離環境における業務効率化の事例、<em>メール無害化</em>の運用上の工夫、<br>
職員の皆様の負担を減らす手順の見直しについて、ご紹介いただきます。<br>
Register &amp; join us online; materials will be shared after the session.</p>
<p style="margin:0 0 12px 0;color:#555555">日時: 2026年12月{d}日 14:00〜16:00<br>
会場: オンライン（Zoom）<br>参加費: 無料（定員300名・先着順）</p>
<a href="https://news.example.co.jp/r/{n}?utm_source=mail&amp;utm_medium=newsletter&amp;id={r}" \
style="display:inline-block;padding:10px 24px;background:#1a4f8b;color:#ffffff;\
text-decoration:none;border-radius:4px">詳細・お申し込みはこちら</a>
<img src="https://img.example.co.jp/banner{n}.png" alt="バナー{n}" width="560"
style="display:block">
</td></tr>
"""
_DENSE_BLOCK = """<tr><td style="padding:8px;font-family:'Meiryo',sans-serif;color:#333">
<h2 style="font-size:18px;margin:0">第{n}号 お知らせ: 自治体DX推進セミナー</h2>
<p style="line-height:1.6">平素より格別のご高配を賜り、厚く御礼申し上げます。本セミナーでは
<strong>LGWAN</strong>環境における業務効率化の事例をご紹介します。Register &amp; join us.</p>
<table width="100%" cellpadding="4"><tr><td>
<a href="https://news.example.co.jp/r/{n}?utm_source=mail&amp;id={r}">詳細はこちら</a></td>
<td><img src="https://img.example.co.jp/banner{n}.png" alt="バナー{n}" width="300"></td>
</tr><tr><td colspan="2"><ul><li>日時: 2026年12月{d}日 14:00〜16:00</li><li>会場: オンライン</li>
<li>参加費: 無料</li></ul></td></tr></table>
<div style="display:none">preheader text {r}</div></td></tr>
"""
_HEAD = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>Newsletter</title>
<style>td{{font-size:14px}} .x{{color:red}}</style></head><body style="margin:0">
<table width="600" align="center" cellspacing="0" style="border:1px solid #ddd">{rows}</table>
<p style="font-size:11px">配信停止は <a href="https://news.example.co.jp/unsubscribe?u={r}">こちら</a></p>
<img src="https://t.example.co.jp/open.gif?u={r}" width="1" height="1"></body></html>"""


def newsletter_html(size: int, seed: int = 1, *, dense: bool = False) -> str:
    rng = random.Random(seed)
    block = _DENSE_BLOCK if dense else _BLOCK
    rows: list[str] = []
    total = 0
    n = 0
    while total < size:
        n += 1
        row = block.format(n=n, r=rng.randrange(10**9), d=1 + n % 28)
        rows.append(row)
        total += len(row.encode())
    return _HEAD.format(rows="".join(rows), r=rng.randrange(10**9))


def newsletter_mail(
    html_size: int, attachment_size: int = 0, seed: int = 1, *, dense: bool = False
) -> bytes:
    html = base64.encodebytes(newsletter_html(html_size, seed, dense=dense).encode()).decode()
    head = (
        "From: =?UTF-8?B?44OL44Ol44O844K5?= <news@example.co.jp>\r\n"
        "To: staff@city.example.lg.jp\r\nSubject: =?UTF-8?B?44GK55+l44KJ44Gb?=\r\n"
        "Date: Thu, 26 Nov 2026 10:00:00 +0900\r\n"
        f"Message-ID: <bench-{seed}@example.co.jp>\r\nMIME-Version: 1.0\r\n"
    )
    html_part = (
        "Content-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        + html.replace("\n", "\r\n")
    )
    if not attachment_size:
        return (head + html_part).encode()
    rng = random.Random(seed)
    pdf = b"%PDF-1.7\n" + rng.randbytes(attachment_size - 9)
    attachment = base64.encodebytes(pdf).decode().replace("\n", "\r\n")
    body = (
        'Content-Type: multipart/mixed; boundary="b1"\r\n\r\n--b1\r\n' + html_part + "--b1\r\n"
        'Content-Type: application/pdf; name="report.pdf"\r\n'
        'Content-Disposition: attachment; filename="report.pdf"\r\n'
        "Content-Transfer-Encoding: base64\r\n\r\n" + attachment + "--b1--\r\n"
    )
    return (head + body).encode()
