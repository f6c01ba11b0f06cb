"""Every sentence the sanitizer writes into a mail, per language, in one table."""

from __future__ import annotations

from gateway.types import Language, PartFlag

_LABELS: dict[Language, dict[str, str]] = {
    Language.JA: {
        "forwarded": "---------- 転送されたメッセージ ----------",
        "from": "差出人",
        "date": "日時",
        "subject": "件名",
        "no_body": "（本文はありません）",
        "embedded_removed": "[本文に埋め込まれたファイルを削除しました: {name}]",
        "unnamed": "（名前なし）",
        "calendar": "[予定表（招待）の内容]",
        "attached_text": "[添付テキスト: {name}]",
        "bullet": "・ ",
        "image": "画像",
        "embedded_content_removed": "[埋め込みコンテンツ削除]",
        "url_removed": "[URL削除]",
        "form_action": "[フォームの送信先: {url}]",
        "refresh": "[自動的に移動する先: {url}]",
        "signature_removed": "電子署名を削除しました（署名の検証はされていません）。",
        "encrypted_body": "[暗号化されたメールのため本文を表示できません。原本は隔離されています]",
        "encrypted_note": "暗号化されたメールのため、本文を表示できません。",
        "tnef_body": "[winmail.dat の本文]",
        "text_truncated": "本文が長すぎるため、途中までを表示しています。",
        "charset_guess": "本文の文字コードを推定して表示しています（文字化けの可能性があります）。",
        "html_converted": "HTML形式の本文をテキストに変換しました。",
        "links_neutralized": "本文中のURLは誤ってアクセスしないよう無効化しています（例: hxxp://example[.]com）。",
        # structure, parts and pointers (issue 10)
        "contains": "含まれるファイル: {names}",
        "more": "（ほか {n} 件）",
        "external_note": "外部のデータを指す部分（message/external-body）がありました。"
        "指す先は取得していません。",
        "partial_note": "分割して送られたメールの一部（message/partial）です。"
        "組み立てずに隔離しています。",
        "pdf_active": "PDF内の動作: {names}",
        "css_uncertain": "HTMLの書式指定が大きすぎるため確認しきれず、元のメールでは見えない文字が"
        "表示されている可能性があります。",
        # text excerpts of removed documents (issue 11)
        "excerpt": "内容の抜粋（先頭{chars}文字まで、リンクは無効化）:",
        "excerpt_more": "（以下省略）",
        "excerpt_none": "内容の抜粋: なし（{why}）",
    },
    Language.EN: {
        "forwarded": "---------- Forwarded message ----------",
        "from": "From",
        "date": "Date",
        "subject": "Subject",
        "no_body": "(no body)",
        "embedded_removed": "[A file embedded in the text was removed: {name}]",
        "unnamed": "(no name)",
        "calendar": "[Calendar invitation]",
        "attached_text": "[Attached text: {name}]",
        "bullet": "- ",
        "image": "image",
        "embedded_content_removed": "[embedded content removed]",
        "url_removed": "[URL removed]",
        "form_action": "[The form sends to: {url}]",
        "refresh": "[The page moves on by itself to: {url}]",
        "signature_removed": "The digital signature was removed (it was not verified).",
        "encrypted_body": "[This message is encrypted and cannot be shown. "
        "The original is quarantined.]",
        "encrypted_note": "The message is encrypted; its body cannot be shown.",
        "tnef_body": "[Text of winmail.dat]",
        "text_truncated": "The body was too long and is shown only in part.",
        "charset_guess": "The character set of the body was guessed (the text may be garbled).",
        "html_converted": "The HTML body was converted to plain text.",
        "links_neutralized": "Links were made inactive so they cannot be opened by mistake "
        "(e.g. hxxp://example[.]com).",
        # structure, parts and pointers (issue 10)
        "contains": "contains: {names}",
        "more": " (+{n} more)",
        "external_note": "A part pointed at data kept elsewhere (message/external-body); "
        "it was not fetched.",
        "partial_note": "This is one fragment of a mail sent in pieces (message/partial); "
        "it was not reassembled and is quarantined.",
        "pdf_active": "PDF actions: {names}",
        "css_uncertain": "The message's style sheet was too large to check completely: some "
        "text shown here may have been invisible in the original.",
        # text excerpts of removed documents (issue 11)
        "excerpt": "Text excerpt (first {chars} characters, links made inactive):",
        "excerpt_more": "(more not shown)",
        "excerpt_none": "Text excerpt: none ({why})",
    },
}

