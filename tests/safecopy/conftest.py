from __future__ import annotations

from collections.abc import Iterator

import pytest

from gateway.config import SafeCopySettings
from gateway.safecopy import SafeCopyRunner


def make_settings(**limits: object) -> SafeCopySettings:
    return SafeCopySettings.model_validate({"limits": limits})


@pytest.fixture(scope="module")
def runner() -> Iterator[SafeCopyRunner]:
    yield SafeCopyRunner(make_settings())
