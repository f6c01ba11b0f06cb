"""`mutaika serve`: take the data directory, bind the ports, recover, then run the children.

Children start with the "forkserver" method: each is forked from a small clean server process that
never ran the supervisor's code (no inherited threads, locks, sockets or database handles, unlike
plain fork), and that preloads the gateway modules once, so a worker killed at the time limit is
back in milliseconds instead of the ~0.5 s a "spawn" child spends importing lxml and friends.
The listening sockets are the exception: bound here once, they are handed to each child.
"""

from __future__ import annotations

import hashlib
import json
import logging
import multiprocessing
import os
import shutil
import socket
import tempfile
from pathlib import Path

from gateway.config import Settings
from gateway.doorbell import clear_run_dir
from gateway.log import configure_logging
from gateway.serve.lock import DirectoryLock
from gateway.serve.sockets import bind_listening

LOG = logging.getLogger(__name__)

TICK_SECONDS = 0.1
STOP_TIMEOUT_SECONDS = 15.0
_PRELOAD = [
    "gateway.worker",
    "gateway.delivery.runner",
    "gateway.smtp.server",
    "gateway.serve.web",
    "gateway.serve.children",
]


def resolve_paths(settings: Settings, cwd: Path | None = None) -> Settings:
    """Relative paths resolve against the directory `serve` started in, once, before any child
    starts: a child that changed directory, or a restart, still finds the same files."""
    base = cwd or Path.cwd()

    def absolute(path: Path) -> Path:
        return path if path.is_absolute() else (base / path).resolve()

    data_dir = absolute(settings.data_dir)
    url = settings.store.url
    if url.startswith("sqlite:///") and not url.startswith("sqlite:////"):
        url = f"sqlite:///{absolute(Path(url.removeprefix('sqlite:///')))}"
    return settings.model_copy(
        update={
            "data_dir": data_dir,
            "spool": settings.spool.model_copy(
                update={"directory": absolute(settings.spool.directory)}
            ),
            "delivery": settings.delivery.model_copy(
                update={"maildir": absolute(settings.delivery.maildir)}
            ),
            "store": settings.store.model_copy(update={"url": settings.store.url and url}),
        }
    )


def metrics_dir(data_dir: Path) -> Path:
    """Where the process tree's counters live: in memory (/dev/shm), never on the data disk.
    prometheus_client grows its files through mmap, and a page that cannot be backed on a full
    disk kills the process with SIGBUS: a full data disk must cost 452s, not the workers. One
    directory per data directory, so two instances on one host never share counters."""
    base = Path("/dev/shm")
    if not (base.is_dir() and os.access(base, os.W_OK)):
        base = Path(tempfile.gettempdir())
    tag = hashlib.sha256(str(data_dir).encode()).hexdigest()[:12]
    return base / f"mutaika-metrics-{os.getuid()}-{tag}"


def prepare_metrics_dir(data_dir: Path) -> str:
    """A fresh PROMETHEUS_MULTIPROC_DIR per start: files of dead processes would count twice."""
    directory = metrics_dir(data_dir)
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(mode=0o700, parents=True)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(directory)
    return str(directory)


def write_state(data_dir: Path, smtp: socket.socket, api: socket.socket | None) -> None:
    """<data_dir>/serve.json: where this instance listens (ports picked for 0), for tests and
    operators."""
    state = {
        "pid": os.getpid(),
        "smtp": list(smtp.getsockname()[:2]),
        "api": list(api.getsockname()[:2]) if api is not None else None,
    }
    (data_dir / "serve.json").write_text(json.dumps(state) + "\n")


def _locks(settings: Settings) -> list[DirectoryLock]:
    """The data directory, and the spool when it lives elsewhere: each has one owner."""
    directories = [settings.data_dir]
    if not settings.spool.directory.is_relative_to(settings.data_dir):
        directories.append(settings.spool.directory)
    return [DirectoryLock(d) for d in directories]


def serve(settings: Settings) -> int:
    """Run until SIGTERM/SIGINT; 0 after a clean stop. Raises ConfigError when the ports or the
    directories are taken."""
    settings = resolve_paths(settings)
    configure_logging(settings.log_level)
    locks = _locks(settings)
    held: list[socket.socket] = []
    try:
        for lock in locks:
            lock.acquire()
        smtp_sock = bind_listening(settings.smtp.host, settings.smtp.port, what="smtp")
        held.append(smtp_sock)
        api_sock = None
        if settings.api.enabled:
            api_sock = bind_listening(settings.api.host, settings.api.port, what="api")
            held.append(api_sock)
        return _run(settings, smtp_sock, api_sock)
    finally:
        for sock in held:
            sock.close()
        for lock in locks:
            lock.release()


def _run(settings: Settings, smtp_sock: socket.socket, api_sock: socket.socket | None) -> int:
    clear_run_dir(settings.data_dir)
    metrics_path = prepare_metrics_dir(settings.data_dir)
    # imported only now: prometheus_client picks its multiprocess mode at import time
    from gateway.runtime import StopFlag, open_spool, open_store
    from gateway.serve import children
    from gateway.serve.supervisor import Supervisor
    from gateway.spool.ids import set_node
    from gateway.worker import JobSlot

    set_node(settings.node_name)  # the supervisor queues the notices of killed jobs
    open_spool(settings).prepare()  # recovery, before any child runs
    store = open_store(settings)
    store.prepare()  # the schema at this version's head
    store.close()
    stop = StopFlag().install()
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(_PRELOAD)
    supervisor = Supervisor(
        ctx,
        time_limit=settings.workers.time_limit_seconds,
        on_stuck=lambda qid, seconds: children.settle_dead_job(settings, qid, seconds),
        metrics_dir=metrics_path,
    )
    for n in range(settings.smtp.listeners):
        supervisor.add(f"smtp-{n}", children.smtp_process, settings, smtp_sock)
    for n in range(settings.workers.processes):
        slot = JobSlot(ctx)
        supervisor.add(f"worker-{n}", children.worker_process, settings, slot, slot=slot)
    supervisor.add("delivery", children.delivery_process, settings)
    supervisor.add("housekeeping", children.housekeeping_process, settings)
    if api_sock is not None:
        supervisor.add("api", children.api_process, settings, api_sock)
    write_state(settings.data_dir, smtp_sock, api_sock)  # the sockets are bound: ports known
    supervisor.start_all()
    LOG.info("serving: SMTP %s, API %s, pid %d", smtp_sock.getsockname()[:2],
             api_sock.getsockname()[:2] if api_sock else "off", os.getpid())  # fmt: skip
    try:
        while not stop.is_set:
            supervisor.tick()
            stop.wait(TICK_SECONDS)
    finally:
        supervisor.stop(min(STOP_TIMEOUT_SECONDS, settings.workers.time_limit_seconds + 5))
        shutil.rmtree(metrics_path, ignore_errors=True)
    LOG.info("stopped")
    return 0
