"""The housekeeping child's rounds: every TICK_SECONDS, the "attach" safe copies also when a
worker rings, and a step that fails is logged without stopping the next."""

from __future__ import annotations

import logging

import pytest

from gateway.quarantine import ReleaseState
from gateway.services.housekeeping import TICK_SECONDS, Housekeeper
from tests.plane import OPERATOR, World


def test_rounds_keep_their_interval(world: World) -> None:
    release, _ = world.services.releases.create(OPERATOR, quarantine_id=world.quarantine().id)
    assert release.expires_at is not None
    keeper = Housekeeper(world.services)
    before = release.expires_at - 1
    keeper.tick(before)  # a round: nothing has expired yet
    keeper.tick(before + TICK_SECONDS / 2, rung=True)  # rung: the safe copies only
    assert world.services.releases.get(OPERATOR, release.id).state == ReleaseState.REQUESTED
    keeper.tick(before + TICK_SECONDS)  # the next round
    assert world.services.releases.get(OPERATOR, release.id).state == ReleaseState.EXPIRED


def test_a_failing_step_does_not_stop_the_round(world: World, monkeypatch: pytest.MonkeyPatch,
                                                caplog: pytest.LogCaptureFixture) -> None:
    release, _ = world.services.releases.create(OPERATOR, quarantine_id=world.quarantine().id)
    assert release.expires_at is not None

    def broken() -> int:
        raise RuntimeError("converter gone")

    monkeypatch.setattr(world.services.safecopy, "queue_attached", broken)
    with caplog.at_level(logging.ERROR):
        Housekeeper(world.services).tick(release.expires_at + 1, rung=True)
    assert "housekeeping failed" in caplog.text
    assert world.services.releases.get(OPERATOR, release.id).state == ReleaseState.EXPIRED
