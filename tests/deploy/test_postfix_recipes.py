"""The Postfix recipes of deploy/postfix/, exactly as shipped, with a real Postfix over loopback.

Each test starts a private Postfix instance with a recipe's main.cf/master.cf/transport appended
verbatim (only its ports and paths replaced by this run's), `mutaika serve` with the recipe's
gateway.toml, and the aiosmtpd sink as the LGWAN mail server; one mail goes in at Postfix and
must come out at the sink sanitized, exactly once, with every queue empty afterwards.
"""

from __future__ import annotations

import os
import shutil
import smtplib
import subprocess
import tempfile
import tomllib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from gateway.spool import Queue
from tests import postfix
from tests.e2e.harness import Gateway, spool_count, wait_until, write_config
from tests.e2e.mails import html_with_attachment
from tests.fakes.lgwan_mta import FakeMta, Received, free_port
from tests.postfix import PrivatePostfix
from tests.shape import body_text, parse_output, shape_problems

pytestmark = [pytest.mark.e2e]

RECIPES = Path(__file__).resolve().parents[2] / "deploy" / "postfix"
RCPT = "staff@city.example.lg.jp"


def recipe(name: str, replace: dict[str, str]) -> str:
    """deploy/postfix/NAME with each old → new; an `old` the file lacks fails the test, so the
    recipe cannot drift away from what is tested here."""
    text = (RECIPES / name).read_text()
    for old, new in replace.items():
        assert old in text, f"deploy/postfix/{name} no longer contains {old!r}"
        text = text.replace(old, new)
    return text


@pytest.fixture
def start_postfix() -> Iterator[Callable[..., PrivatePostfix]]:
    why = postfix.missing()
    if why:
        pytest.skip(f"{why}; scripts/setup.sh dev installs Debian's postfix when run as root")
    # the postfix user must be able to walk down to the instance; pytest's tmp_path is 0700
    root = Path(tempfile.mkdtemp(prefix="mutaika-postfix-", dir="/var/tmp"))
    os.chmod(root, 0o755)
    started: list[PrivatePostfix] = []

    def start(**kwargs: Any) -> PrivatePostfix:
        instance = PrivatePostfix(root / f"instance{len(started)}", **kwargs)
        started.append(instance)
        instance.start()
        return instance

    yield start
    for instance in started:
        instance.stop()
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def start_mutaika(tmp_path: Path) -> Iterator[Callable[..., Gateway]]:
    started: list[Gateway] = []

    def start(recipe_toml: str, port: int) -> Gateway:
        sections: dict[str, dict[str, Any]] = tomllib.loads(recipe_toml)
        sections["workers"] = {"processes": 1}
        sections["delivery"] |= {"retry_schedule_seconds": [0.5], "retry_jitter": 0.0}
        sections["api"] = {"host": "127.0.0.1", "port": free_port()}
        gateway = Gateway(tmp_path, write_config(tmp_path / "gateway.toml", sections), port)
        started.append(gateway)
        gateway.start()
        return gateway

    yield start
    for gateway in started:
        gateway.kill()


def _arrived(sink: FakeMta, token: str) -> list[Received]:
    return [m for m in sink.messages if token.encode() in m.data]


def _send(port: int, token: str) -> None:
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
        client.sendmail("alice@example.org", [RCPT], html_with_attachment(token, rcpt=RCPT))


def _without_trace(data: bytes, added_by: str) -> bytes:
    """`data` less the Received: fields a Postfix after mutaika prepended (each must name
    `added_by`): mutaika itself writes none, and the shape check allows none."""
    lines = data.split(b"\r\n")
    while lines and lines[0].startswith(b"Received:"):
        field = [lines.pop(0)]
        while lines and lines[0][:1] in (b" ", b"\t"):
            field.append(lines.pop(0))
        assert added_by.encode() in b" ".join(field), field
    return b"\r\n".join(lines)


def _assert_sanitized_once(
    sink: FakeMta, token: str, workdir: Path, *instances: PrivatePostfix, trace_by: str = ""
) -> None:
    assert wait_until(lambda: _arrived(sink, token), 30), [i.log_tail() for i in instances]
    # Quiet everywhere: nothing queued in any Postfix, nothing left in mutaika's spool. From
    # here on no further copy can be on its way, so the count below is final.
    assert wait_until(
        lambda: (
            all(i.queue_empty() for i in instances)
            and sum(spool_count(workdir, q) for q in Queue) == 0
        ),
        20,
    )
    arrived = _arrived(sink, token)
    assert len(arrived) == 1, f"{len(arrived)} copies arrived"
    assert arrived[0].rcpt_tos == [RCPT]
    data = _without_trace(arrived[0].data, trace_by) if trace_by else arrived[0].data
    assert shape_problems(data) == []
    assert parse_output(data)["X-Mutaika-Verdict"] == "sanitized"
    body = body_text(data)
    assert "invoice.pdf" in body  # the notice names the removed attachment
    assert "http://evil.example.com" not in body


