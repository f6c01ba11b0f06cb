"""How long a client may take: idle time, DATA as a whole, data rate, and the whole session.

Without them one byte every few seconds keeps a session forever, and a few hundred such
sessions hold every place of the listener. The data rate works as Postfix's smtpd_min_data_rate
does: DATA starts with `idle` seconds of credit and every byte received buys 1/min_data_rate
seconds more, so a client sending at least that fast never runs out, however big its mail,
and a trickle runs out after about `idle` seconds. The DATA limit caps the whole transfer
(a fast start cannot buy a slow rest), and the session limit bounds a client that never idles
long enough for the idle timer (a NOOP every few minutes).
"""

from __future__ import annotations

from dataclasses import dataclass

from gateway.config import SmtpSettings
from gateway.smtp import status


@dataclass(frozen=True, slots=True)
class TimeLimits:
    idle: float  # between commands, and between DATA chunks
    data: float  # the whole of one DATA
    min_data_rate: float  # bytes per second; 0: no rate limit
    session: float  # connect to close

    @classmethod
    def from_settings(cls, settings: SmtpSettings) -> TimeLimits:
        return cls(
            idle=settings.timeout_seconds,
            data=settings.data_time_limit_seconds,
            min_data_rate=settings.min_data_rate,
            session=settings.session_time_limit_seconds,
        )


class DataDeadline:
    """When the DATA started at `start` (loop time) must end, given the bytes received."""

    def __init__(self, limits: TimeLimits, start: float) -> None:
        self._limits = limits
        self._hard = start + limits.data
        self._start = start

    def _by_rate(self, received: int) -> float:
        if self._limits.min_data_rate <= 0:
            return float("inf")
        return self._start + self._limits.idle + received / self._limits.min_data_rate

    def at(self, received: int) -> float:
        return min(self._hard, self._by_rate(received))

    def reply(self, received: int) -> str:
        """The reply for a DATA cut at its deadline: which of the two limits it was."""
        return status.DATA_TIME_LIMIT if self._hard <= self._by_rate(received) else (
            status.DATA_TOO_SLOW
        )
