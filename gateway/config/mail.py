"""Settings of reception and of the sanitizer: [smtp], [sanitize] and its limits."""

from __future__ import annotations

import ipaddress
from typing import Literal

from pydantic import Field, field_validator

from gateway.config.base import Section
from gateway.domains import local_domain_problem, normalize_domain
from gateway.types import Language, UrlPolicy


class LimitsSettings(Section):
    max_message_bytes: int = Field(default=50 * 1024 * 1024, gt=0)
    max_mime_depth: int = Field(default=20, gt=0)
    max_parts: int = Field(default=500, gt=0)
    max_headers: int = Field(default=1000, gt=0)
    max_header_bytes: int = Field(default=256 * 1024, gt=0)  # the whole header block
    max_seconds: float = Field(default=20.0, gt=0)  # wall time per message
    max_html_bytes: int = Field(default=4 * 1024 * 1024, gt=0)  # larger HTML is cut, with a warning
    max_html_nodes: int = Field(default=200_000, gt=0)
    max_text_bytes: int = Field(default=8 * 1024 * 1024, gt=0)  # the output body
    max_decoded_part_bytes: int = Field(default=64 * 1024 * 1024, gt=0)


class SanitizeSettings(Section):
    output_charset: Literal["utf-8", "iso-2022-jp"] = "utf-8"
    url_policy: UrlPolicy = UrlPolicy.DEFANG
    language: Language = Language.JA
    notice_template: str = ""  # path to a Jinja2 template; empty: the built-in one for `language`
    release_contact: str = "情報システム担当"  # who to ask for release, named in the notice
    prefer_plain: bool = True  # take text/plain over text/html when both are offered
    limits: LimitsSettings = LimitsSettings()


class SmtpSettings(Section):
    host: str = "127.0.0.1"
    port: int = Field(default=2525, ge=0, le=65535)
    hostname: str = "mutaika.localdomain"  # the name in our greeting and Received: header
    # Recipients taken (each domain and its subdomains); the embedded default takes no real
    # domain, so nothing is relayed until an operator names theirs. Public suffixes refused.
    local_domains: list[str] = ["localhost"]
    reject_routed_recipients: bool = True  # user%dom@us, dom!user@us, @hop:user@us: 550 5.7.1
    max_recipients: int = Field(default=100, gt=0)
    max_message_bytes: int = Field(default=25 * 1024 * 1024, gt=0)  # advertised in SIZE
    client_allow: list[str] = []  # CIDR; empty: every client
    client_deny: list[str] = []
    sender_domain_allow: list[str] = []
    sender_domain_deny: list[str] = []
    tls_cert: str = ""
    tls_key: str = ""
    require_starttls: bool = False
    timeout_seconds: float = Field(default=300.0, gt=0)
    data_time_limit_seconds: float = Field(default=1800.0, gt=0)  # one whole DATA
    min_data_rate: float = Field(default=500.0, ge=0)  # bytes/s in DATA, as Postfix's; 0: off
    session_time_limit_seconds: float = Field(default=3600.0, gt=0)  # connect to close
    max_connections: int = Field(default=200, gt=0)  # per listener process; more: 421 4.7.0
    max_connections_per_client: int = Field(default=50, gt=0)
    listeners: int = Field(default=1, ge=1, le=64)  # SMTP processes sharing the port

    @field_validator("client_allow", "client_deny")
    @classmethod
    def _networks(cls, value: list[str]) -> list[str]:
        for net in value:
            try:
                ipaddress.ip_network(net, strict=False)
            except ValueError as exc:
                raise ValueError(f"{net!r} is not a network in CIDR form") from exc
        return value

    @field_validator("local_domains", "sender_domain_allow", "sender_domain_deny")
    @classmethod
    def _domains(cls, value: list[str]) -> list[str]:
        # The form address domains are compared in: 例え.jp here must match xn--r8jz45g.jp
        # there, or our own domain would be refused with a 5xx.
        return [normalize_domain(d) for d in value if d.strip()]

    @field_validator("local_domains")
    @classmethod
    def _own_domains(cls, value: list[str]) -> list[str]:
        for domain in value:
            problem = local_domain_problem(domain)
            if problem is not None:
                raise ValueError(problem)
        return value
