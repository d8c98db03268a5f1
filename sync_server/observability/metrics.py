"""Request metrics (counters and latency histograms) and their Prometheus text exposition.

:class:`MetricsMiddleware` is a pure ASGI middleware: for every HTTP request it records the route
*template* (``/v1/admin/alertas/{regra_id}``, never the raw path, so ids do not explode the label
set; ``unmatched`` when no route matched), the method and the status, and the duration until the
response was sent. :func:`render_prometheus` writes the text exposition format 0.0.4 by hand.

Metrics live in the process that served the request: with several uvicorn workers each process
has its own counters, and ``GET /v1/metrics`` answers for the worker that served the scrape.
Scrape each worker (one port per process) or run one worker per container (docs/observability.md).
"""

from __future__ import annotations

import math
import threading
import time
from bisect import bisect_left
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from starlette.types import ASGIApp, Message, Receive, Scope, Send

DURATION_BUCKETS_S: tuple[float, ...] = (
    0.005,
    0.01,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    1.0,
    2.5,
    5.0,
    10.0,
)
UNMATCHED_ROUTE = "unmatched"
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


@dataclass(frozen=True)
class Sample:
    """One exposition line: ``name{labels} value``."""

    name: str
    labels: Mapping[str, str]
    value: float


@dataclass(frozen=True)
class MetricFamily:
    name: str
    kind: str  # counter | gauge | histogram
    help: str
    samples: Sequence[Sample]


Collector = Callable[[], Iterable[MetricFamily]]


@dataclass
class _Series:
    count: int = 0
    total: float = 0.0
    buckets: list[int] = field(default_factory=lambda: [0] * len(DURATION_BUCKETS_S))


class RequestMetrics:
    """Per-process request counters and duration histograms, plus extra collectors.

    ``observe`` is called on the event loop; ``collect`` may run anywhere: a lock keeps both
    consistent (it is held for a few dictionary operations only).
    """

    def __init__(self, *, clock: Callable[[], float] = time.time) -> None:
        self._lock = threading.Lock()
        self._series: dict[tuple[str, str, str], _Series] = {}
        self._in_progress = 0
        self._collectors: list[Collector] = []
        self.started_at = clock()

    def add_collector(self, collector: Collector) -> None:
        with self._lock:
            self._collectors.append(collector)

    def remove_collector(self, collector: Collector) -> None:
        with self._lock:
            if collector in self._collectors:
                self._collectors.remove(collector)

    def request_started(self) -> None:
        with self._lock:
            self._in_progress += 1

    def observe(self, *, method: str, route: str, status: int, seconds: float) -> None:
        index = bisect_left(DURATION_BUCKETS_S, seconds)
        with self._lock:
            self._in_progress -= 1
            series = self._series.get((method, route, str(status)))
            if series is None:
                series = self._series[(method, route, str(status))] = _Series()
            series.count += 1
            series.total += seconds
            if index < len(series.buckets):
                series.buckets[index] += 1

    def collect(self) -> list[MetricFamily]:
        with self._lock:
            snapshot = {key: (s.count, s.total, list(s.buckets)) for key, s in self._series.items()}
            in_progress = self._in_progress
            collectors = list(self._collectors)
        requests: list[Sample] = []
        histogram: list[Sample] = []
        for (method, route, status), (count, total, buckets) in sorted(snapshot.items()):
            labels = {"method": method, "route": route, "status": status}
            requests.append(Sample("peerseed_http_requests_total", labels, count))
            cumulative = 0
            for bound, in_bucket in zip(DURATION_BUCKETS_S, buckets, strict=True):
                cumulative += in_bucket
                histogram.append(
                    Sample(
                        "peerseed_http_request_duration_seconds_bucket",
                        {**labels, "le": _number(bound)},
                        cumulative,
                    )
                )
            histogram.append(
                Sample(
                    "peerseed_http_request_duration_seconds_bucket",
                    {**labels, "le": "+Inf"},
                    count,
                )
            )
            histogram.append(Sample("peerseed_http_request_duration_seconds_sum", labels, total))
            histogram.append(Sample("peerseed_http_request_duration_seconds_count", labels, count))
        families = [
            MetricFamily(
                "peerseed_http_requests_total",
                "counter",
                "HTTP requests served by this process, per route template, method and status.",
                requests,
            ),
            MetricFamily(
                "peerseed_http_request_duration_seconds",
                "histogram",
                "Time from receiving an HTTP request to sending its last byte.",
                histogram,
            ),
            MetricFamily(
                "peerseed_http_requests_in_progress",
                "gauge",
                "HTTP requests being served by this process now.",
                [Sample("peerseed_http_requests_in_progress", {}, in_progress)],
            ),
            MetricFamily(
                "peerseed_process_start_time_seconds",
                "gauge",
                "Start time of the process since the Unix epoch, in seconds.",
                [Sample("peerseed_process_start_time_seconds", {}, self.started_at)],
            ),
        ]
        for collector in collectors:
            families.extend(collector())
        return families


def _number(value: float) -> str:
    if isinstance(value, int):
        return str(value)
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    return repr(float(value))


def _escape_label(value: str) -> str:
    return value.replace("\\", r"\\").replace("\n", r"\n").replace('"', r"\"")


def _escape_help(text: str) -> str:
    return text.replace("\\", r"\\").replace("\n", r"\n")


def render_prometheus(families: Iterable[MetricFamily]) -> str:
    """The Prometheus text exposition format (version 0.0.4) of ``families``."""
    lines: list[str] = []
    for family in families:
        lines.append(f"# HELP {family.name} {_escape_help(family.help)}")
        lines.append(f"# TYPE {family.name} {family.kind}")
        for sample in family.samples:
            if sample.labels:
                labels = ",".join(
                    f'{key}="{_escape_label(value)}"' for key, value in sample.labels.items()
                )
                lines.append(f"{sample.name}{{{labels}}} {_number(sample.value)}")
            else:
                lines.append(f"{sample.name} {_number(sample.value)}")
    return "\n".join(lines) + "\n"


def route_template(scope: Scope) -> str:
    """The matched route's full path template (prefixes included), or ``unmatched``.

    Recent FastAPI versions keep included routers unflattened: ``scope["route"]`` is then the
    original route (path relative to its router) and the effective route, with the prefixes, is
    in ``scope["fastapi"]["effective_route_context"]``; older ones put the full route in
    ``scope["route"]``.
    """
    fastapi_scope = scope.get("fastapi")
    effective = (
        fastapi_scope.get("effective_route_context") if isinstance(fastapi_scope, dict) else None
    )
    for candidate in (effective, scope.get("route")):
        path = getattr(candidate, "path_format", None) or getattr(candidate, "path", None)
        if isinstance(path, str) and path:
            return path
    return UNMATCHED_ROUTE


class MetricsMiddleware:
    """Pure ASGI middleware feeding :class:`RequestMetrics`; adds no work on the response path
    beyond a clock read and a dictionary update."""

    def __init__(self, app: ASGIApp, *, metrics: RequestMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        self.metrics.request_started()
        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            self.metrics.observe(
                method=scope.get("method", "GET"),
                route=route_template(scope),
                status=status,
                seconds=time.perf_counter() - start,
            )
