"""Settings from MUTAIKA_* variables as a deployment file sets them, names checked: pydantic
ignores a variable that names no setting, so a typo would otherwise pass unnoticed."""

from __future__ import annotations

import os
from collections.abc import Mapping

import pytest
from pydantic import BaseModel

from gateway.config import Settings

# Keys the deployment files set before `mutaika serve` reads them (the PostgreSQL store of
# issue 12); once Settings has the section, they are checked like every other.
PENDING = {"MUTAIKA_STORE__URL"}


def names_a_setting(variable: str) -> bool:
    section, _, key = variable.removeprefix("MUTAIKA_").lower().partition("__")
    if not key:
        return section in Settings.model_fields
    model = Settings.model_fields[section].annotation if section in Settings.model_fields else None
    return isinstance(model, type) and issubclass(model, BaseModel) and key in model.model_fields


def settings_from(env: Mapping[str, str], monkeypatch: pytest.MonkeyPatch) -> Settings:
    """Settings() with exactly `env` as the MUTAIKA_* environment; fails on an unknown name."""
    with monkeypatch.context() as patch:
        for variable in [v for v in os.environ if v.startswith("MUTAIKA_")]:
            patch.delenv(variable)
        for variable, value in env.items():
            assert variable.startswith("MUTAIKA_"), variable
            if variable in PENDING and "store" not in Settings.model_fields:
                continue
            assert names_a_setting(variable), f"{variable} names no setting"
            patch.setenv(variable, value)
        return Settings()  # raises on any value mutaika would refuse at start
