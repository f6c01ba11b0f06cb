"""One typed settings model, validated at start-up.

Sources, strongest first: environment (MUTAIKA_SECTION__KEY), the TOML file given with
--config (or MUTAIKA_CONFIG), then the defaults below. config/gateway.example.toml documents
every key with its default; tests/test_config.py keeps the two in step.
"""

from __future__ import annotations

import ipaddress
import os
import re
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_serializer,
    field_validator,
    model_validator,
)
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from gateway.domains import domain_matches, domain_of, local_domain_problem, normalize_domain
from gateway.errors import ConfigError
from gateway.types import Language, UrlPolicy


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class LimitsSettings(_Section):
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


class SanitizeSettings(_Section):
    output_charset: Literal["utf-8", "iso-2022-jp"] = "utf-8"
    url_policy: UrlPolicy = UrlPolicy.DEFANG
    language: Language = Language.JA
    notice_template: str = ""  # path to a Jinja2 template; empty: the built-in one for `language`
    release_contact: str = "情報システム担当"  # who to ask for release, named in the notice
    prefer_plain: bool = True  # take text/plain over text/html when both are offered
    limits: LimitsSettings = LimitsSettings()


class SmtpSettings(_Section):
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


class SpoolSettings(_Section):
    directory: Path = Path("var/spool")
    fsync: bool = True
    high_water_bytes: int = Field(default=10 * 1024**3, gt=0)  # above it: 452 4.3.1
    min_free_bytes: int = Field(default=256 * 1024**2, ge=0)
    max_attempts: int = Field(default=5, gt=0)  # crash-loop cap before a message is shunted


class WorkerSettings(_Section):
    processes: int = Field(default=2, ge=1, le=64)
    time_limit_seconds: float = Field(default=60.0, gt=0)  # hard kill, then quarantine whole


class DeliverySettings(_Section):
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


class StoreSettings(_Section):
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


PolicyLevel = Literal["self", "approval", "admin"]


class ReleasePolicySettings(_Section):
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


class ReleaseSettings(_Section):
    request_expiry_seconds: float = Field(default=3 * 86400, gt=0)  # undecided requests expire
    policy: ReleasePolicySettings = ReleasePolicySettings()


class RetentionDaysSettings(_Section):
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


class RetentionSettings(_Section):
    purge_interval_seconds: float = Field(default=3600, gt=0)
    days: RetentionDaysSettings = RetentionDaysSettings()


class ApiSettings(_Section):
    host: str = "127.0.0.1"
    port: int = Field(default=8025, ge=0, le=65535)
    enabled: bool = True


class ConsoleSettings(_Section):
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


SafeCopyPolicy = Literal["none", "on-request", "attach"]


class SafeCopyPolicySettings(_Section):
    """Per type: no safe copy, one staff may request, or one attached to the sanitized mail."""

    pdf: SafeCopyPolicy = "on-request"  # pixel-rebuilt PDF
    office: SafeCopyPolicy = "on-request"  # docx/xlsx/pptx, macros and links removed
    legacy_office: SafeCopyPolicy = "on-request"  # doc/xls/ppt rendered to PDF (LibreOffice)
    opendocument: SafeCopyPolicy = "on-request"  # odt/ods/odp rendered to PDF (LibreOffice)
    image: SafeCopyPolicy = "on-request"  # re-encoded, metadata dropped


class SafeCopyLimitsSettings(_Section):
    max_input_bytes: int = Field(default=50 * 1024 * 1024, gt=0)
    max_output_bytes: int = Field(default=100 * 1024 * 1024, gt=0)
    max_pages: int = Field(default=300, gt=0)  # more: no safe copy (never a partial one)
    max_page_pixels: int = Field(default=9_000_000, gt=0)  # rendered page; larger pages scale down
    max_image_pixels: int = Field(default=50_000_000, gt=0)  # an input image
    max_seconds: float = Field(default=60.0, gt=0)  # wall time of one conversion
    max_cpu_seconds: int = Field(default=60, gt=0)
    # Address space of one converter; below ~256 MiB the preloaded libraries alone do not fit.
    max_memory_bytes: int = Field(default=2 * 1024**3, ge=256 * 1024**2)
    max_zip_entries: int = Field(default=1000, gt=0)
    max_zip_total_bytes: int = Field(default=200 * 1024 * 1024, gt=0)  # uncompressed, all levels
    max_zip_ratio: int = Field(default=200, gt=0)  # uncompressed / compressed, per entry
    max_zip_depth: int = Field(default=2, ge=0)  # archives opened inside an archive


class SafeCopySettings(_Section):
    excerpt_chars: int = Field(default=500, ge=0)  # text shown under an attachment; 0: none
    pdf_dpi: int = Field(default=150, ge=36, le=600)
    pdf_text_layer: bool = True  # invisible text from the original, for search and copy
    libreoffice: str = ""  # soffice for legacy Office/OpenDocument; "": found on PATH; "off"
    max_concurrent: int = Field(default=2, ge=1, le=64)  # converter processes at once
    max_password_candidates: int = Field(default=10, ge=1, le=100)
    # Excerpts in the notice: bounded per mail, so a mail of many documents costs no more
    # than this; past a bound the part gets a short note instead of its text.
    excerpt_max_parts: int = Field(default=10, ge=0)
    excerpt_max_bytes: int = Field(default=20 * 1024 * 1024, gt=0)  # one part
    excerpt_seconds: float = Field(default=5.0, gt=0)  # every excerpt of one mail together
    # PPAP: wrong passwords allowed within the window, per mail and per person asking
    unlock_window_seconds: float = Field(default=3600.0, gt=0)
    unlock_failures_per_mail: int = Field(default=10, ge=1)
    unlock_failures_per_principal: int = Field(default=30, ge=1)
    # The second mail of PPAP: a notice from the same sender to the same recipient this soon
    # after a mail with a protected file has its candidate passwords tried on that file.
    password_notice_window_seconds: float = Field(default=3600.0, ge=0)  # 0: never
    password_trial_seconds: float = Field(default=10.0, gt=0)  # all tries for one notice
    policy: SafeCopyPolicySettings = SafeCopyPolicySettings()
    limits: SafeCopyLimitsSettings = SafeCopyLimitsSettings()


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
