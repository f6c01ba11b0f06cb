import asyncio
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
import uvicorn

from gateway.config import Settings
from gateway.runtime import open_spool, open_store
from gateway.serve.sockets import bind_listening
from gateway.serve.web import create_app


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


@pytest.fixture
def api(make_settings: Any) -> Iterator[tuple[str, Settings]]:
    settings: Settings = make_settings()
    sock = bind_listening("127.0.0.1", 0, what="api")
    server = uvicorn.Server(uvicorn.Config(create_app(settings), log_config=None, lifespan="off"))
    thread = threading.Thread(target=lambda: asyncio.run(server.serve(sockets=[sock])))
    thread.start()
    try:
        for _ in range(200):
            if server.started:
                break
            threading.Event().wait(0.02)
        yield f"http://127.0.0.1:{sock.getsockname()[1]}", settings
    finally:
        server.should_exit = True
        thread.join(10)


def test_livez_always_answers(api: tuple[str, Settings]) -> None:
    assert _get(api[0] + "/livez")[0] == 200


def test_readyz_needs_spool_and_store(api: tuple[str, Settings]) -> None:
    base, settings = api
    status, body = _get(base + "/readyz")
    assert status == 503 and "incoming" in body
    open_spool(settings).prepare()
    open_store(settings).prepare()
    assert _get(base + "/readyz") == (200, '{"status":"ok","problems":[]}')


def test_metrics_exposes_the_gateway_metrics(api: tuple[str, Settings]) -> None:
    status, text = _get(api[0] + "/metrics")
    assert status == 200
    assert "mutaika_delivery_attempts_total" in text
    assert 'mutaika_queue_messages{queue="incoming"}' in text


def test_readiness_is_scraped_as_mutaika_ready(api: tuple[str, Settings]) -> None:
    base, settings = api
    assert "\nmutaika_ready 0.0\n" in _get(base + "/metrics")[1]
    open_spool(settings).prepare()
    open_store(settings).prepare()
    text = _get(base + "/metrics")[1]
    assert "\nmutaika_ready 1.0\n" in text
    assert "\nmutaika_audit_chain_ok 1.0\n" in text and "mutaika_spool_free_bytes" in text
