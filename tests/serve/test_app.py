from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest

from gateway.config import Settings
from gateway.errors import ConfigError
from gateway.serve.app import resolve_paths, write_state
from gateway.serve.lock import DirectoryLock
from gateway.serve.sockets import bind_listening


def test_relative_paths_resolve_against_the_start_directory(tmp_path: Path) -> None:
    settings = resolve_paths(Settings(), cwd=tmp_path)
    assert settings.data_dir == tmp_path / "var"
    assert settings.spool.directory == tmp_path / "var" / "spool"
    assert settings.delivery.maildir == tmp_path / "var" / "maildir"
    assert settings.store.resolved_url(settings.data_dir) == (
        f"sqlite:///{tmp_path / 'var' / 'mutaika.sqlite3'}")
    absolute = Settings(spool={"directory": Path("/srv/spool")})  # type: ignore[arg-type]
    assert resolve_paths(absolute, cwd=tmp_path).spool.directory == Path("/srv/spool")
    relative_db = Settings(store={"url": "sqlite:///db/m.sqlite3"})  # type: ignore[arg-type]
    assert resolve_paths(relative_db, cwd=tmp_path).store.url == (
        f"sqlite:///{tmp_path / 'db' / 'm.sqlite3'}")


def test_a_bound_port_cannot_be_bound_twice() -> None:
    first = bind_listening("127.0.0.1", 0, what="smtp")
    port = first.getsockname()[1]
    try:
        with pytest.raises(ConfigError, match="already in use"):
            bind_listening("127.0.0.1", port, what="smtp")
        with socket.create_connection(("127.0.0.1", port), timeout=2):
            pass  # it listens already: children only accept on it
    finally:
        first.close()


def test_a_data_directory_has_one_owner(tmp_path: Path) -> None:
    first, second = DirectoryLock(tmp_path), DirectoryLock(tmp_path)
    first.acquire()
    with pytest.raises(ConfigError, match="in use by another mutaika serve"):
        second.acquire()
    first.release()
    second.acquire()  # released (as by the death of its holder): free again
    second.release()


def test_state_file_names_the_ports(tmp_path: Path) -> None:
    smtp = bind_listening("127.0.0.1", 0, what="smtp")
    try:
        write_state(tmp_path, smtp, None)
        state = json.loads((tmp_path / "serve.json").read_text())
        assert state["smtp"] == ["127.0.0.1", smtp.getsockname()[1]] and state["api"] is None
    finally:
        smtp.close()
