"""The /api/v1 routes through httpx against the real app on a real SQLite store."""

from __future__ import annotations

from gateway.quarantine import AuditFilter
from tests.api.conftest import Api
from tests.plane import ADMIN, LOCAL, STAFF, mail


def test_no_token_is_401_as_json_and_audited(api: Api) -> None:
    with api.client() as anonymous:
        answer = anonymous.get("/api/v1/quarantine")
        assert answer.status_code == 401 and answer.headers["WWW-Authenticate"] == "Bearer"
        assert answer.json() == {"error": "unauthorized", "message": "no bearer token",
                                 "detail": []}
        bad = anonymous.get("/api/v1/status", headers={"Authorization": "Bearer mutaika_x_y"})
        assert bad.status_code == 401 and bad.json()["message"] == "unknown or revoked token"
    for path in ("/livez", "/metrics"):
        assert httpx_get(api, path) == 200
    denied = api.services.audit.entries(ADMIN, AuditFilter(result="denied"))
    assert [(e.action, e.reason) for e in denied] == [
        ("GET /api/v1/quarantine", "no bearer token"),
        ("GET /api/v1/status", "unknown or revoked token")]


def httpx_get(api: Api, path: str) -> int:
    with api.client() as client:
        return client.get(path).status_code


def test_list_filter_paginate_and_detail(api: Api) -> None:
    first = api.world.quarantine(mail("LIST1"), received_at=1_000_000.0)
    second = api.world.quarantine(mail("LIST2", attachments=()), received_at=1_000_100.0)
    with api.client("viewer") as client:
        page = client.get("/api/v1/quarantine", params={"limit": 1}).json()
        assert [m["id"] for m in page["items"]] == [second.id] and page["next_cursor"]
        rest = client.get("/api/v1/quarantine",
                          params={"limit": 1, "cursor": page["next_cursor"]}).json()
        assert [m["id"] for m in rest["items"]] == [first.id] and rest["next_cursor"] == ""
        only = client.get("/api/v1/quarantine", params={
            "detected_type": "application/pdf", "since": "1970-01-12T13:46:00Z",
            "subject": "list1", "state": "held"}).json()
        assert [m["id"] for m in only["items"]] == [first.id]
        assert client.get("/api/v1/quarantine", params={"cursor": "garbage!"}).status_code == 422
        detail = client.get(f"/api/v1/quarantine/{first.id}").json()
        assert detail["items"][0]["filename"] == "invoice.pdf"
        assert detail["items"][0]["sha256"] and detail["envelope_recipients"] == [STAFF]
        assert [h["name"] for h in detail["headers"][:2]] == ["Received", "From"]
        text = detail["sanitized_text"]
        assert "body LIST1" in text and "invoice.pdf" in text
        assert detail["releases"] == []
        missing = client.get("/api/v1/quarantine/NOPE")
        assert missing.status_code == 404 and missing.json()["error"] == "not-found"


def test_downloads_are_attachments_with_safe_names_and_audited(api: Api) -> None:
    raw = mail("DL", attachments=(("../../請求書\".pdf", b"%PDF-1.4 x", "application/pdf"),))
    found = api.world.quarantine(raw)
    with api.client("operator") as client:
        original = client.get(f"/api/v1/quarantine/{found.id}/original")
        assert original.status_code == 200 and original.content == raw
        assert original.headers["content-type"] == "message/rfc822"
        assert original.headers["content-disposition"].startswith(
            f'attachment; filename="{found.id}.eml"')
        item = client.get(f"/api/v1/quarantine/{found.id}/items/0")
        assert item.content == b"%PDF-1.4 x"
        assert item.headers["content-type"] == "application/octet-stream"
        disposition = item.headers["content-disposition"]
        assert disposition.startswith('attachment; filename="pdf"') or ".." not in disposition
        assert "/" not in disposition.split("filename=")[1].split(";")[0]
        assert "%E8%AB%8B%E6%B1%82%E6%9B%B8.pdf" in disposition  # 請求書.pdf, path and quote gone
        assert item.headers["x-content-type-options"] == "nosniff"
        assert client.get(f"/api/v1/quarantine/{found.id}/items/9").status_code == 404
    downloads = api.services.audit.entries(ADMIN, AuditFilter(action="quarantine.download"))
    assert [e.target for e in downloads] == [found.id, f"{found.id}/items/0"]


