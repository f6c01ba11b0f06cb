"""Settings of the release plane and its faces: [release], [retention], [api], [console]."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, SecretStr, field_validator

from gateway.config.base import Section

PolicyLevel = Literal["self", "approval", "admin"]


class ReleasePolicySettings(Section):
    """Who may release what, per removal reason or flag (a dash in the reason is an underscore
    here). The strictest level among what a release carries applies: self < approval < admin."""

    default: PolicyLevel = "approval"  # any reason not named below
    original: PolicyLevel = "approval"  # the original mail itself (its HTML, its links)
    quarantined_whole: PolicyLevel = "approval"
    attachment: PolicyLevel = "approval"
    inline_image: PolicyLevel = "self"
    signature: PolicyLevel = "self"
    calendar: PolicyLevel = "self"
    tnef: PolicyLevel = "approval"
    tnef_item: PolicyLevel = "approval"
    encrypted: PolicyLevel = "approval"
    embedded: PolicyLevel = "approval"
    executable: PolicyLevel = "admin"
    dangerous_extension: PolicyLevel = "admin"
    type_mismatch: PolicyLevel = "admin"
    macros: PolicyLevel = "approval"
    encrypted_archive: PolicyLevel = "approval"
    password_protected: PolicyLevel = "approval"
    # A safe copy (what="safecopy"): the pixel-rebuilt or macro-free copy, not the removed part;
    # this level alone applies, whatever the part's reason and flags. "self": no approval.
    safecopy: PolicyLevel = "approval"


class ReleaseSettings(Section):
    request_expiry_seconds: float = Field(default=3 * 86400, gt=0)  # undecided requests expire
    policy: ReleasePolicySettings = ReleasePolicySettings()


class RetentionDaysSettings(Section):
    """Days a quarantined mail is kept, per reason or flag: for each removed part, a flag's
    setting wins over its reason's; the mail is kept for the longest of its parts."""

    default: float = Field(default=30, gt=0)
    quarantined_whole: float = Field(default=30, gt=0)
    attachment: float = Field(default=30, gt=0)
    inline_image: float = Field(default=30, gt=0)
    signature: float = Field(default=30, gt=0)
    calendar: float = Field(default=30, gt=0)
    tnef: float = Field(default=30, gt=0)
    tnef_item: float = Field(default=30, gt=0)
    encrypted: float = Field(default=30, gt=0)
    embedded: float = Field(default=30, gt=0)
    executable: float = Field(default=30, gt=0)
    dangerous_extension: float = Field(default=30, gt=0)
    type_mismatch: float = Field(default=30, gt=0)
    macros: float = Field(default=30, gt=0)
    encrypted_archive: float = Field(default=30, gt=0)
    password_protected: float = Field(default=30, gt=0)


class RetentionSettings(Section):
    purge_interval_seconds: float = Field(default=3600, gt=0)
    days: RetentionDaysSettings = RetentionDaysSettings()


class ApiSettings(Section):
    host: str = "127.0.0.1"
    port: int = Field(default=8025, ge=0, le=65535)
    enabled: bool = True


class ConsoleSettings(Section):
    # Where staff reach the request pages and administrators the console, as seen from LGWAN
    # (e.g. https://mutaika.city.example.lg.jp); "" = no request links in the notices.
    public_url: str = ""
    # Signs request links and console sessions; "" = a random key kept in <data_dir>/console.key
    # (one node). Several nodes behind one name must share one key: set it here or in the env.
    secret_key: SecretStr = SecretStr("")
    link_ttl_days: float = Field(default=30.0, gt=0)  # a request link works this long
    # Who hears, by mail inside LGWAN, that a release request waits for approval: the desk's
    # shared mailbox, say. Addresses within smtp.local_domains; [] = nobody is mailed.
    approver_addresses: list[str] = []
    notify_from: str = ""  # From: of those mails; "" = mutaika@<smtp.hostname>
    session_hours: float = Field(default=8.0, gt=0, le=24 * 30)  # a console log-in lasts this long

    @field_validator("approver_addresses")
    @classmethod
    def _addresses(cls, value: list[str]) -> list[str]:
        for address in value:
            local, at, domain = address.rpartition("@")
            if not (local and at and domain) or any(c in address for c in ' <>,;"\r\n'):
                raise ValueError(f"{address!r} is not a mail address")
        return value

    @field_validator("public_url")
    @classmethod
    def _public_url(cls, value: str) -> str:
        value = value.strip().rstrip("/")
        if value and not re.fullmatch(r"https?://[^\s/?#]+(/[^\s?#]*)?", value):
            raise ValueError("expected an http(s) URL such as https://mutaika.city.example.lg.jp")
        return value
