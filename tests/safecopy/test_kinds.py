from __future__ import annotations

import pytest

from gateway.config import SafeCopySettings
from gateway.safecopy.kinds import Kind, classify, policy_for, renamed


@pytest.mark.parametrize(
    ("mime", "name", "kind"),
    [
        ("application/pdf", "x.bin", Kind.PDF),
        ("application/vnd.ms-word.document.macroEnabled.12", "a.docm", Kind.WORD),
        ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "a.xlsx", Kind.EXCEL),
        ("application/vnd.ms-excel", "a.xls", Kind.LEGACY_EXCEL),
        ("application/x-ole-storage", "a.PPT", Kind.LEGACY_POWERPOINT),
        ("application/x-ole-storage", "a.msg", Kind.OTHER),
        ("application/CDFV2", "a.doc", Kind.LEGACY_WORD),
        ("application/encrypted", "a.docx", Kind.ENCRYPTED_OFFICE),
        ("text/plain", "名簿.CSV", Kind.CSV),
        ("text/plain", "a.txt", Kind.TEXT),
        ("image/svg+xml", "a.svg", Kind.OTHER),
        ("application/pdf; charset=binary", "a.exe", Kind.PDF),  # the bytes decide
        ("application/x-dosexec", "invoice.pdf", Kind.OTHER),
    ],
)  # fmt: skip
def test_classify(mime: str, name: str, kind: Kind) -> None:
    assert classify(mime, name) is kind


def test_policy_defaults_and_none_for_the_rest() -> None:
    settings = SafeCopySettings.model_validate({"policy": {"image": "attach"}})
    assert policy_for(settings, Kind.PDF) == "on-request"
    assert policy_for(settings, Kind.IMAGE) == "attach"
    assert policy_for(settings, Kind.ZIP) == "none"


@pytest.mark.parametrize(
    ("name", "ext", "expected"),
    [("見積.docm", "docx", "見積.docx"), ("a.tar.gz", "pdf", "a.tar.pdf"),
     ("", "pdf", "attachment.pdf"), ("..\\..\\evil.doc", "pdf", "evil.pdf"),
     (".hidden", "png", "hidden.png")],
)  # fmt: skip
def test_renamed(name: str, ext: str, expected: str) -> None:
    assert renamed(name, ext) == expected
