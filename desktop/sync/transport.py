"""HTTP transport of the sync protocol (httpx, synchronous; run it on the sync worker thread).

Every request carries the protocol version header, the bearer token and a correlation id.
Responses are read raw, so the bytes counted are the bytes on the wire, and decoded here
(zstd or gzip). Failures are sorted for the engine:

- :class:`TransientError` — network errors, timeouts, 502/503/504, a truncated or corrupt body:
  worth retrying with backoff;
- :class:`UpgradeRequiredError` (426), :class:`AuthError` (401/403), :class:`SeqGapError` (409 on
  push, with the seq the server expects), :class:`ServerError` (any other refusal, or a 5xx bug).
"""

from __future__ import annotations

import gzip
import json
import re
import time
import uuid
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import httpx
import pydantic
import zstandard

from desktop.tls import tls_context
from shared_models.sync.protocol import (
    CORRELATION_HEADER,
    PROTOCOL_HEADER,
    PROTOCOL_VERSION,
    ProtocolInfo,
    PullPage,
    PushRequest,
    PushResponse,
)

PUSH_PATH = "/v1/sync/push"
PULL_PATH = "/v1/sync/pull"
INFO_PATH = "/v1/sync/info"
ACCEPT_ENCODING = "zstd, gzip"
# A decompressed body larger than this is refused (a page is bounded by max_bytes anyway).
MAX_BODY_BYTES = 256 * 1024 * 1024
DEFAULT_TIMEOUT = httpx.Timeout(connect=10.0, read=60.0, write=60.0, pool=10.0)


class TransportError(Exception):
    """Base class of the transport's errors."""


class TransientError(TransportError):
    """Worth retrying: the network, a timeout, an overloaded or restarting server."""


