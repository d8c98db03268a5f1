"""A fault-injecting TCP proxy for the sync tests (threads; seeded, so runs are reproducible).

It listens on 127.0.0.1 and forwards every connection to an upstream (the real server). Each
HTTP exchange (a request and its answer; keep-alive connections carry several) draws a plan from
a seeded RNG:

- ``pass``           forward untouched;
- ``drop_request``   forward only the first *k* bytes of what the client sends, then reset both
                     sides (the server sees a partial request, the client a reset);
- ``drop_response``  forward the request, then only the first *k* bytes of the answer, then reset
                     (the server did the work; the client never learns the result);
- ``truncate``       like ``drop_response`` but a clean close (FIN) after *k* bytes: a short body;
- ``delay``          forward everything, sleeping a little before each chunk.

An exchange starts when the client sends bytes after the server has answered (HTTP/1.1 without
pipelining, as httpx speaks it). :meth:`FaultProxy.set_down` simulates "no network": every new
connection is reset at once and live ones are cut. ``script`` forces the plans of the first
exchanges (e.g. "lose the answer of the first request").

Usage::

    with FaultProxy(("127.0.0.1", server_port), seed=7, fault_rate=0.3) as proxy:
        transport = HttpTransport(proxy.url, ...)
"""

from __future__ import annotations

import contextlib
import random
import selectors
import socket
import struct
import threading
import time
from collections import Counter
from dataclasses import dataclass

MODES = ("drop_request", "drop_response", "truncate", "delay")
_CHUNK = 16 * 1024


@dataclass(frozen=True)
class Plan:
    mode: str
    threshold: int = 0  # bytes of the exchange forwarded before the fault (drop_*/truncate)
    delay_s: float = 0.0  # longest sleep per chunk (delay)
    seed: int = 0  # the connection's own RNG (delays), drawn from the proxy's seeded RNG


def _reset(sock: socket.socket) -> None:
    """Close with RST (SO_LINGER 0) rather than a polite FIN."""
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    with contextlib.suppress(OSError):
        sock.close()


class _Connection:
    """One proxied connection, served by one thread (select over both sockets)."""

    def __init__(self, proxy: FaultProxy, client: socket.socket) -> None:
        self.proxy = proxy
        self.client = client
        self.upstream: socket.socket | None = None
        self.plan = Plan("pass")
        self.rng = random.Random(0)
        self.cut = threading.Event()  # set from other threads: reset at the next tick
        self.done = False
        self.answered = True  # the server spoke since the client last did: next bytes = new request
        self.forwarded = {True: 0, False: 0}  # this exchange, by direction (to_upstream)

    def run(self) -> None:
        try:
            self.upstream = socket.create_connection(self.proxy.upstream, timeout=5)
        except OSError:
            self._abort()
            return
        try:
            self._loop(self.upstream)
        except OSError:
            self._abort()
        finally:
            self.proxy._forget(self)

    def _new_exchange(self) -> None:
        self.plan = self.proxy._plan()
        self.rng = random.Random(self.plan.seed)
        self.forwarded = {True: 0, False: 0}
        if self.plan.mode == "delay":
            self.proxy._count("delay")

    def _loop(self, upstream: socket.socket) -> None:
        with selectors.DefaultSelector() as selector:
            selector.register(self.client, selectors.EVENT_READ, True)
            selector.register(upstream, selectors.EVENT_READ, False)
            while not self.done:
                if self.cut.is_set():
                    self._abort()
                    return
                for key, _ in selector.select(timeout=0.05):
                    to_upstream: bool = key.data
                    src, dst = (self.client, upstream) if to_upstream else (upstream, self.client)
                    data = src.recv(_CHUNK)
                    if not data:
                        if to_upstream:
                            # The client half-closed: pass it on, keep reading the answer.
                            selector.unregister(src)
                            with contextlib.suppress(OSError):
                                dst.shutdown(socket.SHUT_WR)
                            continue
                        self._finish(reset_upstream=False)  # the server closed: so do we
                        return
                    if to_upstream and self.answered:
                        self._new_exchange()
                    self.answered = not to_upstream
                    if not self._forward(data, dst, to_upstream):
                        return

    def _forward(self, data: bytes, dst: socket.socket, to_upstream: bool) -> bool:
        """Forward ``data`` under the exchange's plan; False once the connection is gone."""
        plan = self.plan
        if plan.mode == "delay" and plan.delay_s:
            time.sleep(self.rng.uniform(0, plan.delay_s))
        faulty = (
            plan.mode == "drop_request"
            if to_upstream
            else plan.mode in ("drop_response", "truncate")
        )
        done = self.forwarded[to_upstream]
        if faulty and done + len(data) > plan.threshold:
            keep = plan.threshold - done
            if keep > 0:
                dst.sendall(data[:keep])
            self.proxy._count(plan.mode)
            if plan.mode == "truncate":
                self._finish(reset_upstream=True)
            else:
                self._abort()
            return False
        dst.sendall(data)
        self.forwarded[to_upstream] = done + len(data)
        return True

    def _abort(self) -> None:
        """Reset both sides."""
        self.done = True
        _reset(self.client)
        if self.upstream is not None:
            _reset(self.upstream)

    def _finish(self, *, reset_upstream: bool) -> None:
        """A polite end: FIN to the client (whatever was forwarded stays readable)."""
        self.done = True
        with contextlib.suppress(OSError):
            self.client.shutdown(socket.SHUT_WR)
        if self.upstream is not None:
            if reset_upstream:
                _reset(self.upstream)
            else:
                with contextlib.suppress(OSError):
                    self.upstream.close()
        with contextlib.suppress(OSError):
            self.client.close()