_FLAGS: dict[Language, dict[str, str]] = {
    Language.JA: {
        PartFlag.TYPE_MISMATCH: "拡張子・宣言と中身の種類が不一致",
        PartFlag.EXECUTABLE: "実行ファイル",
        PartFlag.DANGEROUS_EXTENSION: "危険な拡張子",
        PartFlag.ENCRYPTED_ARCHIVE: "パスワード付き圧縮ファイル",
        PartFlag.PASSWORD_PROTECTED: "パスワード保護",
        PartFlag.MACROS: "マクロを含む",
        PartFlag.ARCHIVE: "圧縮ファイル",
        PartFlag.INLINE_IMAGE: "本文中の画像",
        PartFlag.SIGNATURE: "電子署名",
        PartFlag.ENCRYPTED_MESSAGE: "暗号化メール",
        PartFlag.CALENDAR: "予定表",
        PartFlag.TNEF: "Outlook形式(winmail.dat)",
        PartFlag.EMBEDDED_IN_TEXT: "本文に埋め込み",
        PartFlag.TRUNCATED: "破損・不完全",
        PartFlag.ALTERNATIVE_BODY: "代替本文",
        PartFlag.EMPTY: "中身が空",
        PartFlag.EXTERNAL_BODY: "外部データへの参照",
        PartFlag.PARTIAL: "分割メールの一部",
        PartFlag.BROKEN_STRUCTURE: "壊れたMIME構造から切り出し",
        PartFlag.ACTIVE_CONTENT: "自動実行・スクリプトを含む",
        PartFlag.EMBEDDED_FILES: "ファイルを内包",
        PartFlag.PADDED_NAME: "空白で拡張子を隠した名前",
    },
    Language.EN: {
        PartFlag.TYPE_MISMATCH: "content does not match its name or declared type",
        PartFlag.EXECUTABLE: "executable",
        PartFlag.DANGEROUS_EXTENSION: "dangerous file name",
        PartFlag.ENCRYPTED_ARCHIVE: "password-protected archive",
        PartFlag.PASSWORD_PROTECTED: "password-protected",
        PartFlag.MACROS: "contains macros",
        PartFlag.ARCHIVE: "archive",
        PartFlag.INLINE_IMAGE: "inline image",
        PartFlag.SIGNATURE: "digital signature",
        PartFlag.ENCRYPTED_MESSAGE: "encrypted message",
        PartFlag.CALENDAR: "calendar",
        PartFlag.TNEF: "Outlook winmail.dat",
        PartFlag.EMBEDDED_IN_TEXT: "embedded in the text",
        PartFlag.TRUNCATED: "damaged or incomplete",
        PartFlag.ALTERNATIVE_BODY: "alternative body",
        PartFlag.EMPTY: "empty",
        PartFlag.EXTERNAL_BODY: "points at external data",
        PartFlag.PARTIAL: "fragment of a split mail",
        PartFlag.BROKEN_STRUCTURE: "cut from a broken MIME structure",
        PartFlag.ACTIVE_CONTENT: "runs actions or scripts when opened",
        PartFlag.EMBEDDED_FILES: "contains embedded files",
        PartFlag.PADDED_NAME: "name padded with blanks to hide its extension",
    },
}

_REASONS: dict[Language, dict[str, str]] = {
    Language.JA: {
        "too-large": "メールのサイズが上限を超えている",
        "header-too-large": "ヘッダーが大きすぎる",
        "too-many-headers": "ヘッダーの数が多すぎる",
        "too-many-parts": "添付・パートの数が多すぎる",
        "too-deep": "MIME構造の入れ子が深すぎる",
        "time-limit": "無害化の処理時間が上限を超えた",
        "internal-error": "無害化処理で予期しないエラーが発生した",
        "ambiguous-headers": "同じパートに読み方の異なるContent-Type等が複数ある",
    },
    Language.EN: {
        "too-large": "the message is larger than allowed",
        "header-too-large": "the header is too large",
        "too-many-headers": "it has too many header fields",
        "too-many-parts": "it has too many parts",
        "too-deep": "its MIME structure is nested too deeply",
        "time-limit": "sanitizing it took longer than allowed",
        "internal-error": "the sanitizer met an unexpected error",
        "ambiguous-headers": "one part has two Content-Type or Content-Transfer-Encoding "
        "fields that read differently",
    },
}


