import json
import socket
from pathlib import Path

from gateway.app import reserve_port, resolve_paths, write_state
from gateway.config import Settings


def test_relative_paths_resolve_against_the_start_directory(tmp_path: Path) -> None:
    settings = resolve_paths(Settings(), cwd=tmp_path)
    assert settings.data_dir == tmp_path / "var"
    assert settings.spool.directory == tmp_path / "var" / "spool"
    assert settings.delivery.maildir == tmp_path / "var" / "maildir"
    assert settings.quarantine.database == tmp_path / "var" / "quarantine.sqlite3"
    absolute = Settings(spool={"directory": Path("/srv/spool")})  # type: ignore[arg-type]
    assert resolve_paths(absolute, cwd=tmp_path).spool.directory == Path("/srv/spool")


def test_port_zero_is_picked_once_and_shared() -> None:
    port, held = reserve_port("127.0.0.1", 0)
    assert held is not None and port > 0
    try:
        for _ in range(2):  # a listener and its restart both bind the reserved port
            listener = socket.socket()
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
            listener.bind(("127.0.0.1", port))
            listener.listen()
            listener.close()
    finally:
        held.close()
    assert reserve_port("127.0.0.1", 2525) == (2525, None)


def test_state_file_names_the_ports(tmp_path: Path) -> None:
    settings = Settings(smtp={"port": 2600}, api={"port": 8100})  # type: ignore[arg-type]
    write_state(tmp_path, settings)
    state = json.loads((tmp_path / "serve.json").read_text())
    assert state["smtp"] == ["127.0.0.1", 2600] and state["api"] == ["127.0.0.1", 8100]
