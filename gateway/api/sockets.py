"""The listening-socket recipe the admin API and `serve`'s port reservation share.

Its own module, free of FastAPI and Prometheus imports: `serve` reserves ports before it may
import anything that reads PROMETHEUS_MULTIPROC_DIR.
"""

from __future__ import annotations

import socket


def bind_socket(host: str, port: int) -> socket.socket:
    """SO_REUSEPORT so the supervisor can hold port 0's pick across restarts of a listener."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    return sock
