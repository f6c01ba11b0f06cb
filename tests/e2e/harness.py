"""Run `python -m gateway serve` as a real process tree and talk to it over loopback."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import smtplib
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return json.dumps(str(value))  # a JSON string is a valid TOML basic string


def write_config(path: Path, sections: dict[str, dict[str, Any]], **top: Any) -> Path:
    lines = [f"{key} = {_toml_value(value)}" for key, value in top.items()]
    for name, values in sections.items():
        lines.append(f"[{name}]")
        lines += [f"{key} = {_toml_value(value)}" for key, value in values.items()]
    path.write_text("\n".join(lines) + "\n")
    return path


def wait_until(predicate: Any, timeout: float, interval: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return bool(predicate())


class Gateway:
    """One `mutaika serve` in its own session, so SIGKILL can take the whole tree at once."""

    def __init__(self, workdir: Path, config: Path, smtp_port: int) -> None:
        self.workdir = workdir
        self.config = config
        self.smtp_port = smtp_port
        self.process: subprocess.Popen[bytes] | None = None
        self.log = workdir / "serve.log"

    def start(self, timeout: float = 15.0) -> None:
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "gateway", "serve", "--config", str(self.config)],
                cwd=self.workdir,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
                start_new_session=True,
            )
        if not wait_until(self._smtp_ready, timeout, 0.1):
            self.kill()
            raise AssertionError(f"serve did not come up:\n{self.log.read_text()[-3000:]}")

    def _smtp_ready(self) -> bool:
        assert self.process is not None
        if self.process.poll() is not None:
            raise AssertionError(f"serve exited:\n{self.log.read_text()[-3000:]}")
        try:
            with smtplib.SMTP("127.0.0.1", self.smtp_port, timeout=2) as client:
                return client.noop()[0] == 250
        except OSError:
            return False

    def stop(self, timeout: float = 20.0) -> int:
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout)
        finally:
            self.kill()

    def kill(self) -> None:
        """SIGKILL every process of the tree (supervisor, forkserver, children)."""
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(10)

    def send(
        self, raw: bytes, sender: str = "alice@example.org", rcpts: list[str] | None = None
    ) -> None:
        with smtplib.SMTP("127.0.0.1", self.smtp_port, timeout=10) as client:
            client.sendmail(sender, rcpts or ["bob@city.example.lg.jp"], raw)


def make_token(workdir: Path, config: Path, role: str) -> str:
    """A bearer token of `role`, made by the CLI against the gateway's store."""
    done = subprocess.run([sys.executable, "-m", "gateway", "token", "create", "--role", role,
                           "--name", f"e2e-{role}", "--config", str(config)], cwd=workdir,
                          env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"},
                          capture_output=True, text=True, timeout=60, check=True)
    return done.stdout.splitlines()[0]


def spool_count(workdir: Path, queue: str) -> int:
    path = workdir / "var" / "spool" / queue
    return len(list(path.iterdir())) if path.is_dir() else 0
