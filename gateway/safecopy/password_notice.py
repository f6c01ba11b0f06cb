"""Candidate passwords in the text of a password notice (the second mail of PPAP).

Pure and bounded: the first 64 KB of the text, at most `limit` candidates, most likely first.
Japanese and English forms: 「パスワード：Ab3x」, 「解凍パスワードは Ab3x です」, 【PW】Ab3x,
「PW: Ab3x」, "The password is Ab3x", and a label alone with the password on one of the next lines.
A value written in full-width letters (Ａｂ３ｘ) is also offered in its half-width form, first,
since archivers are given half-width passwords. Nothing here logs or keeps what it finds.
"""

from __future__ import annotations

import re
import unicodedata

MAX_TEXT = 64 * 1024
MAX_LINES = 2000
MIN_LENGTH, MAX_LENGTH = 4, 64
NEXT_LINES = 3  # lines looked at after a label that has no value of its own

_LABEL = (
    r"(?:パスワ[ーｰ－-]ド|ﾊﾟｽﾜｰﾄﾞ|パスコード|暗証番号|ＰＷ|ＰＡＳＳＷＯＲＤ|ｐａｓｓｗｏｒｄ"
    r"|(?<![A-Za-z])(?:password|passwd|passcode|pass|pwd|pw|p/w)(?![A-Za-z]))"
)
_LINE = re.compile(
    _LABEL + r"(?:\s*[(（][^)）]{0,20}[)）])?"  # （半角英数字）
    r"\s*(?P<sep>[:：=＝]|→|⇒|->|は|is\b|】|」|』|\]|\s)?[\s:：]*(?P<rest>.*)$",
    re.IGNORECASE,
)
_QUOTES = {"「": "」", "『": "』", "【": "】", '"': '"', "'": "'", "“": "”", "[": "]", "<": ">"}
_TRAILING = "。．.、,，)）」』】>!！?？"
_LATER_SEPARATOR = re.compile(r"[:：=＝](?!//)\s*(\S.*)$")  # not the colon of a URL
# A line of another field ("ファイル名：見積.zip") or a file name is not the password.
_FIELD = re.compile(r"[^\x00-\x7f][:：]|：|\.(?:zip|pdf|docx?|xlsx?|pptx?|csv|txt|lzh|7z)$", re.I)
_HIRAGANA = re.compile("[\u3041-\u309f]")
_FULLWIDTH_ASCII = re.compile("[\uff01-\uff5e]")
_NOT_PASSWORDS = (
    "下記", "以下", "別途", "別メール", "別送", "後ほど", "後日", "次の", "次のとおり", "本メール",
    "同じ", "記載", "お知らせ", "送付", "ご連絡", "連絡", "通知", "お送り", "追って", "改めて",
    "設定", "なし", "無し", "不要", "※",
)  # fmt: skip
_ENGLISH_WORDS = {
    "will", "be", "is", "are", "for", "the", "to", "of", "below", "follows", "following",
    "separately", "sent", "in", "on", "and", "you", "your", "has", "was", "protected",
    "required", "attached", "file", "files", "notification", "notice", "a", "an", "this",
    "that", "with", "by", "as", "we", "it", "please", "not", "reset", "change", "expired",
}  # fmt: skip


def _plausible(value: str) -> bool:
    if not MIN_LENGTH <= len(value) <= MAX_LENGTH or any(c.isspace() for c in value):
        return False
    if value.lower() in _ENGLISH_WORDS or value.startswith(_NOT_PASSWORDS):
        return False
    if _HIRAGANA.match(value) or "://" in value or _is_label(value):
        return False
    return any(c.isalnum() for c in value)


def _is_label(value: str) -> bool:
    """「PW:」, 「パスワード」 alone, 「pass=x」: a label, not a value; but "Pass1234" and
    "pw2024!" are passwords that begin like one."""
    match = _LINE.match(value)
    return match is not None and (not match.group("rest") or match.group("sep") is not None)


def _value(rest: str) -> tuple[str, bool]:
    """The value at the start of the rest of a line, and whether it was quoted."""
    rest = rest.strip()
    if rest[:1] in _QUOTES:
        close = rest.find(_QUOTES[rest[0]], 1)
        if close > 1:
            return rest[1:close], True
    token = rest.split(maxsplit=1)[0] if rest else ""
    return token.rstrip(_TRAILING), False


def _variants(value: str) -> list[str]:
    """The value, cut before trailing Japanese (「Ab3xです」), and in half-width form."""
    found = [value]
    particle = _HIRAGANA.search(value)
    if particle is not None and particle.start() > 0:
        found.insert(0, value[: particle.start()].rstrip(_TRAILING))
    if _FULLWIDTH_ASCII.search(value):
        found = [unicodedata.normalize("NFKC", v) for v in found] + found
    return list(dict.fromkeys(found))


def password_candidates(text: str, limit: int = 10) -> list[str]:
    """Strings that may be the password announced in `text`, most likely first."""
    scores: dict[str, tuple[int, int]] = {}  # value → (score, order of first sight)

    def offer(value: str, score: int) -> None:
        for rank, variant in enumerate(_variants(value)):
            if not _plausible(variant):
                continue
            adjusted = score - rank * 2 + (3 if re.search(r"\d", variant) and
                                           re.search(r"[A-Za-z]", variant) else 0)  # fmt: skip
            best = scores.get(variant)
            if best is None or adjusted > best[0]:
                scores[variant] = (adjusted, best[1] if best else len(scores))

    lines = text[:MAX_TEXT].splitlines()[:MAX_LINES]
    for number, line in enumerate(lines):
        match = _LINE.search(line)
        if match is None:
            continue
        value, quoted = _value(match.group("rest"))
        strong = match.group("sep") in (":", "：", "=", "＝", "→", "⇒", "->")
        if value and _plausible(_variants(value)[0]):
            score = (100 if strong else 90) + (5 if quoted else 0)
            offer(value, score)
            whole = match.group("rest").split(maxsplit=1)[0]
            if not quoted and whole != value and whole.isascii():  # "Abc123!" ends in "!"
                offer(whole, score - 3)
            continue
        later = _LATER_SEPARATOR.search(match.group("rest"))  # "password for the file: Ab3x"
        if later is not None:
            offer(_value(later.group(1))[0], 85)
            continue
        following = [ln.strip() for ln in lines[number + 1 : number + 1 + NEXT_LINES * 2]]
        for distance, candidate in enumerate([ln for ln in following if ln][:NEXT_LINES]):
            inner, quoted = _value(candidate)
            if (inner == candidate.rstrip(_TRAILING) or quoted) and not _FIELD.search(inner):
                offer(inner, 70 - 5 * distance)
    ranked = sorted(scores.items(), key=lambda item: (-item[1][0], item[1][1]))
    return [value for value, _ in ranked[: max(0, limit)]]