class FaultProxy:
    """A seeded fault-injecting TCP proxy in front of ``upstream`` (host, port)."""

    def __init__(
        self,
        upstream: tuple[str, int],
        *,
        seed: int = 0,
        fault_rate: float = 0.3,
        modes: tuple[str, ...] = MODES,
        max_request_cut: int = 4096,
        max_response_cut: int = 64 * 1024,
        max_delay_s: float = 0.05,
        script: list[Plan] | None = None,
    ) -> None:
        unknown = set(modes) - set(MODES)
        if unknown:
            raise ValueError(f"unknown modes: {sorted(unknown)}")
        self.upstream = upstream
        self.seed = seed
        self.fault_rate = fault_rate
        self.modes = modes
        self.max_request_cut = max_request_cut
        self.max_response_cut = max_response_cut
        self.max_delay_s = max_delay_s
        self._rng = random.Random(seed)
        # Plans for the first connections, in order (then the seeded draw takes over).
        self.script: list[Plan] = list(script or [])
        self._rng_lock = threading.Lock()
        self._listener: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self._down = threading.Event()
        self._live: set[_Connection] = set()
        self._live_lock = threading.Lock()
        self.connections = 0
        self.exchanges = 0
        self.faults: Counter[str] = Counter()

    # -- lifecycle ------------------------------------------------------------------------------

    def start(self) -> FaultProxy:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", 0))
        listener.listen(64)
        listener.settimeout(0.1)
        self._listener = listener
        self._thread = threading.Thread(target=self._accept_loop, name="faultproxy", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(5)
        if self._listener is not None:
            self._listener.close()
        self.cut_all()

    def __enter__(self) -> FaultProxy:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        assert self._listener is not None
        return int(self._listener.getsockname()[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # -- control --------------------------------------------------------------------------------

    def set_down(self, down: bool) -> None:
        """``True``: the network is gone (new connections reset, live ones cut)."""
        if down:
            self._down.set()
            self.cut_all()
        else:
            self._down.clear()

    def set_fault_rate(self, rate: float) -> None:
        self.fault_rate = rate

    def cut_all(self) -> None:
        with self._live_lock:
            live = list(self._live)
        for conn in live:
            conn.cut.set()

    # -- internals ------------------------------------------------------------------------------

    def _plan(self) -> Plan:
        with self._rng_lock:
            self.exchanges += 1
            if self.script:
                return self.script.pop(0)
            rng = self._rng
            seed = rng.getrandbits(32)
            if not self.modes or rng.random() >= self.fault_rate:
                return Plan("pass", seed=seed)
            mode = rng.choice(self.modes)
            if mode == "drop_request":
                return Plan(mode, threshold=rng.randrange(self.max_request_cut), seed=seed)
            if mode in ("drop_response", "truncate"):
                return Plan(mode, threshold=rng.randrange(self.max_response_cut), seed=seed)
            return Plan(mode, delay_s=self.max_delay_s, seed=seed)

    def _count(self, mode: str) -> None:
        with self._rng_lock:
            self.faults[mode] += 1

    def _forget(self, conn: _Connection) -> None:
        with self._live_lock:
            self._live.discard(conn)

    def _accept_loop(self) -> None:
        assert self._listener is not None
        while not self._stopping.is_set():
            try:
                client, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            client.settimeout(None)
            if self._down.is_set():
                _reset(client)
                continue
            self.connections += 1
            conn = _Connection(self, client)
            with self._live_lock:
                self._live.add(conn)
            threading.Thread(target=conn.run, name="faultproxy-conn", daemon=True).start()