# Why a removed document has no excerpt or no safe copy: gateway.safecopy Reason words and the
# excerpt stage's own.
_EXCERPT_REFUSALS: dict[Language, dict[str, str]] = {
    Language.JA: {
        "timeout": "時間切れ", "skipped": "件数・時間の上限のため省略",
        "too-large": "大きすぎるため",
        "too-many-pages": "ページ数が上限を超えるため", "too-many-pixels": "大きすぎるため",
        "zip-bomb": "展開サイズが上限を超えるため", "memory": "メモリの上限を超えたため",
        "crashed": "読み取り処理が異常終了したため", "failed": "読み取れなかったため",
        "password-protected": "パスワード保護のため", "empty": "文字がありません",
        "no-converter": "読み取るソフトウェアがないため", "policy": "設定により行いません",
        "unsupported": "この形式は読み取りません", "wrong-password": "パスワードが違います",
    },
    Language.EN: {
        "timeout": "timed out", "skipped": "past the number or time allowed per mail",
        "too-large": "too large", "too-many-pages": "too many pages",
        "too-many-pixels": "too large", "zip-bomb": "expands past the limit",
        "memory": "past the memory limit", "crashed": "the reader stopped abnormally",
        "failed": "could not be read", "password-protected": "password-protected",
        "empty": "no text", "no-converter": "no reader installed for it",
        "policy": "turned off by the site", "unsupported": "this format is not read",
        "wrong-password": "wrong password",
    },
}  # fmt: skip


# The calendar summary (ical.py): what an invitation asks for, and the words around it.
CALENDAR_METHODS: dict[Language, dict[str, str]] = {
    Language.JA: {
        "REQUEST": "会議出席依頼", "CANCEL": "会議のキャンセル", "REPLY": "出欠の返信",
        "PUBLISH": "予定の公開", "COUNTER": "日時変更の提案", "DECLINECOUNTER": "変更提案の辞退",
        "ADD": "予定の追加", "REFRESH": "最新情報の要求",
    },
    Language.EN: {
        "REQUEST": "Meeting request", "CANCEL": "Meeting cancelled", "REPLY": "Meeting reply",
        "PUBLISH": "Published event", "COUNTER": "Counter-proposal",
        "DECLINECOUNTER": "Counter-proposal declined", "ADD": "Added occurrence",
        "REFRESH": "Refresh request",
    },
}  # fmt: skip
CALENDAR_WORDS: dict[Language, dict[str, str]] = {
    Language.JA: {
        "summary": "件名", "when": "日時", "where": "場所", "organizer": "主催者",
        "description": "説明", "reply": "返答", "all_day": "終日", "event": "予定",
        "more": "ほか {n} 件の予定は省略しました", "empty": "(予定の内容を読み取れませんでした)",
        "ACCEPTED": "承諾", "DECLINED": "辞退", "TENTATIVE": "仮承諾", "DELEGATED": "代理",
    },
    Language.EN: {
        "summary": "What", "when": "When", "where": "Where", "organizer": "Organizer",
        "description": "Description", "reply": "Answer", "all_day": "all day", "event": "Event",
        "more": "{n} more events not shown", "empty": "(the event could not be read)",
        "ACCEPTED": "accepted", "DECLINED": "declined", "TENTATIVE": "tentative",
        "DELEGATED": "delegated",
    },
}  # fmt: skip


def label(language: Language, key: str, **values: str) -> str:
    text = _LABELS[language][key]
    return text.format(**values) if values else text


def flag_label(language: Language, flag: str) -> str:
    return _FLAGS[language].get(flag, flag)


def reason_label(language: Language, reason: str) -> str:
    return _REASONS[language].get(reason, reason)


def refusal_label(language: Language, reason: str) -> str:
    return _EXCERPT_REFUSALS[language].get(reason, _EXCERPT_REFUSALS[language]["failed"])
