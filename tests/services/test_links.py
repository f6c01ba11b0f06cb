from __future__ import annotations

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