def _internet_side(
    start_postfix: Callable[..., PrivatePostfix], mutaika_port: int, main_file: str
) -> PrivatePostfix:
    listen = free_port()
    to_mutaika = {"[127.0.0.1]:2525": f"[127.0.0.1]:{mutaika_port}"}
    if main_file == "main.cf":  # the transport-map form
        maps = {"transport": recipe("internet-side/transport", to_mutaika)}
        main = recipe("internet-side/main.cf", {"/etc/postfix/": "{etc}/"})
    else:
        maps, main = {}, recipe(f"internet-side/{main_file}", to_mutaika)
    return start_postfix(
        listen_port=listen,
        services=[f"127.0.0.1:{listen} inet n - n - - smtpd"],
        main_files=[main],
        maps=maps,
    )


def _internet_side_mutaika(start_mutaika: Callable[..., Gateway], sink: FakeMta, port: int) -> None:
    replace = {"port = 2525": f"port = {port}", "smtp://lgwan-mta.city.example.lg.jp:25": sink.url}
    start_mutaika(recipe("internet-side/gateway.toml", replace), port)


@pytest.mark.parametrize("main_file", ["main.cf", "relayhost.cf"])
def test_internet_side_postfix_hands_lgwan_mail_to_mutaika(
    main_file: str,
    start_postfix: Callable[..., PrivatePostfix],
    start_mutaika: Callable[..., Gateway],
    fake_mta: FakeMta,
    tmp_path: Path,
) -> None:
    port = free_port()
    _internet_side_mutaika(start_mutaika, fake_mta, port)
    edge = _internet_side(start_postfix, port, main_file)
    _send(edge.port, "EDGE01")
    _assert_sanitized_once(fake_mta, "EDGE01", tmp_path, edge)


def test_internet_side_postfix_keeps_mail_while_mutaika_is_down(
    start_postfix: Callable[..., PrivatePostfix],
    start_mutaika: Callable[..., Gateway],
    fake_mta: FakeMta,
    tmp_path: Path,
) -> None:
    port = free_port()  # nothing listens there yet
    edge = _internet_side(start_postfix, port, "main.cf")
    _send(edge.port, "DOWN01")
    log = edge.root / "maillog"
    assert wait_until(lambda: "status=deferred" in log.read_text(), 20), edge.log_tail()
    assert not edge.queue_empty()
    _internet_side_mutaika(start_mutaika, fake_mta, port)
    subprocess.run(["postqueue", "-c", str(edge.etc), "-f"], check=True, timeout=30)
    _assert_sanitized_once(fake_mta, "DOWN01", tmp_path, edge)


def test_lgwan_side_postfix_filters_every_mail_through_mutaika(
    start_postfix: Callable[..., PrivatePostfix],
    start_mutaika: Callable[..., Gateway],
    fake_mta: FakeMta,
    tmp_path: Path,
) -> None:
    port, back, listen = free_port(), free_port(), free_port()
    replace = {"port = 2525": f"port = {port}", "127.0.0.1:10026": f"127.0.0.1:{back}"}
    start_mutaika(recipe("lgwan-side/gateway.toml", replace), port)
    lgwan = start_postfix(
        listen_port=listen,
        # where this Postfix delivers after the filter: the sink stands in for the mailboxes
        main={"relay_domains": "city.example.lg.jp", "relayhost": f"[127.0.0.1]:{fake_mta.port}"},
        services=[f"127.0.0.1:{listen} inet n - n - - smtpd"],
        main_files=[recipe("lgwan-side/main.cf", {"[127.0.0.1]:2525": f"[127.0.0.1]:{port}"})],
        master_files=[recipe("lgwan-side/master.cf", {"127.0.0.1:10026": f"127.0.0.1:{back}"})],
    )
    _send(lgwan.port, "FILTER01")
    _assert_sanitized_once(fake_mta, "FILTER01", tmp_path, lgwan, trace_by="postfix.test.example")
    log = (lgwan.root / "maillog").read_text()
    # the path the recipe promises: in, out to mutaika, back in on the filter-free smtpd
    assert "postfix/mutaika/smtp" in log and f"relay=127.0.0.1[127.0.0.1]:{port}" in log
    assert "postfix/10026/smtpd" in log
