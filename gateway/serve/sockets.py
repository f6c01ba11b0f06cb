"""Listening sockets, bound once by the supervisor and handed to the children.

No SO_REUSEPORT: a second `mutaika serve` on the same address must fail at once ("address
already in use") instead of quietly sharing the port and half the mail. The listener processes
share one socket the supervisor bound (the kernel hands each connection to one of them), and a
restarted child gets the same socket back, so the port never closes while serve runs.
"""

from __future__ import annotations

import errno
import socket

from gateway.errors import ConfigError


def bind_listening(host: str, port: int, *, what: str, backlog: int = 512) -> socket.socket:
    """A listening TCP socket; ConfigError naming `what` when the address cannot be had."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # TIME_WAIT only, not sharing
        sock.bind((host, port))
        sock.listen(backlog)
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise ConfigError(
                f"{what}: {host}:{port} is already in use (another mutaika serve or MTA?)"
            ) from None
        raise ConfigError(f"{what}: cannot listen on {host}:{port}: {exc.strerror}") from None
    sock.set_inheritable(False)
    return sock
