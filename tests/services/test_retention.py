"""The purge removes what retention allows, with items, releases and payloads nobody shares."""

from __future__ import annotations

import time

from prometheus_client import REGISTRY
from sqlalchemy import create_engine, text

from gateway.quarantine import AuditFilter
from gateway.quarantine.db import normalize_url
from tests.plane import ADMIN, APPROVER, EXE, OPERATOR, PDF, World, mail

DAY = 86400.0


def _blobs(world: World) -> int:
    """Payload rows, counted beside the store (SQLite or PostgreSQL) as an operator would."""
    engine = create_engine(normalize_url(world.settings.store.url))
    try:
        with engine.connect() as conn:
            return int(conn.execute(text("SELECT count(*) FROM blobs")).scalar_one())
    finally:
        engine.dispose()


def _purged() -> float:
    return REGISTRY.get_sample_value("mutaika_quarantine_purged_total") or 0.0


def test_purge_by_reason_keeps_shared_payloads_and_releases_under_way(build_world: object
                                                                      ) -> None:
    days = {"executable": 2, "dangerous_extension": 2, "default": 10, "attachment": 10}
    world: World = build_world(retention={"days": days})  # type: ignore[operator]
    now = time.time()
    old_exe = world.quarantine(mail("E", attachments=(("x.exe", EXE, "application/x-dosexec"),)),
                               received_at=now - 3 * DAY)
    old_pdf = world.quarantine(mail("P"), received_at=now - 11 * DAY)  # shares PDF with `fresh`
    fresh = world.quarantine(mail("F"), received_at=now - 3 * DAY)
    busy = world.quarantine(mail("B", attachments=(("b.pdf", PDF + b"B", "application/pdf"),)),
                            received_at=now - 11 * DAY)
    release, _ = world.services.releases.create(OPERATOR, quarantine_id=busy.id)
    world.services.releases.approve(APPROVER, release.id)  # queued: not delivered yet
    before, blobs = _purged(), _blobs(world)

    result = world.services.retention.purge(now)

    assert result.purged == 2 and result.kept_for_release == 1
    assert world.store.get(old_exe.id) is None and world.store.get(old_pdf.id) is None
    assert world.store.get(fresh.id) is not None and world.store.get(busy.id) is not None
    assert world.store.item(fresh.id, 0) == PDF  # the shared payload stayed
    # two originals, their two sanitized copies and the program; not the shared PDF
    assert _blobs(world) == blobs - 5
    assert _purged() - before == 2
    audit = world.services.audit.entries(ADMIN, AuditFilter(action="quarantine.purge"))
    assert audit and set(audit[0].detail["purged"]) == {old_exe.id, old_pdf.id}

    world.deliver({r: "250 ok" for r in busy.recipients})
    assert world.services.retention.purge(now).purged == 1
