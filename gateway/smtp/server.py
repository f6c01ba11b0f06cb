"""Start and stop the SMTP listener: in-process (tests, one-process mode) or as a child process.

Several listener processes share one port through SO_REUSEPORT; each builds its own Spool on
the shared directory (the supervisor has already run prepare()).
"""

from __future__ import annotations

import asyncio
import logging
import signal
import socket
import ssl
from concurrent.futures import ThreadPoolExecutor

from gateway.config import Settings, SmtpSettings
from gateway.doorbell import WORKERS, Ringer
from gateway.errors import ConfigError
from gateway.log import configure_logging
from gateway.runtime import open_spool
from gateway.smtp import status
from gateway.smtp.handler import GatewayHandler
from gateway.smtp.protocol import GatewaySMTP, SessionRegistry
from gateway.spool.store import Spool

log = logging.getLogger(__name__)

SPOOL_THREADS = 16  # parallel fsyncs: ~3x the single-thread rate on ext4 (PERF-ANCHORS)
DRAIN_SECONDS = 30.0  # how long a stopping listener lets messages in transfer finish


def tls_context(settings: SmtpSettings) -> ssl.SSLContext | None:
    if not (settings.tls_cert and settings.tls_key):
        if settings.require_starttls:
            raise ConfigError("smtp.require_starttls needs smtp.tls_cert and smtp.tls_key")
        return None
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    try:
        context.load_cert_chain(settings.tls_cert, settings.tls_key)
    except (OSError, ssl.SSLError) as exc:
        raise ConfigError(f"smtp.tls_cert / smtp.tls_key: cannot load: {exc}") from None
    return context


class Listener:
    def __init__(
        self, server: asyncio.Server, sessions: SessionRegistry, executor: ThreadPoolExecutor,
        ringer: Ringer,
    ) -> None:
        self._server = server
        self._sessions = sessions
        self._executor = executor
        self._ringer = ringer

    @property
    def port(self) -> int:
        sockname = self._server.sockets[0].getsockname()
        return int(sockname[1])

    async def close(self, drain_seconds: float = DRAIN_SECONDS) -> None:
        """Stop accepting, let messages being transferred finish, then close everything."""
        self._server.close()
        self._sessions.drain()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + drain_seconds
        while self._sessions.sessions and loop.time() < deadline:
            await asyncio.sleep(0.05)
        self._sessions.abort_all()
        await self._server.wait_closed()
        # Writes already handed to the spool threads complete: a client may lose its 250,
        # never its message.
        await asyncio.to_thread(self._executor.shutdown, wait=True)
        self._ringer.close()


async def start_listener(settings: Settings, spool: Spool, *, reuse_port: bool) -> Listener:
    smtp = settings.smtp
    context = tls_context(smtp)
    sessions = SessionRegistry(
        max_sessions=smtp.max_connections, max_per_client=smtp.max_connections_per_client
    )
    executor = ThreadPoolExecutor(max_workers=SPOOL_THREADS, thread_name_prefix="spool")
    ringer = Ringer(settings.data_dir, WORKERS)
    handler = GatewayHandler(smtp, spool, executor=executor, on_accepted=ringer.ring)
    loop = asyncio.get_running_loop()

    def factory() -> GatewaySMTP:
        return GatewaySMTP(
            handler,
            sessions=sessions,
            data_size_limit=smtp.max_message_bytes,
            enable_SMTPUTF8=True,
            decode_data=False,
            hostname=smtp.hostname,
            ident=status.GREETING_IDENT,
            tls_context=context,
            require_starttls=smtp.require_starttls,
            timeout=smtp.timeout_seconds,
            loop=loop,
        )

    try:
        server = await loop.create_server(
            factory, host=smtp.host, port=smtp.port, reuse_port=reuse_port,
            family=socket.AF_UNSPEC,
        )
    except BaseException:
        executor.shutdown(wait=False)
        ringer.close()
        raise
    listener = Listener(server, sessions, executor, ringer)
    log.info("SMTP listening on %s port %d", smtp.host, listener.port)
    return listener


async def _serve(settings: Settings) -> None:
    listener = await start_listener(settings, open_spool(settings), reuse_port=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    await stop.wait()
    log.info("SMTP listener stopping")
    await listener.close()


def run_listener_process(settings: Settings) -> None:
    """Entry point of one SMTP listener process; returns after SIGTERM and a graceful stop."""
    configure_logging(settings.log_level)
    # aiosmtpd logs every command line at INFO: far too costly and chatty for production.
    logging.getLogger("mail.log").setLevel(logging.WARNING)
    asyncio.run(_serve(settings))
