"""Each role × each action through the API: allowed (2xx) or refused (403, audited).

The expected table is written out here, not derived from gateway.services.principal, so a change
of who may do what shows up as a failing row."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import httpx
import pytest

from gateway.quarantine import AuditFilter
from gateway.services.principal import Principal, Role
from tests.api.conftest import Api
from tests.plane import ADMIN, APPROVER2, LOCAL, STAFF

OTHER = Principal("token:zz:another-operator", Role.OPERATOR)


def _mail(api: Api) -> str:
    return api.world.quarantine().id


def _requested(api: Api) -> str:
    release, _ = api.services.releases.create(OTHER, quarantine_id=_mail(api))
    return release.id


def _failed_release(api: Api) -> str:
    release, _ = api.services.releases.create(OTHER, quarantine_id=_mail(api))
    api.services.releases.approve(APPROVER2, release.id)
    api.world.deliver({STAFF: "550 5.1.1 no such user"}, release.id)
    return release.id


def _failed_entry(api: Api) -> str:
    release_id = _failed_release(api)
    queue_id = api.services.releases.get(ADMIN, release_id).queue_id
    assert queue_id
    return queue_id


Call = Callable[[httpx.Client, Api], httpx.Response]


@dataclass(frozen=True)
class Row:
    name: str
    call: Call
    roles: frozenset[str]  # the roles allowed


V, OP, P, A = "viewer", "operator", "approver", "admin"
EVERYONE = frozenset({V, OP, P, A})
OPERATORS = frozenset({OP, P, A})
APPROVERS = frozenset({P, A})
ADMINS = frozenset({A})

MATRIX = [
    Row("status", lambda c, a: c.get("/api/v1/status"), EVERYONE),
    Row("quarantine list", lambda c, a: c.get("/api/v1/quarantine"), EVERYONE),
    Row("quarantine show", lambda c, a: c.get(f"/api/v1/quarantine/{_mail(a)}"), EVERYONE),
    Row("download original",
        lambda c, a: c.get(f"/api/v1/quarantine/{_mail(a)}/original"), OPERATORS),
    Row("download item", lambda c, a: c.get(f"/api/v1/quarantine/{_mail(a)}/items/0"), OPERATORS),
    Row("quarantine delete", lambda c, a: c.delete(f"/api/v1/quarantine/{_mail(a)}"), ADMINS),
    Row("bulk dry run",
        lambda c, a: c.post("/api/v1/quarantine/bulk", json={"filter": {}}), ADMINS),
    Row("release list", lambda c, a: c.get("/api/v1/releases"), EVERYONE),
    Row("release create", lambda c, a: c.post("/api/v1/releases", json={
        "quarantine_id": _mail(a), "to": [f"x@{LOCAL}"]}), OPERATORS),
    Row("release approve",
        lambda c, a: c.post(f"/api/v1/releases/{_requested(a)}/approve"), APPROVERS),
    Row("release reject",
        lambda c, a: c.post(f"/api/v1/releases/{_requested(a)}/reject"), APPROVERS),
    Row("release cancel (another's request)",
        lambda c, a: c.post(f"/api/v1/releases/{_requested(a)}/cancel"), APPROVERS),
    Row("release retry",
        lambda c, a: c.post(f"/api/v1/releases/{_failed_release(a)}/retry"), OPERATORS),
    Row("queue list", lambda c, a: c.get("/api/v1/queue/failed"), EVERYONE),
    Row("queue retry",
        lambda c, a: c.post(f"/api/v1/queue/failed/{_failed_entry(a)}/retry"), OPERATORS),
    Row("queue delete",
        lambda c, a: c.delete(f"/api/v1/queue/failed/{_failed_entry(a)}"), ADMINS),
    Row("audit list", lambda c, a: c.get("/api/v1/audit"), APPROVERS),
    Row("audit export", lambda c, a: c.get("/api/v1/audit/export"), APPROVERS),
    Row("audit verify", lambda c, a: c.get("/api/v1/audit/verify"), APPROVERS),
    Row("token list", lambda c, a: c.get("/api/v1/tokens"), ADMINS),
    Row("token create",
        lambda c, a: c.post("/api/v1/tokens", json={"name": "n", "role": "viewer"}), ADMINS),
    Row("token revoke", lambda c, a: c.delete(
        f"/api/v1/tokens/{a.services.tokens.create(ADMIN, role='viewer', name='r').record.id}"),
        ADMINS),
]


@pytest.mark.parametrize("role", [V, OP, P, A])
def test_role_matrix(api: Api, role: str) -> None:
    wrong = []
    with api.client(role) as client:
        for row in MATRIX:
            denied_before = len(api.services.audit.entries(ADMIN, AuditFilter(result="denied"),
                                                           limit=1000))
            answer = row.call(client, api)
            expected = "allowed" if role in row.roles else "403"
            got = "allowed" if 200 <= answer.status_code < 300 else str(answer.status_code)
            if got != expected:
                wrong.append(f"{row.name}: expected {expected}, got {got} {answer.text[:200]}")
            elif got == "403":
                denied = api.services.audit.entries(ADMIN, AuditFilter(result="denied"),
                                                    limit=1000)
                if len(denied) != denied_before + 1 or not denied[-1].actor.endswith(
                        f"{role}-test"):
                    wrong.append(f"{row.name}: the refusal was not audited")
    assert wrong == []
