"""Fixtures for end-to-end runs: a config writer and a started gateway that is always cleaned up."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.harness import Gateway, write_config
from tests.fakes.lgwan_mta import free_port


def gateway_sections(
    smtp_port: int, relay_url: str, **overrides: dict[str, Any]
) -> dict[str, dict[str, Any]]:
    sections: dict[str, dict[str, Any]] = {
        "smtp": {"host": "127.0.0.1", "port": smtp_port, "local_domains": ["city.example.lg.jp"]},
        "workers": {"processes": 2},
        "delivery": {
            "relay_url": relay_url,
            "retry_schedule_seconds": [0.5],
            "retry_jitter": 0.0,
            "timeout_seconds": 5.0,
            "connections": 4,
        },
        "api": {"enabled": True, "host": "127.0.0.1", "port": free_port()},
    }
    for name, values in overrides.items():
        sections[name] = {**sections.get(name, {}), **values}
    return sections


@pytest.fixture
def start_gateway(tmp_path: Path) -> Iterator[Any]:
    started: list[Gateway] = []

    def start(
        relay_url: str, *, workdir: Path | None = None, top: dict[str, Any] | None = None,
        **overrides: dict[str, Any],
    ) -> Gateway:
        """A gateway in `workdir` (tmp_path by default; one per node when several run)."""
        where = workdir or tmp_path
        where.mkdir(parents=True, exist_ok=True)
        port = free_port()
        config = write_config(
            where / "gateway.toml", gateway_sections(port, relay_url, **overrides), **(top or {})
        )
        gateway = Gateway(where, config, port)
        gateway.start()
        started.append(gateway)
        return gateway

    yield start
    for gateway in started:
        gateway.kill()