class UpgradeRequiredError(TransportError):
    """426: the server does not accept this client's protocol version."""

    def __init__(self, message: str, info: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.info = info or {}


class AuthError(TransportError):
    """401/403: the session is gone or the user may not sync; log in again."""


class SeqGapError(TransportError):
    """409 on push: the first seq sent is not the one the server expects."""

    def __init__(self, message: str, next_seq: int) -> None:
        super().__init__(message)
        self.next_seq = next_seq


class ServerError(TransportError):
    """Any other refusal (4xx) or a server bug (500): not retried."""

    def __init__(self, status: int, code: str | None, message: str) -> None:
        super().__init__(f"{status} {code or ''}: {message}".strip())
        self.status = status
        self.code = code
        self.message = message


@dataclass(frozen=True, slots=True)
class Exchange:
    """One HTTP exchange: status, decoded body and the bytes that crossed the wire."""

    status: int
    body: bytes
    bytes_sent: int
    bytes_received: int  # response body as transferred (compressed), headers excluded
    headers: httpx.Headers


@dataclass(frozen=True, slots=True)
class PullResult:
    page: PullPage | None  # None: 204, nothing new
    bytes_sent: int
    bytes_received: int


@dataclass(frozen=True, slots=True)
class RawPull:
    """A pulled page before parsing: the decoded JSON of a PullPage (None: 204, nothing new)."""

    body: bytes | None
    bytes_sent: int
    bytes_received: int


@dataclass(frozen=True, slots=True)
class PushResult:
    response: PushResponse
    bytes_sent: int
    bytes_received: int


class SyncTransport(Protocol):
    """What the engine needs of a transport (HttpTransport; tests may fake it)."""

    def push(self, request: PushRequest, *, correlation_id: str) -> PushResult: ...

    def pull_raw(
        self,
        cursor: str,
        *,
        max_bytes: int,
        correlation_id: str,
        on_sent: Callable[[], None] | None = None,
    ) -> RawPull:
        """The page after ``cursor``; ``on_sent`` (if given) is called, possibly more than once,
        as soon as the request has been written, before the response is read."""
        ...


# A page as the server renders it starts with its cursor and ``more``: reading them without
# parsing the whole page lets the engine ask for the next page at once (see peek_page).
_PAGE_HEAD = re.compile(
    rb'\s*\{\s*"cursor"\s*:\s*("(?:[^"\\]|\\.){0,400}")\s*,\s*"more"\s*:\s*(true|false)\s*[,}]'
)


def peek_page(body: bytes) -> tuple[str, bool] | None:
    """``(cursor, more)`` read from the head of a page body, or None if it is not laid out so.

    Only a hint: the engine checks it against the parsed page and starts over on a mismatch.
    """
    match = _PAGE_HEAD.match(body, 0, 1024)
    if match is None:
        return None
    try:
        cursor = json.loads(match.group(1))
    except ValueError:
        return None
    return (cursor, match.group(2) == b"true") if isinstance(cursor, str) else None


def parse_page(body: bytes) -> PullPage:
    """Validate a page against the wire contract; a malformed page is a server bug."""
    try:
        return PullPage.model_validate_json(body)
    except pydantic.ValidationError as exc:
        message = f"malformed page: {exc.error_count()} errors"
        raise ServerError(200, "pagina_invalida", message) from exc


def decode_body(raw: bytes, encoding: str | None) -> bytes:
    """Decode a ``Content-Encoding`` (zstd, gzip, identity); raises TransientError if corrupt."""
    coding = (encoding or "identity").strip().lower()
    try:
        if coding in ("identity", ""):
            return raw
        if coding == "gzip":
            out = gzip.decompress(raw)
        elif coding == "zstd":
            out = _zstd_decompress(raw)
        else:
            raise ServerError(200, None, f"unsupported Content-Encoding {coding!r}")
    except (OSError, EOFError, zlib.error, zstandard.ZstdError) as exc:
        raise TransientError(f"corrupt or truncated {coding} body: {exc}") from exc
    if len(out) > MAX_BODY_BYTES:
        raise ServerError(200, None, "decompressed body too large")
    return out


def _zstd_decompress(raw: bytes) -> bytes:
    """Every frame of ``raw``; an incomplete last frame is an error (a truncated body)."""
    context = zstandard.ZstdDecompressor()
    parts: list[bytes] = []
    total = 0
    data = raw
    while data:
        frame = context.decompressobj()
        part = frame.decompress(data)
        if not frame.eof:
            raise TransientError("truncated zstd body")
        parts.append(part)
        total += len(part)
        if total > MAX_BODY_BYTES:
            raise ServerError(200, None, "decompressed body too large")
        data = frame.unused_data
    return b"".join(parts)


def _error_body(body: bytes) -> dict[str, Any]:
    try:
        data = pydantic.TypeAdapter(dict[str, Any]).validate_json(body)
    except pydantic.ValidationError:
        return {}
    # The server's errors are {code, message, details}; extra fields (next_seq) may sit in
    # "details" (ApiError) or "detail" (a bare FastAPI HTTPException): flatten them.
    for key in ("details", "detail"):
        extra = data.get(key)
        if isinstance(extra, dict):
            data = {**extra, **data}
    return data


class HttpTransport:
    """The sync endpoints of one server, for one session token."""

    def __init__(
        self,
        base_url: str,
        *,
        token: str | None = None,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        deadline_s: float = 300.0,
        protocol_version: int = PROTOCOL_VERSION,
        user_agent: str = "peerseed-desktop",
        client: httpx.Client | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.protocol_version = protocol_version
        self.deadline_s = deadline_s
        self._owned = client is None
        self._client = client or httpx.Client(
            base_url=self.base_url,
            timeout=timeout,
            headers={"User-Agent": user_agent},
            limits=httpx.Limits(max_connections=4, max_keepalive_connections=2),
            verify=tls_context(),
        )

    def close(self) -> None:
        if self._owned:
            self._client.close()

    def __enter__(self) -> HttpTransport:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # -- endpoints ------------------------------------------------------------------------------

    def pull_raw(
        self,
        cursor: str,
        *,
        max_bytes: int,
        correlation_id: str,
        on_sent: Callable[[], None] | None = None,
    ) -> RawPull:
        """The next page after ``cursor``, decoded but not parsed (the engine parses it)."""
        ex = self._exchange(
            "GET",
            PULL_PATH,
            params={"cursor": cursor, "max_bytes": str(max_bytes)},
            correlation_id=correlation_id,
            on_sent=on_sent,
        )
        if ex.status == 204:
            return RawPull(None, ex.bytes_sent, ex.bytes_received)
        self._raise_for_status(ex)
        return RawPull(ex.body, ex.bytes_sent, ex.bytes_received)

    def pull(self, cursor: str, *, max_bytes: int, correlation_id: str) -> PullResult:
        raw = self.pull_raw(cursor, max_bytes=max_bytes, correlation_id=correlation_id)
        page = parse_page(raw.body) if raw.body is not None else None
        return PullResult(page, raw.bytes_sent, raw.bytes_received)

    def push(self, request: PushRequest, *, correlation_id: str) -> PushResult:
        body = request.model_dump_json().encode()
        ex = self._exchange(
            "POST",
            PUSH_PATH,
            content=body,
            headers={"Content-Type": "application/json"},
            correlation_id=correlation_id,
        )
        if ex.status == 409:
            data = _error_body(ex.body)
            next_seq = data.get("next_seq")
            if isinstance(next_seq, int):
                raise SeqGapError(str(data.get("message") or "seq gap"), next_seq)
        self._raise_for_status(ex)
        try:
            response = PushResponse.model_validate_json(ex.body)
        except pydantic.ValidationError as exc:
            raise TransientError(f"malformed push response: {exc.error_count()} errors") from exc
        return PushResult(response, ex.bytes_sent, ex.bytes_received)

    def info(self, *, correlation_id: str | None = None) -> ProtocolInfo:
        ex = self._exchange("GET", INFO_PATH, correlation_id=correlation_id or _new_id())
        self._raise_for_status(ex)
        try:
            return ProtocolInfo.model_validate_json(ex.body)
        except pydantic.ValidationError as exc:
            raise TransientError("malformed protocol info") from exc

    # -- plumbing -------------------------------------------------------------------------------

    def _exchange(
        self,
        method: str,
        path: str,
        *,
        correlation_id: str,
        params: dict[str, str] | None = None,
        content: bytes | None = None,
        headers: dict[str, str] | None = None,
        on_sent: Callable[[], None] | None = None,
    ) -> Exchange:
        all_headers = {
            PROTOCOL_HEADER: str(self.protocol_version),
            CORRELATION_HEADER: correlation_id,
            "Accept-Encoding": ACCEPT_ENCODING,
            "Accept": "application/json",
            **(headers or {}),
        }
        if self.token:
            all_headers["Authorization"] = f"Bearer {self.token}"
        extensions = {"trace": _sent_tracer(on_sent)} if on_sent is not None else None
        request = self._client.build_request(
            method, path, params=params, content=content, headers=all_headers, extensions=extensions
        )
        sent = len(content or b"")
        started = time.monotonic()
        try:
            response = self._client.send(request, stream=True)
            if on_sent is not None:
                on_sent()  # in case the connection does not report it (a test transport)
            try:
                chunks: list[bytes] = []
                received = 0
                for chunk in response.iter_raw():
                    chunks.append(chunk)
                    received += len(chunk)
                    if received > MAX_BODY_BYTES:
                        raise ServerError(response.status_code, None, "response too large")
                    if time.monotonic() - started > self.deadline_s:
                        raise TransientError(f"request exceeded {self.deadline_s:.0f} s")
            finally:
                response.close()
        except (httpx.TransportError, httpx.StreamError) as exc:
            # Connect/read/write errors and timeouts, a dropped or truncated response.
            raise TransientError(f"{type(exc).__name__}: {exc}") from exc
        raw = b"".join(chunks)
        body = decode_body(raw, response.headers.get("Content-Encoding"))
        return Exchange(response.status_code, body, sent, received, response.headers)

    def _raise_for_status(self, ex: Exchange) -> None:
        status = ex.status
        if 200 <= status < 300:
            return
        data = _error_body(ex.body)
        code = data.get("code") if isinstance(data.get("code"), str) else None
        message = str(data.get("message") or data.get("detail") or f"HTTP {status}")
        if status in (502, 503, 504) or status == 429:
            raise TransientError(f"{status} {code or ''} {message}".strip())
        if status == 426:
            raise UpgradeRequiredError(message, data)
        if status in (401, 403):
            raise AuthError(message)
        raise ServerError(status, code, message)


def _sent_tracer(on_sent: Callable[[], None]) -> Callable[[str, dict[str, Any]], None]:
    """An httpcore ``trace`` callback calling ``on_sent`` once the request is written."""

    def trace(event: str, _info: dict[str, Any]) -> None:
        if event.endswith(("send_request_headers.complete", "send_request_body.complete")):
            on_sent()

    return trace


def _new_id() -> str:
    return str(uuid.uuid4())
