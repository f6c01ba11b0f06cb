"""The exceptions that stop a message. Each is caught in exactly one place."""


class GatewayError(Exception):
    """Base class for the gateway's own errors."""


class ConfigError(GatewayError):
    """The configuration is invalid; the message names the key and the bad value."""


class QuarantineWhole(GatewayError):
    """Raised by a pipeline stage: keep the original whole, emit a notice-only mail.

    Caught only in gateway.pipeline.base.run_pipeline.
    """

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


class TemporaryFailure(GatewayError):
    """Our side or the next hop failed for now: defer and retry (4xx semantics)."""


class PermanentFailure(GatewayError):
    """The next hop refused for good (5xx semantics): the message fails, kept and visible."""


class SpoolError(TemporaryFailure):
    """The spool could not take a message durably (disk full, I/O error, high-water mark)."""
