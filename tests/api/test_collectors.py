"""The state gauges read at scrape time have the values of what they describe: the room on the
spool's and the store's disks (statvfs), the limits set, the mail pending, readiness, and the
audit chain's watch, which turns 0 after tampering and a housekeeping round, and stays 0 for a
new process (a restart) until the chain is verified whole again."""

from __future__ import annotations

import os
import sqlite3
import time
from pathlib import Path
from typing import Any

from prometheus_client.registry import Collector

from gateway.api.collectors import ReadinessCollector, SpoolCollector, StoreCollector
from gateway.runtime import open_spool, open_store
from gateway.services.container import Services
from gateway.services.housekeeping import Housekeeper
from gateway.spool import Spool
from gateway.types import Envelope
from tests.plane import ADMIN, World, make_world, plane_sections

MIB = 1024**2


def _values(collector: Collector) -> dict[str, float]:
    """Unlabelled gauges by name."""
    return {family.name: family.samples[0].value for family in collector.collect()
            if family.samples and not family.samples[0].labels}  # fmt: skip


def _statvfs_free(path: Path) -> int:
    st = os.statvfs(path)
    return st.f_bavail * st.f_frsize


def _near(value: float, measured: int) -> bool:
    """Other processes of the machine write meanwhile: equal within 64 MiB."""
    return abs(value - measured) < 64 * MIB


def test_spool_room_is_the_file_system_s_and_the_limits_are_the_settings(
    make_settings: Any,
) -> None:
    settings = make_settings(spool={"min_free_bytes": 123 * MIB, "high_water_bytes": 5 * 1024**3})
    spool = open_spool(settings)
    spool.prepare()
    spool.accept(b"Subject: x\r\n\r\n" + b"a" * 5000, Envelope("a@example.org", ["b@example.jp"]))
    before = _statvfs_free(settings.spool.directory)
    values = _values(SpoolCollector(open_spool(settings)))  # a fresh look, as in the API process
    after = _statvfs_free(settings.spool.directory)
    free = values["mutaika_spool_free_bytes"]
    assert _near(free, before) and _near(free, after)
    assert values["mutaika_spool_min_free_bytes"] == 123 * MIB
    assert values["mutaika_spool_high_water_bytes"] == 5 * 1024**3
    queued = sum(f.stat().st_size for f in (settings.spool.directory / "incoming").iterdir())
    assert values["mutaika_spool_pending_bytes"] == queued > 5000


def test_without_a_usable_spool_its_room_is_not_reported(tmp_path: Path) -> None:
    values = _values(SpoolCollector(Spool(tmp_path / "missing")))
    assert not any(name.startswith("mutaika_spool_") for name in values)


def test_store_room_is_its_disk_s(make_settings: Any) -> None:
    world = make_world(make_settings(**plane_sections()))
    values = _values(StoreCollector(world.store))
    measured = _statvfs_free(world.settings.data_dir)
    assert _near(values["mutaika_store_free_bytes"], measured)
    assert values["mutaika_store_min_free_bytes"] == world.settings.spool.min_free_bytes


def test_store_room_is_not_reported_for_a_database_server(pg_url: str, tmp_path: Path) -> None:
    from gateway.quarantine import QuarantineStore

    store = QuarantineStore(pg_url)
    store.prepare()
    try:
        values = _values(StoreCollector(store))
    finally:
        store.close()
    assert "mutaika_store_free_bytes" not in values
    assert values["mutaika_audit_chain_ok"] == 1


def test_ready_follows_what_readyz_answers(make_settings: Any) -> None:
    settings = make_settings()
    spool, store = open_spool(settings), open_store(settings)
    assert _values(ReadinessCollector(spool, store)) == {"mutaika_ready": 0}  # nothing prepared
    spool.prepare()
    store.prepare()
    assert _values(ReadinessCollector(spool, store)) == {"mutaika_ready": 1}
    no_room = make_settings(spool={"min_free_bytes": 2**62})
    assert _values(ReadinessCollector(open_spool(no_room), store)) == {"mutaika_ready": 0}
    store.close()


def _chain(world: World) -> tuple[float, float]:
    values = _values(StoreCollector(world.store))
    return values["mutaika_audit_chain_ok"], values["mutaika_audit_chain_checked_timestamp_seconds"]


def test_audit_chain_gauge_after_tampering_a_round_and_a_restart(make_settings: Any) -> None:
    settings = make_settings(**plane_sections())
    world = make_world(settings)
    for n in range(5):
        world.services.tokens.create(ADMIN, role="viewer", name=f"t{n}")
    assert _chain(world) == (1, 0)  # nothing checked yet, nothing known wrong
    started = time.time()
    Housekeeper(world.services).tick()
    ok, checked = _chain(world)
    assert ok == 1 and checked >= started
    world.store.close()
    with sqlite3.connect(settings.data_dir / "mutaika.sqlite3") as conn:
        conn.execute("UPDATE audit_log SET actor = 'someone-else' WHERE seq = 2")
    Housekeeper(world.services).tick()
    assert _chain(world)[0] == 0
    world.store.close()

    restarted = make_world(settings)  # new processes: a new store, services and housekeeper
    assert _chain(restarted)[0] == 0
    Housekeeper(Services.build(settings, restarted.store, restarted.spool)).tick()
    assert _chain(restarted)[0] == 0
    assert not restarted.services.audit.verify(ADMIN).ok  # an administrator looks: still broken
    assert _chain(restarted)[0] == 0
    restarted.store.close()
    with sqlite3.connect(settings.data_dir / "mutaika.sqlite3") as conn:
        conn.execute("UPDATE audit_log SET actor = 'token:a:admin' WHERE seq = 2")
    assert restarted.services.audit.verify(ADMIN).ok  # the entry restored: the break clears
    assert _chain(restarted)[0] == 1
    restarted.store.close()
