"""/api/v1/quarantine/{id}/offers and …/items/{n}/{offer,safecopy,unlock} over HTTP: roles,
the release a request makes, PPAP with its 429, and the password nowhere after."""

from __future__ import annotations

import logging

import pytest

from gateway.quarantine import AuditFilter
from tests.api.conftest import Api
from tests.plane import ADMIN, LOCAL, mail
from tests.safecopy import samples

PASSWORD = "Zx82-kL01"


def _ppap_mail(api: Api) -> str:
    archive = samples.zip_bytes({"請求書.pdf": samples.pdf([["請求書"]])},
                                password=PASSWORD.encode())  # fmt: skip
    return api.world.quarantine(mail("PPAP", attachments=(
        ("書類.zip", archive, "application/zip"),))).id  # fmt: skip


def test_offers_and_a_safe_copy_request(api: Api) -> None:
    raw = mail("OFFER", attachments=(("請求書.pdf", samples.pdf([["請求書"]]), "application/pdf"),
                                     ("a.exe", b"MZ\x90\x00" + b"\x00" * 200,
                                      "application/octet-stream")))
    qid = api.world.quarantine(raw).id
    with api.client("viewer") as viewer:
        offers = viewer.get(f"/api/v1/quarantine/{qid}/offers").json()
        assert [(o["item"]["index"], o["available"], o["why"]) for o in offers] == [
            (0, True, ""), (1, False, "unsupported")]
        one = viewer.get(f"/api/v1/quarantine/{qid}/items/0/offer").json()
        assert one["kind"] == "pdf" and one["approval"] == "approval"
        assert viewer.get(f"/api/v1/quarantine/{qid}/items/5/offer").status_code == 404
        refused = viewer.post(f"/api/v1/quarantine/{qid}/items/0/safecopy")
        assert refused.status_code == 403
    with api.client("operator") as operator:
        made = operator.post(f"/api/v1/quarantine/{qid}/items/0/safecopy",
                             json={"to": [f"soumu@{LOCAL}"], "comment": "確認"})
        assert made.status_code == 201, made.text
        release = made.json()
        assert release["what"] == "safecopy" and release["items"] == [0]
        assert release["state"] == "requested" and release["recipients"] == [f"soumu@{LOCAL}"]
        again = operator.post(f"/api/v1/quarantine/{qid}/items/0/safecopy",
                              json={"to": [f"soumu@{LOCAL}"]})
        assert again.status_code == 200 and again.json()["id"] == release["id"]
        bad = operator.post(f"/api/v1/quarantine/{qid}/items/1/safecopy")
        assert bad.status_code == 422 and "unsupported" in bad.json()["message"]
        listed = operator.get("/api/v1/releases", params={"quarantine_id": qid}).json()
        assert [r["what"] for r in listed["items"]] == ["safecopy"]


def test_unlock_wrong_right_and_the_limit(api: Api, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    qid = _ppap_mail(api)
    with api.client("viewer") as viewer:
        assert viewer.post(f"/api/v1/quarantine/{qid}/items/0/unlock",
                           json={"password": PASSWORD}).status_code == 403
    with api.client("operator") as operator:
        wrong = operator.post(f"/api/v1/quarantine/{qid}/items/0/unlock",
                              json={"password": "guess-1"})
        assert wrong.status_code == 200 and wrong.json()["opened"] is False
        assert wrong.json()["reason"] == "wrong-password"
        right = operator.post(f"/api/v1/quarantine/{qid}/items/0/unlock",
                              json={"password": PASSWORD}).json()
        assert right["opened"] and [i["filename"] for i in right["items"]] == ["請求書.pdf"]
        assert right["items"][0]["parent"] == 0
        detail = operator.get(f"/api/v1/quarantine/{qid}").json()
        assert [i["parent"] for i in detail["items"]] == [None, 0]
        missing = operator.post(f"/api/v1/quarantine/{qid}/items/0/unlock", json={})
        assert missing.status_code == 422 and PASSWORD not in missing.text
    audit = "".join(api.services.audit.export(ADMIN, AuditFilter()))
    assert PASSWORD not in audit and "guess-1" not in audit and "safecopy.unlock" in audit
    assert PASSWORD not in caplog.text and "guess-1" not in caplog.text


def test_too_many_wrong_passwords_is_429_with_retry_after(api: Api) -> None:
    qid = _ppap_mail(api)
    limit = api.world.settings.safecopy.unlock_failures_per_mail
    with api.client("operator") as operator:
        for n in range(limit):
            answer = operator.post(f"/api/v1/quarantine/{qid}/items/0/unlock",
                                   json={"password": f"guess-{n}"})
            assert answer.json()["reason"] == "wrong-password"
        refused = operator.post(f"/api/v1/quarantine/{qid}/items/0/unlock",
                                json={"password": PASSWORD})
    assert refused.status_code == 429 and refused.json()["error"] == "too-many-attempts"
    assert 3500 <= int(refused.headers["Retry-After"]) <= 3600
    denied = api.services.audit.entries(ADMIN, AuditFilter(action="safecopy.unlock",
                                                           result="denied"))
    assert len(denied) == 1 and "too many wrong passwords" in denied[0].reason
