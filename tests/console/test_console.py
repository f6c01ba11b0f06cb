"""The administrators' console over HTTP: log-in, every page, the decisions through the same
services as the API (audited), and what it refuses: a form without its CSRF value, a requester
approving their own request, a role that may not."""

from __future__ import annotations

import json
import logging
import re

import lxml.html
import pytest

from gateway.quarantine import AuditFilter
from gateway.services.principal import Principal, Role
from tests.console.conftest import Browser, Site
from tests.plane import ADMIN, APPROVER, LOCAL, STAFF, mail
from tests.safecopy import samples

OPERATOR_NAME = "operator-test"


def _audit(site: Site, **f: str) -> list[tuple[str, str, str]]:
    return [(e.actor, e.action, e.result) for e in
            site.services.audit.entries(ADMIN, AuditFilter(**f))]  # fmt: skip


def test_log_in_with_a_token_and_the_session_cookie(site: Site) -> None:
    browser = site.browser()
    first = browser.get("/console/quarantine")
    assert first.url.path == "/console/login" and first.url.params["next"] == "/console/quarantine"
    refused = browser.submit(first, "/console/login", token="mutaika_nope_nope")
    assert refused.status_code == 401 and "トークンが正しくないか" in refused.text
    assert ("anonymous@127.0.0.1", "console.login", "denied") in _audit(site, action="console.")
    page = browser.get("/console/login", params={"next": "/console/quarantine"})
    landed = browser.submit(page, "/console/login", token=site.tokens["viewer"])
    assert landed.url.path == "/console/quarantine" and landed.status_code == 200
    cookie = next(h for h in landed.history[0].headers.get_list("set-cookie")
                  if h.startswith("mutaika_session="))
    attributes = {a.strip().lower() for a in cookie.split(";")[1:]}
    assert {"httponly", "samesite=strict", "path=/console"} <= attributes
    assert "secure" not in attributes  # public_url is http here (see test_security)
    assert ("token", "console.login", "ok") in {(a.split(":")[0], b, c) for a, b, c in
                                                 _audit(site, action="console.login")}  # fmt: skip


def test_a_login_form_without_its_csrf_value_is_refused(site: Site) -> None:
    browser = site.browser()
    browser.get("/console/login")
    posted = browser.http.post("/console/login", data={"token": site.tokens["admin"]})
    assert posted.status_code == 403 and "mutaika_session" not in posted.headers.get(
        "set-cookie", "")


def test_every_page_renders_for_an_admin(site: Site) -> None:
    record = site.world.quarantine(mail("PAGES"))
    release, _ = site.services.releases.create(ADMIN, quarantine_id=record.id, comment="確認")
    browser = site.login("admin")
    for path in ("/console/", "/console/quarantine", f"/console/quarantine/{record.id}",
                 f"/console/quarantine/{record.id}/download", "/console/releases",
                 f"/console/releases/{release.id}", "/console/queue?name=deferred",
                 "/console/queue?name=failed", "/console/queue?name=shunt", "/console/audit",
                 "/console/tokens"):  # fmt: skip
        page = browser.get(path)
        assert page.status_code == 200, (path, page.text[:300])
        assert "<html lang=\"ja\">" in page.text
        doc = lxml.html.fromstring(page.text)
        assert not doc.xpath("//script[not(@src)]|//style|//*[@style]|//*[@onclick]"), path
        for form in doc.xpath("//form[@method='post']"):  # every form carries its CSRF value
            assert form.xpath(".//input[@name='csrf']"), (path, form.get("action"))
    detail = browser.get(f"/console/quarantine/{record.id}").text
    assert "請求書 PAGES" in detail and "invoice.pdf" in detail and "application/pdf" in detail
    assert "body PAGES" in detail  # the sanitized text as delivered
    english = browser.get("/console/lang", params={"to": "en", "next": "/console/"})
    assert "mail by verdict" in english.text


def test_search_filters_like_the_api(site: Site) -> None:
    site.world.quarantine(mail("ALPHA"))
    site.world.quarantine(mail("BETA", attachments=()))
    browser = site.login("viewer")
    found = browser.get("/console/quarantine", params={"subject": "ALPHA"}).text
    assert "請求書 ALPHA" in found and "請求書 BETA" not in found
    by_type = browser.get("/console/quarantine", params={"detected_type": "application/pdf"}).text
    assert "請求書 ALPHA" in by_type and "請求書 BETA" not in by_type
    assert "請求書 ALPHA" not in browser.get("/console/quarantine",
                                          params={"since": "2100-01-01T00:00"}).text


