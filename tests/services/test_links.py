from __future__ import annotations

import multiprocessing
import os
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import itsdangerous.timed
import pytest

from gateway.services.links import KEY_FILE, InvalidLink, RequestLinks, request_links, secret_key


def _links(ttl: float = 3600) -> RequestLinks:
    return RequestLinks("https://mutaika.city.example.lg.jp", "k" * 32, ttl)


def test_a_link_names_its_mail_and_recipient() -> None:
    links = _links()
    url = links.url("1A2B", "山田@city.example.lg.jp")
    assert url.startswith("https://mutaika.city.example.lg.jp/r/")
    assert links.verify(url.rsplit("/", 1)[1]) == ("1A2B", "山田@city.example.lg.jp")


def test_forged_altered_and_expired_links_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    links = _links(ttl=60)
    token = links.token("1A2B", "a@city.example.lg.jp")
    other = RequestLinks(links.public_url, "another key" * 3, 60)
    for bad in (other.token("1A2B", "a@city.example.lg.jp"), token[:-2] + "xx", "garbage", ""):
        with pytest.raises(InvalidLink, match="not valid"):
            links.verify(bad)

    with monkeypatch.context() as past:  # a link made an hour ago, for a 60 s lifetime
        past.setattr(itsdangerous.timed, "time", SimpleNamespace(time=lambda: time.time() - 3600))
        aged = links.token("1A2B", "a@city.example.lg.jp")
    with pytest.raises(InvalidLink, match="expired"):
        links.verify(aged)


def test_without_a_configured_key_one_is_kept_in_the_data_dir(make_settings: Any) -> None:
    settings = make_settings(console={"public_url": "https://gw.example.lg.jp/"})
    first = request_links(settings)
    assert first is not None and first.public_url == "https://gw.example.lg.jp"
    key_file = Path(settings.data_dir) / KEY_FILE
    assert os.stat(key_file).st_mode & 0o777 == 0o600
    assert secret_key(settings) == first.secret  # the same key for every process
    assert request_links(make_settings()) is None  # no public URL: no links
    fixed = make_settings(console={"public_url": "https://gw.example.lg.jp",
                                   "secret_key": "configured"})  # fmt: skip
    assert secret_key(fixed) == "configured"


def _key_of(data_dir: str, start: Any, out: Any) -> None:
    from gateway.config import Settings

    start.wait()
    out.put(secret_key(Settings(data_dir=Path(data_dir))))


def test_processes_starting_together_share_one_whole_key(tmp_path: Path) -> None:
    """serve's children make the key file at the same moment on a first start: each must get
    the one key, never a half-written (empty) file (request links then all failed as forged)."""
    ctx = multiprocessing.get_context("fork")
    for attempt in range(20):
        data_dir = tmp_path / str(attempt)
        start, out = ctx.Barrier(8), ctx.Queue()
        racers = [ctx.Process(target=_key_of, args=(str(data_dir), start, out)) for _ in range(8)]
        for racer in racers:
            racer.start()
        keys = {out.get(timeout=30) for _ in racers}
        for racer in racers:
            racer.join(10)
        assert len(keys) == 1 and "" not in keys, keys
        assert (data_dir / KEY_FILE).read_text().strip() in keys
        assert [p.name for p in data_dir.iterdir()] == [KEY_FILE]  # no temporary file left
