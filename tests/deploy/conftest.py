"""What the gateway exports, once per test module that checks queries against it."""

from __future__ import annotations

import pytest

from tests.deploy.exported import Exported, exported_metrics


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Exported]:
    return exported_metrics(tmp_path_factory.mktemp("exported"))
