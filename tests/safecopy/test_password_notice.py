"""Candidate passwords from the second mail of PPAP."""

from __future__ import annotations

import pytest

from gateway.safecopy import password_candidates


@pytest.mark.parametrize(
    ("text", "first"),
    [
        ("お世話になっております。\n先ほどのファイルのパスワードをお知らせします。\n\n"
         "パスワード：Ab3xK9q2\n\nよろしくお願いいたします。", "Ab3xK9q2"),
        ("解凍パスワードは 7hGt2pQz です。", "7hGt2pQz"),
        ("【パスワード】\n  Zx82kL01\n", "Zx82kL01"),
        ("PW: qwe!2345", "qwe!2345"),
        ("ＰＷ：ｑｗｅ１２３４", "qwe1234"),
        ("パスワードは下記の通りです。\n\nＡｂ３ｘＫ９ｑ２\n", "Ab3xK9q2"),
        ("パスワード「mK4#p9Lw」", "mK4#p9Lw"),
        ("ﾊﾟｽﾜｰﾄﾞ＝abcd1234です", "abcd1234"),
        ("パスワード：abc123です。", "abc123"),
        ("The password is S3cret-99.", "S3cret-99"),
        ("Password: hunter22", "hunter22"),
        ("password for the zip file: Kx9-aa12", "Kx9-aa12"),
        ("パスワード通知\nファイル名：見積書.zip\nパスワード：8Fj3kQ\n", "8Fj3kQ"),
        ("PW\u3000Ab12Cd34", "Ab12Cd34"),
        ("展開用パスワード(半角英数字)：Pq7-Wx2m", "Pq7-Wx2m"),
    ],
)  # fmt: skip
def test_the_announced_password_comes_first(text: str, first: str) -> None:
    assert password_candidates(text)[0] == first


@pytest.mark.parametrize(
    "text",
    [
        "パスワードは別途お送りします。",
        "Password protected file attached.",
        "Your password will be sent separately.",
        "ご確認のほどよろしくお願いいたします。",
        "パスワードを忘れた場合は https://example.jp/reset から再設定してください。",
        "",
    ],
)
def test_no_candidates_where_no_password_is_given(text: str) -> None:
    assert password_candidates(text) == []


def test_bounded_in_count_and_input() -> None:
    text = "\n".join(f"パスワード{n}：Pw{n:04d}x" for n in range(100))
    assert len(password_candidates(text)) == 10
    assert len(password_candidates(text, limit=3)) == 3
    assert password_candidates("x" * 10_000_000 + "\nパスワード：Late1234") == []


def test_several_files_keep_their_order() -> None:
    text = "A.zip のパスワード：Aa111111\nB.zip のパスワード：Bb222222\n"
    assert password_candidates(text) == ["Aa111111", "Bb222222"]


@pytest.mark.parametrize(
    ("text", "wanted"),
    [
        ("パスワード: Pass1234", "Pass1234"),  # begins like the label "pass"
        ("【パスワード】Pw-7731-xQ", "Pw-7731-xQ"),  # … like "pw"
        ("パスワード：pw2024!", "pw2024!"),  # the "!" may be part of it: offered too
        ("パスワードは Ab3x9. です", "Ab3x9."),
    ],
)  # fmt: skip
def test_passwords_that_look_like_labels_or_end_in_punctuation(text: str, wanted: str) -> None:
    assert wanted in password_candidates(text)


def test_a_label_alone_is_no_password() -> None:
    assert password_candidates("パスワード: password") == []
    assert password_candidates("パスワード：PW: abc123") == ["abc123"]
