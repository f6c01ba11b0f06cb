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


class SpoolError(GatewayError):
    """The spool could not take a message durably (disk full, I/O error, high-water mark).

    Always a temporary failure for the client: answered 451/452, never 5xx.
    """
