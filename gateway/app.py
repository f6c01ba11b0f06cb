"""`mutaika serve`: the supervisor process and the wiring of its children.

Children start with the "forkserver" method: each is forked from a small clean server process that
never ran the supervisor's code (no inherited threads, locks, sockets or SQLite handles, unlike
plain fork), and that preloads the gateway modules once, so a worker killed at the time limit is
back in milliseconds instead of the ~0.5 s a "spawn" child spends importing lxml and friends.
"""

from __future__ import annotations

import json
import logging
import multiprocessing
import os
import shutil
import socket
from pathlib import Path

from gateway.api.sockets import bind_socket
from gateway.config import Settings
from gateway.doorbell import clear_run_dir
from gateway.log import configure_logging

LOG = logging.getLogger(__name__)

TICK_SECONDS = 0.1
STOP_TIMEOUT_SECONDS = 15.0
_PRELOAD = [
    "gateway.worker",
    "gateway.delivery.runner",
    "gateway.smtp.server",
    "gateway.api.main",
]


def resolve_paths(settings: Settings, cwd: Path | None = None) -> Settings:
    """Relative paths resolve against the directory `serve` started in, once, before any child
    starts: a child that changed directory, or a restart, still finds the same files."""
    base = cwd or Path.cwd()

    def absolute(path: Path) -> Path:
        return path if path.is_absolute() else (base / path).resolve()

    return settings.model_copy(
        update={
            "data_dir": absolute(settings.data_dir),
            "spool": settings.spool.model_copy(
                update={"directory": absolute(settings.spool.directory)}
            ),
            "delivery": settings.delivery.model_copy(
                update={"maildir": absolute(settings.delivery.maildir)}
            ),
            "quarantine": settings.quarantine.model_copy(
                update={
                    "database": absolute(settings.quarantine.database),
                    "directory": absolute(settings.quarantine.directory),
                }
            ),
        }
    )


def prepare_metrics_dir(data_dir: Path) -> str:
    """A fresh PROMETHEUS_MULTIPROC_DIR per start: files of dead processes would count twice."""
    directory = data_dir / "prometheus"
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(directory)
    return str(directory)


def reserve_port(host: str, port: int) -> tuple[int, socket.socket | None]:
    """Port 0 means "any": pick it once here and hold it (SO_REUSEPORT, never listening) so that
    every listener process, and every restart of one, binds the same port."""
    if port != 0:
        return port, None
    sock = bind_socket(host, 0)
    return int(sock.getsockname()[1]), sock


def write_state(data_dir: Path, settings: Settings) -> None:
    """var/serve.json: where this instance listens (ports picked for 0), for tests and operators."""
    state = {
        "pid": os.getpid(),
        "smtp": [settings.smtp.host, settings.smtp.port],
        "api": [settings.api.host, settings.api.port] if settings.api.enabled else None,
    }
    (data_dir / "serve.json").write_text(json.dumps(state) + "\n")


def serve(settings: Settings) -> int:
    """Run until SIGTERM/SIGINT; 0 after a clean stop."""
    settings = resolve_paths(settings)
    configure_logging(settings.log_level)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    clear_run_dir(settings.data_dir)
    metrics_dir = prepare_metrics_dir(settings.data_dir)
    # imported only now: prometheus_client picks its multiprocess mode at import time
    from gateway.runtime import StopFlag
    from gateway.supervisor import Supervisor
    from gateway.wiring import add_children, settle_dead_job

    held: list[socket.socket] = []
    smtp_port, smtp_sock = reserve_port(settings.smtp.host, settings.smtp.port)
    api_port, api_sock = reserve_port(settings.api.host, settings.api.port)
    held += [s for s in (smtp_sock, api_sock) if s is not None]
    settings = settings.model_copy(
        update={
            "smtp": settings.smtp.model_copy(update={"port": smtp_port}),
            "api": settings.api.model_copy(update={"port": api_port}),
        }
    )

    stop = StopFlag().install()
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(_PRELOAD)
    supervisor = Supervisor(
        ctx,
        time_limit=settings.workers.time_limit_seconds,
        on_stuck=lambda qid, seconds: settle_dead_job(settings, qid, seconds),
        metrics_dir=metrics_dir,
    )
    add_children(supervisor, ctx, settings)
    supervisor.start_all()
    write_state(settings.data_dir, settings)
    LOG.info("serving: SMTP port %d, API port %d, pid %d", smtp_port, api_port, os.getpid())
    try:
        while not stop.is_set:
            supervisor.tick()
            stop.wait(TICK_SECONDS)
    finally:
        supervisor.stop(min(STOP_TIMEOUT_SECONDS, settings.workers.time_limit_seconds + 5))
        for sock in held:
            sock.close()
    LOG.info("stopped")
    return 0
