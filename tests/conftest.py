"""Shared fixtures: a fake LGWAN MTA and settings rooted in tmp_path."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from gateway.config import Settings
from tests.fakes.lgwan_mta import FakeMta


@pytest.fixture
def fake_mta() -> Iterator[FakeMta]:
    with FakeMta() as mta:
        yield mta


@pytest.fixture
def make_settings(tmp_path: Path) -> Any:
    """Settings with every path under tmp_path; keyword sections override, e.g. delivery={...}."""

    def build(**sections: Any) -> Settings:
        base: dict[str, Any] = {
            "data_dir": tmp_path / "var",
            "spool": {"directory": tmp_path / "var" / "spool"},
            "delivery": {"maildir": tmp_path / "var" / "maildir"},
        }
        for name, values in sections.items():
            if isinstance(values, dict) and isinstance(base.get(name), dict):
                base[name] = {**base[name], **values}
            else:
                base[name] = values
        return Settings(**base)

    return build
