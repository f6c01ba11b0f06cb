"""The two relays under test, each in its own directory under the bench's temporary root:
a private Postfix instance (plain relay, the anchor) and `mutaika serve` (fsync on, sanitizing).
Both listen on a free loopback port and relay to the sink on `sink_port`.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

from bench.relay_mails import DOMAIN
from bench.sink import accepts, free_port, stop_process, wait_for
from tests.postfix import PrivatePostfix

ROOT = Path(__file__).resolve().parent.parent

_MUTAIKA_TOML = """data_dir = "{root}"

[smtp]
port = {port}
local_domains = ["{domain}"]
listeners = {listeners}

[spool]
directory = "{root}/spool"
fsync = {fsync}

[workers]
processes = {workers}

[delivery]
relay_url = "smtp://127.0.0.1:{sink}"
starttls = "off"
connections = {connections}

[api]
enabled = false
"""


class PostfixInstance(PrivatePostfix):
    """The anchor: a private Postfix that relays every mail for DOMAIN to the sink."""

    name = "postfix"

    def __init__(self, root: Path, sink_port: int) -> None:
        port = free_port()
        super().__init__(
            root,
            listen_port=port,
            main={
                "myhostname": "anchor.bench.example",
                "relay_domains": DOMAIN,
                "relayhost": f"[127.0.0.1]:{sink_port}",
            },
            services=[f"127.0.0.1:{port} inet n - n - - smtpd"],
        )


class MutaikaInstance:
    """`python -m gateway serve --config mutaika.toml` with its data under `root`."""

    name = "mutaika"

    def __init__(
        self,
        root: Path,
        sink_port: int,
        *,
        listeners: int,
        workers: int,
        connections: int,
        fsync: bool = True,
    ) -> None:
        self.root = root
        self.port = free_port()
        self._config = _MUTAIKA_TOML.format(
            root=json.dumps(str(root))[1:-1],
            port=self.port,
            domain=DOMAIN,
            listeners=listeners,
            fsync=str(fsync).lower(),
            workers=workers,
            sink=sink_port,
            connections=connections,
        )
        self._proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.root.mkdir(parents=True)
        config = self.root / "mutaika.toml"
        config.write_text(self._config)
        with (self.root / "serve.log").open("wb") as log:
            self._proc = subprocess.Popen(
                [sys.executable, "-m", "gateway", "serve", "--config", str(config)],
                cwd=ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        if not wait_for(lambda: accepts(self.port), timeout=30):
            raise RuntimeError(f"mutaika did not listen; see {self.root}/serve.log")

    def children(self) -> dict[str, int]:
        """{"smtp-0": pid, "worker-1": pid, …} from the supervisor's "started NAME (pid N)" lines
        (the last one wins: a restarted child has a new pid)."""
        found: dict[str, int] = {}
        for line in (self.root / "serve.log").read_text().splitlines():
            if " started " in line and "(pid " in line:
                words = line.split(" started ", 1)[1].split()
                found[words[0]] = int(words[-1].rstrip(")"))
        return found

    def verdicts(self) -> Counter[str]:
        """Verdicts from the message log: proof that the mails were sanitized, not shortcut."""
        found: Counter[str] = Counter()
        for line in (self.root / "serve.log").read_text().splitlines():
            if '"event": "sanitized"' in line:
                record = json.loads(line[line.index("{") :])
                found[f"{record.get('verdict')} {record.get('reason', '')}".strip()] += 1
        return found

    def drained(self) -> bool:
        spool = self.root / "spool"
        return not any(
            any((spool / queue).iterdir())
            for queue in ("incoming", "active", "outgoing", "sending")
            if (spool / queue).is_dir()
        )

    def stop(self) -> None:
        if self._proc is not None:
            stop_process(self._proc, timeout=30)
            if self._proc.returncode is not None and self._proc.returncode < 0:
                # the supervisor had to be killed: its children are in its session, end them too
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self._proc.pid, 9)