def test_a_requester_never_sees_approve_on_their_own_request_and_is_refused(site: Site) -> None:
    record = site.world.quarantine(mail("OWN"))
    requester = site.login("approver")
    detail = requester.get(f"/console/quarantine/{record.id}")
    made = requester.submit(detail, f"/console/quarantine/{record.id}/release", what="original",
                            comment="原本を確認したい")  # fmt: skip
    release_id = made.url.path.rsplit("/", 1)[1]
    assert made.status_code == 200 and "これはあなた自身の依頼です" in made.text
    assert f"/console/releases/{release_id}/approve" not in made.text
    assert f"/console/releases/{release_id}/cancel" in made.text
    forced = requester.submit(made, f"/console/releases/{release_id}/cancel")  # its CSRF value
    assert forced.status_code == 200  # (withdrawing is allowed: shows the form works)
    again = requester.submit(requester.get(f"/console/quarantine/{record.id}"),
                             f"/console/quarantine/{record.id}/release", what="original")
    release_id = again.url.path.rsplit("/", 1)[1]
    value = re.search(r'name="csrf" value="([0-9a-f]+)"', again.text)
    assert value is not None
    own = requester.http.post(f"/console/releases/{release_id}/approve",
                              data={"csrf": value[1], "comment": "自分で"})
    assert own.status_code == 403 and "may not approve their own request" in own.text
    assert site.services.releases.get(ADMIN, release_id).state == "requested"

    approver = site.login("admin")
    page = approver.get(f"/console/releases/{release_id}")
    done = approver.submit(page, f"/console/releases/{release_id}/approve", comment="確認済み")
    assert site.services.releases.get(ADMIN, release_id).state == "queued"
    assert "承認済み" in done.text and "配送待ち" in done.text
    assert (f"token:{_id(site, 'admin')}:admin-test", "release.approve", "ok") in _audit(
        site, action="release.approve")


def _id(site: Site, role: str) -> str:
    return site.tokens[role].split("_")[1]


def test_a_decision_replayed_without_csrf_is_refused_and_audited(site: Site) -> None:
    record = site.world.quarantine(mail("CSRF"))
    release, _ = site.services.releases.create(Principal("token:x:someone", Role.OPERATOR),
                                               quarantine_id=record.id)  # fmt: skip
    approver = site.login("approver")
    approver.get(f"/console/releases/{release.id}")
    for data in ({}, {"csrf": "0" * 64}):
        replay = approver.http.post(f"/console/releases/{release.id}/approve", data=data)
        assert replay.status_code == 403
    assert site.services.releases.get(ADMIN, release.id).state == "requested"
    denied = site.services.audit.entries(ADMIN, AuditFilter(action="console.csrf"))
    assert len(denied) == 2 and all(e.result == "denied" for e in denied)
    # a session's CSRF value does not work for another session of the same token
    other = site.login("approver")
    page = other.get(f"/console/releases/{release.id}")
    value = re.search(r'name="csrf" value="([0-9a-f]+)"', page.text)
    assert value is not None
    assert approver.http.post(f"/console/releases/{release.id}/reject",
                              data={"csrf": value[1]}).status_code == 403


def test_roles_are_the_services_and_pages_leave_out_what_they_would_refuse(site: Site) -> None:
    record = site.world.quarantine(mail("ROLES"))
    viewer = site.login("viewer")
    detail = viewer.get(f"/console/quarantine/{record.id}").text
    assert "/download" not in detail and f"/console/quarantine/{record.id}/release" not in detail
    assert viewer.get("/console/tokens").status_code == 403
    assert viewer.get("/console/audit").status_code == 403
    assert viewer.get(f"/console/quarantine/{record.id}/download").status_code == 403
    assert "/console/tokens" not in viewer.get("/console/").text
    denied = {(a.split(":")[2], b) for a, b, c in _audit(site, result="denied")
              if a.startswith("token:")}  # fmt: skip
    assert {("viewer-test", "token.manage"), ("viewer-test", "audit.read"),
            ("viewer-test", "quarantine.download")} <= denied


