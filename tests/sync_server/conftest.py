"""Server test fixtures: settings on the test database and Redis, and an app client."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from sync_server.app import create_app
from sync_server.settings import Settings


@pytest.fixture
def settings(db_url: str, redis_url: str, tmp_path: Path) -> Settings:
    return Settings(
        database_url=db_url,
        redis_url=redis_url,
        data_dir=tmp_path / "data",
        log_file=tmp_path / "server.jsonl",
        log_stdout=False,
        max_body_bytes=64 * 1024,
        max_upload_bytes=64 * 1024,
    )


@pytest.fixture
def app(settings: Settings, redis_client: object) -> FastAPI:
    return create_app(settings)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


@pytest.fixture(scope="session", autouse=True)
def _cheap_password_hashing() -> Iterator[None]:
    """Argon2id with a cheap profile so that signups and logins are fast in tests.

    The production profile (RFC 9106 low-memory) is asserted in test_auth_passwords.py.
    """
    from sync_server.auth.passwords import hasher_profile

    with hasher_profile(time_cost=1, memory_cost=1024, parallelism=1):
        yield
