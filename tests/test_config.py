"""The commented example must name every key with its real default."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from gateway.config import Settings, load_settings
from gateway.errors import ConfigError

EXAMPLE = Path(__file__).resolve().parent.parent / "config" / "gateway.example.toml"


def _keys(model: type[BaseModel], prefix: str = "") -> set[str]:
    keys: set[str] = set()
    for name, field in model.model_fields.items():
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            keys |= _keys(annotation, f"{prefix}{name}.")
        else:
            keys.add(prefix + name)
    return keys


def _flatten(data: dict[str, Any], prefix: str = "") -> set[str]:
    keys: set[str] = set()
    for name, value in data.items():
        if isinstance(value, dict):
            keys |= _flatten(value, f"{prefix}{name}.")
        else:
            keys.add(prefix + name)
    return keys


def test_example_documents_every_key() -> None:
    documented = _flatten(tomllib.loads(EXAMPLE.read_text(encoding="utf-8")))
    assert documented == _keys(Settings)


def test_example_values_are_the_defaults() -> None:
    assert load_settings(EXAMPLE) == Settings()


def test_bad_value_names_key_and_value(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('[delivery]\nrelay_url = "http://x"\n[smtp]\nport = 70000\n')
    with pytest.raises(ConfigError) as caught:
        load_settings(bad)
    text = str(caught.value)
    assert "delivery.relay_url" in text and "http://x" in text
    assert "smtp.port" in text and "70000" in text


def test_unknown_key_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[sanitize]\nurl_polcy = 'keep'\n")
    with pytest.raises(ConfigError, match=r"sanitize\.url_polcy"):
        load_settings(bad)


def test_environment_overrides(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MUTAIKA_SANITIZE__URL_POLICY", "remove")
    assert load_settings().sanitize.url_policy.value == "remove"


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        load_settings(tmp_path / "nope.toml")


def test_unicode_domains_are_compared_as_a_labels() -> None:
    smtp = Settings(smtp={
        "local_domains": ["例え.JP.", " "],
        "sender_domain_allow": ["Bücher.example"],
        "sender_domain_deny": [" 日本.jp "],
    }).smtp
    assert smtp.local_domains == ["xn--r8jz45g.jp"]
    assert smtp.sender_domain_allow == ["xn--bcher-kva.example"]
    assert smtp.sender_domain_deny == ["xn--wgv71a.jp"]


def test_relay_password_is_a_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MUTAIKA_DELIVERY__PASSWORD", "hunter2")
    settings = load_settings()
    assert settings.delivery.password.get_secret_value() == "hunter2"
    assert "hunter2" not in repr(settings) and "hunter2" not in str(settings.model_dump())
