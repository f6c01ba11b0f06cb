"""One typed settings model, validated at start-up (gateway.config.settings), its sections
grouped by what they configure: mail (reception, sanitizer), relay (spool, workers, delivery,
store), plane (release, retention, API, console) and safecopy."""

from gateway.config.mail import LimitsSettings, SanitizeSettings, SmtpSettings
from gateway.config.plane import (
    ApiSettings,
    ConsoleSettings,
    PolicyLevel,
    ReleasePolicySettings,
    ReleaseSettings,
    RetentionDaysSettings,
    RetentionSettings,
)
from gateway.config.relay import DeliverySettings, SpoolSettings, StoreSettings, WorkerSettings
from gateway.config.safecopy import (
    SafeCopyLimitsSettings,
    SafeCopyPolicy,
    SafeCopyPolicySettings,
    SafeCopySettings,
)
from gateway.config.settings import Settings, load_settings

__all__ = [
    "ApiSettings",
    "ConsoleSettings",
    "DeliverySettings",
    "LimitsSettings",
    "PolicyLevel",
    "ReleasePolicySettings",
    "ReleaseSettings",
    "RetentionDaysSettings",
    "RetentionSettings",
    "SafeCopyLimitsSettings",
    "SafeCopyPolicy",
    "SafeCopyPolicySettings",
    "SafeCopySettings",
    "SanitizeSettings",
    "Settings",
    "SmtpSettings",
    "SpoolSettings",
    "StoreSettings",
    "WorkerSettings",
    "load_settings",
]
