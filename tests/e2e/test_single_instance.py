"""A second `mutaika serve` on the same data directory or the same port fails at once, clearly,
and leaves the first one untouched (issue 6: it used to share the port and split the mail)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import gateway_sections
from tests.e2e.harness import REPO, wait_until, write_config
from tests.e2e.mails import plain
from tests.fakes.lgwan_mta import FakeMta, free_port

pytestmark = [pytest.mark.e2e]


def _serve(workdir: Path, config: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run(
        [sys.executable, "-m", "gateway", "serve", "--config", str(config)],
        cwd=workdir, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip


def test_a_second_instance_is_refused_and_the_first_goes_on(
    start_gateway: Any, fake_mta: FakeMta, tmp_path: Path
) -> None:
    first = start_gateway(fake_mta.url)
    state = (tmp_path / "var" / "serve.json").read_text()

    same_dir = write_config(tmp_path / "same-dir.toml",
                            gateway_sections(free_port(), fake_mta.url))  # fmt: skip
    done = _serve(tmp_path, same_dir)
    assert done.returncode == 2
    assert "in use by another mutaika serve" in done.stderr and "Traceback" not in done.stderr

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    same_port = write_config(elsewhere / "gateway.toml",
                             gateway_sections(first.smtp_port, fake_mta.url))  # fmt: skip
    done = _serve(elsewhere, same_port)
    assert done.returncode == 2
    assert "already in use" in done.stderr and "Traceback" not in done.stderr
    assert not (elsewhere / "var" / "maildir").exists()

    assert (tmp_path / "var" / "serve.json").read_text() == state  # untouched
    assert json.loads(state)["pid"] == first.process.pid
    for n in range(10):  # every mail reaches the first instance's delivery
        first.send(plain(f"ONLYONE{n}"))
    assert wait_until(lambda: len(fake_mta.messages) == 10, 20)
    assert first.stop() == 0
