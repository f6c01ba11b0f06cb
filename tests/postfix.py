"""A private Postfix instance on loopback, for the deployment-recipe tests and the relay bench.

It has its own config_directory and queue_directory under `root` and is started with
`postfix -c`; the system instance (none after scripts/setup.sh: Debian's package is installed
with "No configuration") is never touched. Needs root (the master starts as root and its daemons
run as the `postfix` user) and Debian's postfix package.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import time
from collections.abc import Iterable, Mapping
from pathlib import Path

# Everything a private instance needs so that it neither touches the system's files nor
# delivers anywhere but where the caller says; the caller's parameters come after these and
# win (in main.cf the last definition of a parameter is the one in force).
_BASE_MAIN = {
    "compatibility_level": "3.6",
    "queue_directory": "{root}/queue",
    "data_directory": "{root}/data",
    "mail_owner": "postfix",
    "setgid_group": "postdrop",
    "myhostname": "postfix.test.example",
    "inet_interfaces": "127.0.0.1",
    "inet_protocols": "ipv4",
    "mydestination": "",
    "mynetworks": "127.0.0.0/8",
    "local_transport": "error:no local delivery in this instance",
    "alias_maps": "",
    "alias_database": "",
    "smtpd_relay_restrictions": "permit_mynetworks, reject_unauth_destination",
    "maillog_file": "{root}/maillog",
    "maillog_file_prefixes": "{root}",
}
# Debian's stock internal services without chroot (the private queue holds no copies of /etc);
# the caller adds its listeners and transports.
_BASE_MASTER = """\
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


def missing() -> str | None:
    """Why a private instance cannot run here, or None when it can."""
    if os.geteuid() != 0:
        return "a private Postfix instance needs root"
    absent = [tool for tool in ("postfix", "postmap", "postqueue") if not shutil.which(tool)]
    if absent:
        return f"Debian's postfix package is not installed ({', '.join(absent)} missing)"
    return None


def accepts(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        return True
    except OSError:
        return False


class PrivatePostfix:
    """main.cf = the base above, then the parameters `main`, then the texts `main_files`;
    master.cf = the base services, then `services`, then the texts `master_files`; "{root}" and
    "{etc}" in any of them become the instance's directories. `maps` are written into etc/ and
    compiled with postmap (refer to them as hash:{etc}/NAME)."""

    def __init__(
        self,
        root: Path,
        *,
        listen_port: int,
        main: Mapping[str, str] = {},
        services: Iterable[str] = (),
        main_files: Iterable[str] = (),
        master_files: Iterable[str] = (),
        maps: Mapping[str, str] = {},
    ) -> None:
        self.root = root
        self.etc = root / "etc"
        self.port = listen_port  # the smtpd the caller's services open; start() waits for it
        self._main = {**_BASE_MAIN, **main}
        self._services = list(services)
        self._main_files = list(main_files)
        self._master_files = list(master_files)
        self._maps = dict(maps)

    def _run(self, *command: str) -> str:
        done = subprocess.run(command, capture_output=True, text=True, timeout=60)
        if done.returncode != 0:
            raise RuntimeError(
                f"{' '.join(command)} failed: {done.stderr.strip()} | {self.log_tail()}"
            )
        return done.stdout

    def log_tail(self, lines: int = 8) -> str:
        log = self.root / "maillog"
        return " | ".join(log.read_text().splitlines()[-lines:]) if log.exists() else ""

    def start(self) -> None:
        for parent in self.root.resolve().parents:
            if not parent.stat().st_mode & 0o001:
                # the master opens data_directory as the postfix user, which must get there
                raise RuntimeError(
                    f"{parent} cannot be traversed by the postfix user: put the instance "
                    "under a directory everyone can enter (e.g. /var/tmp)"
                )
        self.etc.mkdir(parents=True)
        (self.root / "data").mkdir()
        (self.root / "queue").mkdir()  # root-owned; `postfix check` fills it
        os.chmod(self.root, 0o755)
        main = [f"{key} = {value}" for key, value in self._main.items()]
        self._write("main.cf", [*main, *self._main_files])
        self._write("master.cf", [_BASE_MASTER, *self._services, *self._master_files])
        for name, text in self._maps.items():
            (self.etc / name).write_text(text)
            self._run("postmap", "-c", str(self.etc), f"hash:{self.etc / name}")
        entry = pwd.getpwnam("postfix")
        os.chown(self.root / "data", entry.pw_uid, entry.pw_gid)
        self._run("postfix", "-c", str(self.etc), "check")  # makes the queue directories
        self._run("postfix", "-c", str(self.etc), "start")
        deadline = time.monotonic() + 20
        while not accepts(self.port):
            if time.monotonic() > deadline:
                raise RuntimeError(f"private Postfix did not listen: {self.log_tail()}")
            time.sleep(0.05)

    def _write(self, name: str, parts: list[str]) -> None:
        text = "\n".join(parts) + "\n"
        text = text.replace("{root}", str(self.root)).replace("{etc}", str(self.etc))
        (self.etc / name).write_text(text)

    def queue_empty(self) -> bool:
        return "Mail queue is empty" in self._run("postqueue", "-c", str(self.etc), "-p")

    def stop(self) -> None:
        if (self.root / "queue" / "pid" / "master.pid").exists():
            subprocess.run(
                ["postfix", "-c", str(self.etc), "stop"], capture_output=True, timeout=60
            )
