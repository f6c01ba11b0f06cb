"""A fake LGWAN-side MTA: an aiosmtpd sink that records what it gets and fails on command.

In tests:   with FakeMta() as mta: ...; mta.faults.rcpt_reply = "451 4.3.0 busy"; mta.down()
By hand:    python -m tests.fakes.lgwan_mta --port 2526
"""

from __future__ import annotations

import argparse
import asyncio
import socket
import threading
import time
import warnings
from dataclasses import dataclass, field
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.lmtp import LMTP
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes
    smtputf8: bool = False  # the MAIL command carried SMTPUTF8


@dataclass
class Faults:
    """Switch at run time from any thread; read by the server loop on each command."""

    rcpt_reply: str | None = None  # e.g. "451 4.3.0 try later" for every recipient
    rcpt_replies: dict[str, str] = field(default_factory=dict)  # per recipient
    data_reply: str | None = None  # e.g. "554 5.6.0 rejected"
    drop_at: str | None = None  # "rcpt" or "data": close the connection instead of replying
    delay: float = 0.0  # seconds before replying to RCPT and DATA

    def clear(self) -> None:
        self.rcpt_reply, self.data_reply, self.drop_at, self.delay = None, None, None, 0.0
        self.rcpt_replies.clear()


def _drop(server: SMTP) -> None:
    """Vanish without a reply, as a crashed or unplugged peer does."""
    if isinstance(server.transport, asyncio.Transport):
        server.transport.abort()


class _Handler:
    def __init__(self, mta: FakeMta) -> None:
        self._mta = mta

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: Any
    ) -> str:
        faults = self._mta.faults
        if faults.delay:
            await asyncio.sleep(faults.delay)
        if faults.drop_at == "rcpt":
            _drop(server)
            return "421 4.4.2 dropped"
        reply = faults.rcpt_replies.get(address) or faults.rcpt_reply
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        faults = self._mta.faults
        if faults.delay:
            await asyncio.sleep(faults.delay)
        if faults.drop_at == "data":
            _drop(server)
            return "421 4.4.2 dropped"
        if faults.data_reply:
            return faults.data_reply
        data = envelope.original_content or b""
        smtputf8 = any(o.upper() == "SMTPUTF8" for o in envelope.mail_options)
        self._mta.record(
            Received(envelope.mail_from or "", list(envelope.rcpt_tos), data, smtputf8)
        )
        if self._mta.lmtp:  # one reply per accepted recipient (RFC 2033)
            return "\r\n".join("250 2.0.0 OK" for _ in envelope.rcpt_tos)
        return "250 2.0.0 OK queued"


class _Authenticator:
    def __init__(self, login: tuple[str, str]) -> None:
        self._login = login

    def __call__(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        ok = (
            isinstance(data, LoginPassword)
            and (
                data.login.decode(),
                data.password.decode(),
            )
            == self._login
        )
        return AuthResult(success=ok)


class _Controller(Controller):
    def __init__(
        self,
        handler: _Handler,
        port: int,
        lmtp: bool,
        login: tuple[str, str] | None,
        smtputf8: bool,
    ) -> None:
        auth: dict[str, Any] = {}
        if login:  # AUTH without TLS: loopback tests only
            auth = {"authenticator": _Authenticator(login), "auth_require_tls": False,
                    "auth_required": True}  # fmt: skip
        super().__init__(
            handler, hostname="127.0.0.1", port=port, decode_data=False,
            enable_SMTPUTF8=smtputf8, **auth,
        )  # fmt: skip
        self._lmtp = lmtp

    def factory(self) -> SMTP:
        server_class = LMTP if self._lmtp else SMTP
        with warnings.catch_warnings():  # AUTH without TLS is deliberate here (loopback tests)
            warnings.simplefilter("ignore", UserWarning)
            return server_class(self.handler, **self.SMTP_kwargs)


def free_port() -> int:
    """A port nobody listens on now (there is a race, fine for loopback tests)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class FakeMta:
    def __init__(
        self,
        port: int = 0,
        *,
        lmtp: bool = False,
        login: tuple[str, str] | None = None,
        smtputf8: bool = False,
    ) -> None:
        self.port = port or free_port()
        self.lmtp = lmtp
        self.login = login  # when set, AUTH PLAIN/LOGIN with this user and password is required
        self.smtputf8 = smtputf8  # offer SMTPUTF8 (RFC 6531) in the EHLO reply
        self.faults = Faults()
        self._messages: list[Received] = []
        self._lock = threading.Lock()
        self._controller: _Controller | None = None

    @property
    def url(self) -> str:
        return f"{'lmtp' if self.lmtp else 'smtp'}://127.0.0.1:{self.port}"

    def record(self, message: Received) -> None:
        with self._lock:
            self._messages.append(message)

    @property
    def messages(self) -> list[Received]:
        with self._lock:
            return list(self._messages)

    def up(self) -> None:
        if self._controller is None:
            # a stopped aiosmtpd controller closes its loop: a fresh one per start
            self._controller = _Controller(
                _Handler(self), self.port, self.lmtp, self.login, self.smtputf8
            )
            self._controller.start()

    def down(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def __enter__(self) -> FakeMta:
        self.up()
        return self

    def __exit__(self, *exc: object) -> None:
        self.down()


def main() -> None:
    parser = argparse.ArgumentParser(description="fake LGWAN MTA (prints what it receives)")
    parser.add_argument("--port", type=int, default=2526)
    parser.add_argument("--lmtp", action="store_true")
    args = parser.parse_args()
    with FakeMta(args.port, lmtp=args.lmtp) as mta:
        print(f"listening on {mta.url}", flush=True)
        seen = 0
        try:
            while True:
                time.sleep(0.5)
                for message in mta.messages[seen:]:
                    print(f"{message.mail_from} -> {message.rcpt_tos}: {len(message.data)} bytes")
                seen = len(mta.messages)
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