def test_the_original_is_downloaded_after_a_confirmation_and_audited(site: Site) -> None:
    raw = mail("DL")
    record = site.world.quarantine(raw)
    operator = site.login("operator")
    confirm = operator.get(f"/console/quarantine/{record.id}/download")
    assert "マルウェア" in confirm.text and not _audit(site, action="quarantine.download")
    got = operator.submit(confirm, f"/console/quarantine/{record.id}/download")
    assert got.content == raw and got.headers["content-type"] == "message/rfc822"
    assert got.headers["content-disposition"].startswith("attachment;")
    item = operator.submit(operator.get(f"/console/quarantine/{record.id}/download?item=0"),
                           f"/console/quarantine/{record.id}/download")
    assert item.content.startswith(b"%PDF") and "invoice.pdf" in item.headers[
        "content-disposition"]
    assert [r for _, _, r in _audit(site, action="quarantine.download")] == ["ok", "ok"]


def test_queue_retry_and_delete(site: Site) -> None:
    record = site.world.quarantine(mail("QUEUE", rcpt=f"gone@{LOCAL}"), rcpts=(f"gone@{LOCAL}",))
    release, _ = site.services.releases.create(ADMIN, quarantine_id=record.id)
    site.services.releases.approve(APPROVER, release.id)
    site.world.deliver({f"gone@{LOCAL}": "550 5.1.1 no such user"}, release.id)
    admin = site.login("admin")
    failed = admin.get("/console/queue?name=failed")
    assert "550 5.1.1 no such user" in failed.text and release.id in failed.text
    queue_id = site.services.releases.get(ADMIN, release.id).queue_id
    retried = admin.submit(failed, f"/console/queue/failed/{queue_id}/retry")
    assert retried.status_code == 200
    assert site.services.releases.get(ADMIN, release.id).state == "queued"
    site.world.deliver({f"gone@{LOCAL}": "550 5.1.1 no such user"}, release.id)
    failed = admin.get("/console/queue?name=failed")
    gone = admin.submit(failed, f"/console/queue/failed/{queue_id}/delete", reason="宛先なし")
    assert gone.status_code == 200 and queue_id not in gone.text
    assert [a for _, a, _ in _audit(site, action="queue.")] == ["queue.retry", "queue.delete"]


def test_audit_filters_and_json_lines_export(site: Site) -> None:
    record = site.world.quarantine(mail("AUDIT"))
    site.services.releases.create(ADMIN, quarantine_id=record.id, comment="監査")
    approver = site.login("approver")
    page = approver.get("/console/audit", params={"action": "release."})
    assert "release.create" in page.text and "console.login" not in page.text
    export = approver.get("/console/audit/export", params={"action": "release."})
    assert export.headers["content-type"].startswith("application/jsonl")
    lines = [json.loads(line) for line in export.text.splitlines()]
    assert [e["action"] for e in lines] == ["release.create"] and lines[0]["reason"] == "監査"


def test_tokens_made_once_and_a_revoked_token_ends_its_sessions(site: Site) -> None:
    admin = site.login("admin")
    page = admin.get("/console/tokens")
    made = admin.submit(page, "/console/tokens", name="承認者 佐藤", role="approver")
    secret = re.search(r"mutaika_[A-Za-z0-9]+_[A-Za-z0-9_-]+", made.text)
    assert secret is not None and made.headers["cache-control"] == "no-store"
    assert secret[0] not in admin.get("/console/tokens").text  # shown that once
    assert "staff" not in re.findall(r'<option value="(\w+)"', made.text)
    sato = Browser(site.url)
    site.browsers.append(sato)
    login = sato.get("/console/login")
    assert sato.submit(login, "/console/login", token=secret[0]).url.path == "/console/"
    token_id = secret[0].split("_")[1]
    admin.submit(admin.get("/console/tokens"), f"/console/tokens/{token_id}/revoke")
    assert sato.get("/console/").url.path == "/console/login"


def test_log_out(site: Site) -> None:
    browser = site.login("viewer")
    out = browser.submit(browser.get("/console/"), "/console/logout")
    assert out.url.path == "/console/login"
    assert browser.get("/console/").url.path == "/console/login"


