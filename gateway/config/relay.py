"""Settings of the way a mail takes after reception: [spool], [workers], [delivery], [store]."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_serializer, field_validator

from gateway.config.base import Section


class SpoolSettings(Section):
    directory: Path = Path("var/spool")
    fsync: bool = True
    high_water_bytes: int = Field(default=10 * 1024**3, gt=0)  # above it: 452 4.3.1
    min_free_bytes: int = Field(default=256 * 1024**2, ge=0)
    max_attempts: int = Field(default=5, gt=0)  # crash-loop cap before a message is shunted


class WorkerSettings(Section):
    processes: int = Field(default=2, ge=1, le=64)
    time_limit_seconds: float = Field(default=60.0, gt=0)  # hard kill, then quarantine whole


class DeliverySettings(Section):
    relay_url: str = ""  # smtp://host:25, smtps://host:465, lmtp://host:24; empty: maildir
    starttls: Literal["off", "optional", "required"] = "optional"
    username: str = ""
    password: SecretStr = SecretStr("")  # masked wherever settings are printed
    maildir: Path = Path("var/maildir")
    connections: int = Field(default=4, ge=1, le=64)
    timeout_seconds: float = Field(default=60.0, gt=0)
    retry_schedule_seconds: list[float] = [60, 300, 900, 1800, 3600]
    retry_jitter: float = Field(default=0.2, ge=0, le=1)
    max_age_seconds: float = Field(default=5 * 86400, gt=0)
    dsn_relay_url: str = ""  # internet-side relay for bounces; empty: no DSN is sent
    dsn_from: str = "MAILER-DAEMON@mutaika.localdomain"

    @field_validator("relay_url", "dsn_relay_url")
    @classmethod
    def _url(cls, value: str) -> str:
        if value and value.split("://", 1)[0] not in {"smtp", "smtps", "lmtp"}:
            raise ValueError(f"{value!r}: the scheme must be smtp://, smtps:// or lmtp://")
        return value

    @field_validator("retry_schedule_seconds")
    @classmethod
    def _schedule(cls, value: list[float]) -> list[float]:
        if not value or any(v <= 0 for v in value):
            raise ValueError("needs at least one positive delay")
        return value


class StoreSettings(Section):
    # "" = the embedded SQLite database <data_dir>/mutaika.sqlite3; several nodes share one
    # PostgreSQL database: postgresql+psycopg://user:password@host/dbname
    url: str = ""

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        if value and not value.startswith(("sqlite://", "postgresql")):
            raise ValueError("expected sqlite:///PATH or postgresql+psycopg://USER@HOST/DB")
        return value

    @field_serializer("url")
    def _hide_password(self, value: str) -> str:
        return re.sub(r"(://[^:/@]*:)[^@]*@", r"\1***@", value)

    def resolved_url(self, data_dir: Path) -> str:
        return self.url or f"sqlite:///{data_dir / 'mutaika.sqlite3'}"
