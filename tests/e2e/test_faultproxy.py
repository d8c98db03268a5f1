"""The fault-injecting proxy itself: each mode does what it says, and plans follow the seed."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from tests.support.faultproxy import FaultProxy

BODY = bytes(range(256)) * 1024  # 256 KiB


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    posts: list[int] = []  # noqa: RUF012 - test-only shared record

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", str(len(BODY)))
        self.end_headers()
        self.wfile.write(BODY)

    def do_POST(self) -> None:
        length = int(self.headers["Content-Length"])
        data = self.rfile.read(length)
        if len(data) == length:
            self.posts.append(length)
        self.send_response(204)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *_args: object) -> None:
        pass


@pytest.fixture(scope="module")
def upstream() -> Iterator[tuple[str, int]]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield ("127.0.0.1", server.server_address[1])
    finally:
        server.shutdown()
        server.server_close()


def _get(url: str) -> bytes:
    with httpx.Client(timeout=5) as client:
        return client.get(url).content


def test_pass_through(upstream: tuple[str, int]) -> None:
    with FaultProxy(upstream, seed=1, fault_rate=0.0) as proxy:
        assert _get(proxy.url) == BODY
        assert proxy.faults.total() == 0


@pytest.mark.parametrize("mode", ["drop_response", "truncate"])
def test_cut_responses_fail_on_the_client(upstream: tuple[str, int], mode: str) -> None:
    with FaultProxy(upstream, seed=2, fault_rate=1.0, modes=(mode,)) as proxy:
        for _ in range(3):
            with pytest.raises(httpx.TransportError):
                _get(proxy.url)
        assert proxy.faults[mode] == 3


def test_drop_request_never_reaches_the_handler(upstream: tuple[str, int]) -> None:
    _Handler.posts.clear()
    with FaultProxy(upstream, seed=3, fault_rate=1.0, modes=("drop_request",)) as proxy:
        with httpx.Client(timeout=5) as client, pytest.raises(httpx.TransportError):
            client.post(proxy.url, content=b"x" * 100_000)
        assert proxy.faults["drop_request"] == 1
    assert _Handler.posts == []


def test_delay_still_delivers(upstream: tuple[str, int]) -> None:
    with FaultProxy(upstream, seed=4, fault_rate=1.0, modes=("delay",), max_delay_s=0.01) as proxy:
        assert _get(proxy.url) == BODY
        assert proxy.faults["delay"] == 1


def test_down_means_no_network(upstream: tuple[str, int]) -> None:
    with FaultProxy(upstream, seed=5, fault_rate=0.0) as proxy:
        proxy.set_down(True)
        with pytest.raises(httpx.TransportError):
            _get(proxy.url)
        proxy.set_down(False)
        assert _get(proxy.url) == BODY


def test_plans_follow_the_seed(upstream: tuple[str, int]) -> None:
    a = FaultProxy(upstream, seed=42, fault_rate=0.5)
    b = FaultProxy(upstream, seed=42, fault_rate=0.5)
    c = FaultProxy(upstream, seed=43, fault_rate=0.5)
    plans_a = [a._plan() for _ in range(50)]
    assert plans_a == [b._plan() for _ in range(50)]
    assert plans_a != [c._plan() for _ in range(50)]
    assert {p.mode for p in plans_a} >= {"pass", "drop_request", "drop_response"}