def test_the_dashboard_counts(site: Site) -> None:
    site.world.quarantine(mail("D1"))
    record = site.world.quarantine(mail("D2"))
    release, _ = site.services.releases.create(Principal(f"staff:{STAFF}", Role.STAFF),
                                               quarantine_id=record.id, to=[STAFF])  # fmt: skip
    page = site.login("viewer").get("/console/")
    assert "本日の受信（判定別）" in page.text and release.id in page.text
    assert "1 件が承認を待っています" in page.text
    doc = lxml.html.fromstring(page.text)
    row = doc.xpath("//table[contains(@class,'bars')]//tr[th='無害化']/td[@class='num']")
    assert row and row[0].text == "2"


def test_the_detail_offers_safe_copies_and_opens_protected_files(
    site: Site, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    password, other = "Mv-3318-qT", f"soumu@{LOCAL}"
    archive = samples.zip_bytes({"見積書.pdf": samples.pdf([["見積書"]])},
                                password=password.encode())  # fmt: skip
    record = site.world.quarantine(mail("CCOPY", attachments=(
        ("請求書.pdf", samples.pdf([["請求書"]]), "application/pdf"),
        ("書類.zip", archive, "application/zip"))), rcpts=(STAFF, other))  # fmt: skip
    detail = f"/console/quarantine/{record.id}"
    zip_index = next(i.index for i in record.items if i.filename == "書類.zip")

    viewer = site.login("viewer")
    seen = viewer.get(detail).text
    assert "ページを画像にしたPDF" in seen and "パスワードで保護されています" in seen
    assert f"{detail}/safecopy" not in seen and f"{detail}/unlock" not in seen
    value = re.search(r'name="csrf" value="([0-9a-f]+)"', seen)
    assert value is not None  # its own session's value: the service refuses, not the CSRF check
    assert viewer.http.post(f"{detail}/unlock", data={
        "csrf": value[1], "item": str(zip_index), "password": password}).status_code == 403

    operator = site.login("operator")
    page = operator.get(detail)
    doc = lxml.html.fromstring(page.text)
    assert not doc.xpath("//script[not(@src)]|//style|//*[@style]|//*[@onclick]")
    (field,) = doc.xpath("//form[@action=$a]//input[@name='password']", a=f"{detail}/unlock")
    assert field.get("type") == "password" and field.get("autocomplete") == "off"
    assert operator.http.post(f"{detail}/unlock", data={
        "item": str(zip_index), "password": password}).status_code == 403  # no CSRF value
    wrong = operator.submit(page, f"{detail}/unlock", item=str(zip_index), password="guess-9")
    assert wrong.status_code == 422 and "パスワードが違います。あと 9 回試せます。" in wrong.text
    right = operator.submit(page, f"{detail}/unlock", item=str(zip_index), password=password)
    assert right.status_code == 200 and right.url.query == f"opened={zip_index}".encode()
    assert "「書類.zip」を開きました。中のファイル 1 件" in right.text
    inner = next(i for i in site.services.quarantine.detail(ADMIN, record.id).record.items
                 if i.parent == zip_index)  # fmt: skip
    assert inner.filename == "見積書.pdf" and inner.detected_type == "application/pdf"
    assert f'name="items" value="{inner.index}"' in right.text  # its safe copy is offered

    made = operator.submit(right, f"{detail}/safecopy", items=["0", str(inner.index)],
                           comment="見積の確認")  # fmt: skip
    assert made.status_code == 200 and made.url.path.startswith("/console/releases/R")
    release = site.services.releases.get(ADMIN, made.url.path.rsplit("/", 1)[1])
    assert (release.what, release.items, release.recipients) == (
        "safecopy", [0, inner.index], [STAFF, other])  # the mail's recipients by default
    assert release.requested_by.endswith(":operator-test") and release.state == "requested"
    assert "安全なコピー" in made.text
    refused = operator.submit(right, f"{detail}/safecopy", items=str(zip_index), comment="x")
    assert refused.status_code == 422 and "password-protected" in refused.text

    assert [r for _, _, r in _audit(site, action="safecopy.unlock")] == [
        "denied", "wrong-password", "ok"]
    csrf = {(a.split(":")[0], b, c) for a, b, c in _audit(site, action="console.csrf")}
    assert ("token", "console.csrf", "denied") in csrf
    everything = "".join(site.services.audit.export(ADMIN, AuditFilter()))
    for text in (everything, caplog.text, wrong.text, right.text, str(right.history[0].headers)):
        assert password not in text and "guess-9" not in text
