"""The live sessions of one listener: bounded, shared fairly between clients, drained on stop.

Bounded like Postfix's process limit and smtpd_client_connection_count_limit, so idle or slow
sessions cannot pile up until the listener runs out of file descriptors. Bounds alone let a few
addresses take every place (four clients at 50 each fill 200) and lock everyone else out for
as long as they keep their sessions alive; so when the listener is full, a client holding fewer
sessions than the heaviest one still gets in, and one session of the heaviest client makes
room (the least advanced: one not in DATA if there is one, else the oldest). No client can
then hold more than its share while others wait, and the time limits (gateway/smtp/limits.py)
end each slow session anyway.

A "client" is an IPv4 address or an IPv6 /84, as Postfix's smtpd_client_ipv6_prefix_length
counts: one party holds a whole IPv6 /64 or more, and would otherwise be thousands of clients.
"""

from __future__ import annotations

import ipaddress
from collections import Counter
from typing import Protocol

from gateway.smtp import status

IPV6_PREFIX = 84


def client_key(host: str) -> str:
    """What sessions are counted by: the address, or its IPv6 /84; a path as it is."""
    try:
        addr = ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return host
    if isinstance(addr, ipaddress.IPv6Address):
        if addr.ipv4_mapped is not None:
            return str(addr.ipv4_mapped)
        return str(ipaddress.IPv6Network((addr, IPV6_PREFIX), strict=False))
    return str(addr)


class Session(Protocol):
    client_key: str
    in_data: bool
    started: float

    def close_for_shutdown(self) -> None: ...

    def close_with(self, reply: str) -> None: ...


class SessionRegistry:
    def __init__(self, *, max_sessions: int = 200, max_per_client: int = 50) -> None:
        self.sessions: set[Session] = set()
        self.draining = False
        self.max_sessions = max_sessions
        self.max_per_client = max_per_client

    def refusal(self, client: str) -> str | None:
        """The 421 reply for one more session from `client` (a client_key), or None when it
        may come in (having made room for it if the listener was full)."""
        per_client = Counter(s.client_key for s in self.sessions)
        if per_client[client] >= self.max_per_client:
            return status.TOO_MANY_FROM_CLIENT
        if len(self.sessions) < self.max_sessions:
            return None
        heaviest, held = per_client.most_common(1)[0] if per_client else ("", 0)
        if held <= per_client[client] + 1:
            return status.TOO_MANY_SESSIONS
        victim = min(
            (s for s in self.sessions if s.client_key == heaviest),
            key=lambda s: (s.in_data, s.started),
        )
        self.sessions.discard(victim)
        victim.close_with(status.MAKING_ROOM)
        return None

    def drain(self) -> None:
        self.draining = True
        for session in list(self.sessions):
            if not session.in_data:
                session.close_for_shutdown()

    def abort_all(self) -> None:
        for session in list(self.sessions):
            session.close_for_shutdown()
