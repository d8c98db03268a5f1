"""Sync fixtures (a real server in a subprocess, engines, replicas): tests/support/sync_fixtures."""

import os
from pathlib import Path

import pytest

from tests.support.sync_fixtures import (  # noqa: F401 - fixtures
    cheap_password_hashing,
    live_server,
    sync_db,
    sync_db_url,
    sync_redis,
    sync_redis_url,
    world,
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """``slow`` tests here run only when asked for (``-m slow``, or PEERSEED_RUN_SLOW=1)."""
    if "slow" in (config.option.markexpr or "") or os.environ.get("PEERSEED_RUN_SLOW"):
        return
    here = Path(__file__).parent
    skip = pytest.mark.skip(reason="slow: run with -m slow")
    for item in items:
        if "slow" in item.keywords and here in item.path.parents:
            item.add_marker(skip)