def test_release_through_the_api(api: Api) -> None:
    found = api.world.quarantine(mail("REL"))
    body = {"quarantine_id": found.id, "comment": "取引先の請求書"}
    with api.client("operator") as operator, api.client("approver") as approver:
        created = operator.post("/api/v1/releases", json=body)
        assert created.status_code == 201 and created.json()["state"] == "requested"
        release_id = created.json()["id"]
        again = operator.post("/api/v1/releases", json=body)
        assert again.status_code == 200 and again.json()["id"] == release_id
        assert operator.post(f"/api/v1/releases/{release_id}/approve").status_code == 403
        approved = approver.post(f"/api/v1/releases/{release_id}/approve",
                                 json={"comment": "ok"})
        assert approved.status_code == 200 and approved.json()["state"] == "queued"
        conflict = approver.post(f"/api/v1/releases/{release_id}/reject")
        assert conflict.status_code == 409 and "queued" in conflict.json()["message"]
        listed = operator.get("/api/v1/releases", params={"state": "queued"}).json()
        assert [r["id"] for r in listed["items"]] == [release_id]
        outside = operator.post("/api/v1/releases", json={**body, "to": ["x@example.com"]})
        assert outside.status_code == 422 and "local_domains" in outside.json()["message"]
        detail = operator.get(f"/api/v1/quarantine/{found.id}").json()
        assert [r["id"] for r in detail["releases"]] == [release_id]
    api.world.deliver({STAFF: "550 5.1.1 no such user"})
    with api.client("operator") as operator:
        failed = operator.get(f"/api/v1/releases/{release_id}").json()
        assert failed["state"] == "failed"
        assert failed["results"][STAFF]["reply"] == "550 5.1.1 no such user"
        queue = operator.get("/api/v1/queue/failed").json()
        assert [e["release_id"] for e in queue] == [release_id]
        assert operator.post(f"/api/v1/releases/{release_id}/retry").json()["state"] == "queued"
    entry = api.world.deliver({STAFF: "250 2.0.0 ok"})
    assert entry.record.release_id == release_id
    with api.client("viewer") as viewer:
        assert viewer.get(f"/api/v1/releases/{release_id}").json()["state"] == "delivered"
        status = viewer.get("/api/v1/status").json()
        assert status["releases_by_state"] == {"delivered": 1}
        assert status["today_by_verdict"] == {"sanitized": 1}
        assert status["queues"]["failed"]["messages"] == 0


def test_bulk_delete_needs_the_dry_run_count(api: Api) -> None:
    for n in range(3):
        api.world.quarantine(mail(f"BULK{n}"))
    keep = api.world.quarantine(mail("KEEP", attachments=()))
    flt = {"subject": "bulk"}
    with api.client("admin") as admin:
        dry = admin.post("/api/v1/quarantine/bulk", json={"filter": flt}).json()
        assert dry == {"matched": 3, "deleted": 0, "skipped": [], "dry_run": True}
        wrong = admin.post("/api/v1/quarantine/bulk",
                           json={"filter": flt, "dry_run": False, "expected_count": 2})
        assert wrong.status_code == 409
        done = admin.post("/api/v1/quarantine/bulk", json={
            "filter": flt, "dry_run": False, "expected_count": 3, "reason": "campaign"}).json()
        assert done["deleted"] == 3
        assert admin.get("/api/v1/quarantine").json()["items"][0]["id"] == keep.id
        assert admin.delete(f"/api/v1/quarantine/{keep.id}").status_code == 204
        assert admin.get("/api/v1/quarantine").json()["items"] == []


def test_queue_and_audit_routes(api: Api) -> None:
    found = api.world.quarantine(mail("Q"))
    api.services.releases.create(ADMIN, quarantine_id=found.id, to=[f"a@{LOCAL}"])
    with api.client("admin") as admin:
        release_id = admin.get("/api/v1/releases").json()["items"][0]["id"]
        assert admin.get("/api/v1/queue/outgoing").status_code == 422  # not an operator queue
        assert admin.delete("/api/v1/queue/failed/0000000000000000AA").status_code == 404
        page = admin.get("/api/v1/audit", params={"action": "release.", "limit": 10}).json()
        assert [e["action"] for e in page["items"]] == ["release.create"]
        assert page["items"][0]["target"] == release_id
        lines = admin.get("/api/v1/audit/export").text.splitlines()
        assert len(lines) >= 5 and all(line.startswith("{") for line in lines)
        verify = admin.get("/api/v1/audit/verify").json()
        assert verify["ok"] and verify["checked"] == len(lines)
        made = admin.post("/api/v1/tokens", json={"name": "sato", "role": "approver"})
        assert made.status_code == 201 and made.json()["token"].startswith("mutaika_")
        token_id = made.json()["id"]
        assert "token" not in admin.get("/api/v1/tokens").json()[0]
        assert admin.delete(f"/api/v1/tokens/{token_id}").json()["revoked_at"]
    with api.client() as anonymous:
        revoked = {"Authorization": f"Bearer {made.json()['token']}"}
        assert anonymous.get("/api/v1/status", headers=revoked).status_code == 401


def test_bad_input_is_4xx_with_a_message(api: Api) -> None:
    with api.client("admin") as admin:
        for method, path, kwargs in [
            ("POST", "/api/v1/releases", {"content": b"{not json"}),
            ("POST", "/api/v1/releases", {"json": {"quarantine_id": ""}}),
            ("POST", "/api/v1/releases", {"json": {"quarantine_id": "X", "what": "all"}}),
            ("GET", "/api/v1/quarantine", {"params": {"limit": "0"}}),
            ("GET", "/api/v1/quarantine", {"params": {"since": "yesterday"}}),
            ("GET", "/api/v1/quarantine/x/items/-1", {}),
            ("GET", "/api/v1/audit", {"params": {"after": "-5"}}),
            ("POST", "/api/v1/quarantine/bulk", {"json": {"filter": {}, "action": "burn"}}),
        ]:
            answer = admin.request(method, path, **kwargs)
            assert 400 <= answer.status_code < 500, (path, answer.text)
            assert answer.json()["message"], answer.text
