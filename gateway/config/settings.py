"""One typed settings model, validated at start-up.

Sources, strongest first: environment (MUTAIKA_SECTION__KEY), the TOML file given with
--config (or MUTAIKA_CONFIG), then the defaults below. config/gateway.example.toml documents
every key with its default; tests/test_config.py keeps the two in step.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

from pydantic import ValidationError, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from gateway.config.mail import SanitizeSettings, SmtpSettings
from gateway.config.plane import ApiSettings, ConsoleSettings, ReleaseSettings, RetentionSettings
from gateway.config.relay import DeliverySettings, SpoolSettings, StoreSettings, WorkerSettings
from gateway.config.safecopy import SafeCopySettings
from gateway.domains import domain_matches, domain_of
from gateway.errors import ConfigError


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="MUTAIKA_",
        env_nested_delimiter="__",
        extra="forbid",
        frozen=True,
    )

    data_dir: Path = Path("var")
    node_name: str = ""  # this gateway among several on one store; "" = the host name
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    sanitize: SanitizeSettings = SanitizeSettings()
    smtp: SmtpSettings = SmtpSettings()
    spool: SpoolSettings = SpoolSettings()
    workers: WorkerSettings = WorkerSettings()
    delivery: DeliverySettings = DeliverySettings()
    store: StoreSettings = StoreSettings()
    api: ApiSettings = ApiSettings()
    console: ConsoleSettings = ConsoleSettings()
    safecopy: SafeCopySettings = SafeCopySettings()
    release: ReleaseSettings = ReleaseSettings()
    retention: RetentionSettings = RetentionSettings()

    @model_validator(mode="after")
    def _approvers_inside(self) -> Settings:
        """Notices go to LGWAN only: an approver address outside smtp.local_domains is refused."""
        for address in self.console.approver_addresses:
            if not domain_matches(domain_of(address), self.smtp.local_domains):
                raise ValueError(f"console.approver_addresses: {address} is not within "
                                 "smtp.local_domains")  # fmt: skip
        return self

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        toml_file = os.environ.get("MUTAIKA_CONFIG")
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        if toml_file:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=toml_file))
        return tuple(sources)


def _format_errors(exc: ValidationError, origin: str) -> str:
    lines = [f"invalid configuration ({origin}):"]
    for err in exc.errors():
        key = ".".join(str(p) for p in err["loc"])
        shown = repr(err.get("input"))
        if len(shown) > 80:
            shown = shown[:77] + "..."
        lines.append(f"  {key} = {shown}: {err['msg']}")
    return "\n".join(lines)


def load_settings(path: str | Path | None = None, **overrides: Any) -> Settings:
    """Load and validate; raise ConfigError naming every bad key and value."""
    origin = "defaults and environment"
    previous = os.environ.get("MUTAIKA_CONFIG")
    try:
        if path is not None:
            config_path = Path(path)
            if not config_path.is_file():
                raise ConfigError(f"configuration file not found: {config_path}")
            os.environ["MUTAIKA_CONFIG"] = str(config_path)
            origin = str(config_path)
        elif previous:
            origin = previous
        try:
            return Settings(**overrides)
        except ValidationError as exc:
            raise ConfigError(_format_errors(exc, origin)) from None
        except (OSError, ValueError) as exc:  # unreadable file, TOML syntax
            raise ConfigError(f"invalid configuration ({origin}): {exc}") from None
    finally:
        if path is not None:
            if previous is None:
                os.environ.pop("MUTAIKA_CONFIG", None)
            else:
                os.environ["MUTAIKA_CONFIG"] = previous
