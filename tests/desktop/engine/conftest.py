"""Sync fixtures (a real server in a subprocess, engines, replicas): tests/support/sync_fixtures."""

from tests.support.sync_fixtures import (  # noqa: F401 - fixtures
    cheap_password_hashing,
    live_server,
    sync_db,
    sync_db_url,
    sync_redis,
    sync_redis_url,
    world,
)
