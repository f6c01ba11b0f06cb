"""The two relays under test, each in its own directory under the bench's temporary root:
a private Postfix instance (plain relay, the anchor) and `mutaika serve` (fsync on, sanitizing).
Both listen on a free loopback port and relay to the sink on `sink_port`.
"""

from __future__ import annotations

import contextlib
import json
import os
import pwd
import subprocess
import sys
from collections import Counter
from pathlib import Path

from bench.relay_mails import DOMAIN
from bench.sink import accepts, free_port, stop_process, wait_for

ROOT = Path(__file__).resolve().parent.parent

_MAIN_CF = """compatibility_level = 3.6
queue_directory = {root}/queue
data_directory = {root}/data
mail_owner = postfix
setgid_group = postdrop
myhostname = anchor.bench.example
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mydestination =
mynetworks = 127.0.0.0/8
relay_domains = {domain}
relayhost = [127.0.0.1]:{sink}
local_transport = error:no local delivery in this bench
alias_maps =
alias_database =
smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
maillog_file = {root}/maillog
maillog_file_prefixes = {root}
"""
# No chroot (the private queue holds no copies of /etc), otherwise Debian's stock services.
_MASTER_CF = """127.0.0.1:{port} inet n - n - - smtpd
pickup    unix  n - n 60 1 pickup
cleanup   unix  n - n - 0 cleanup
qmgr      unix  n - n 300 1 qmgr
rewrite   unix  - - n - - trivial-rewrite
bounce    unix  - - n - 0 bounce
defer     unix  - - n - 0 bounce
trace     unix  - - n - 0 bounce
verify    unix  - - n - 1 verify
flush     unix  n - n 1000? 0 flush
proxymap  unix  - - n - - proxymap
smtp      unix  - - n - - smtp
relay     unix  - - n - - smtp
showq     unix  n - n - - showq
error     unix  - - n - - error
retry     unix  - - n - - error
discard   unix  - - n - - discard
anvil     unix  - - n - 1 anvil
scache    unix  - - n - 1 scache
postlog   unix-dgram n - n - 1 postlogd
"""

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


class PostfixInstance:
    """A private Postfix: own config_directory and queue_directory, started with `postfix -c`;
    the system instance (none after relay_setup.sh) is not touched."""

    name = "postfix"

    def __init__(self, root: Path, sink_port: int) -> None:
        self.root = root
        self.port = free_port()
        self._sink_port = sink_port

    def _postfix(self, *args: str) -> None:
        done = subprocess.run(["postfix", "-c", str(self.root / "etc"), *args], timeout=60)
        if done.returncode != 0:
            log = self.root / "maillog"
            tail = log.read_text().splitlines()[-5:] if log.exists() else []
            raise RuntimeError(f"postfix {' '.join(args)} failed: " + " | ".join(tail))

    def start(self) -> None:
        (self.root / "etc").mkdir(parents=True)
        (self.root / "data").mkdir()
        (self.root / "queue").mkdir()  # root-owned; `postfix check` fills it
        os.chmod(self.root, 0o755)
        (self.root / "etc" / "main.cf").write_text(
            _MAIN_CF.format(root=self.root, domain=DOMAIN, sink=self._sink_port)
        )
        (self.root / "etc" / "master.cf").write_text(_MASTER_CF.format(port=self.port))
        os.chown(self.root / "data", *_ids("postfix"))
        self._postfix("check")  # creates the queue directories with Postfix's own permissions
        self._postfix("start")
        if not wait_for(lambda: accepts(self.port), timeout=20):
            raise RuntimeError(f"private Postfix did not listen; see {self.root}/maillog")

    def stop(self) -> None:
        if (self.root / "queue" / "pid" / "master.pid").exists():
            subprocess.run(["postfix", "-c", str(self.root / "etc"), "stop"], timeout=60)


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


def _ids(user: str) -> tuple[int, int]:
    entry = pwd.getpwnam(user)
    return entry.pw_uid, entry.pw_gid
