"""Dependency checks for ``GET /v1/health``: never raises, reports each dependency."""

from __future__ import annotations

import time
from dataclasses import dataclass

import redis
import sqlalchemy as sa

from sync_server import migrate


@dataclass(frozen=True)
class CheckResult:
    ok: bool
    latency_ms: float
    detail: str | None = None


@dataclass(frozen=True)
class HealthReport:
    postgres: CheckResult
    redis: CheckResult
    migration_revision: str | None
    expected_revision: str | None

    @property
    def ok(self) -> bool:
        return (
            self.postgres.ok
            and self.redis.ok
            and self.migration_revision is not None
            and self.migration_revision == self.expected_revision
        )


def check(*, engine: sa.Engine, redis_client: redis.Redis) -> HealthReport:
    revision: str | None = None
    start = time.perf_counter()
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
            revision = migrate.current_revision(conn)
        pg = CheckResult(True, _ms(start))
    except sa.exc.SQLAlchemyError as exc:
        pg = CheckResult(False, _ms(start), f"PostgreSQL indisponível ({type(exc).__name__})")

    start = time.perf_counter()
    try:
        redis_client.ping()
        rd = CheckResult(True, _ms(start))
    except redis.RedisError as exc:
        rd = CheckResult(False, _ms(start), f"Redis indisponível ({type(exc).__name__})")

    return HealthReport(pg, rd, revision, migrate.head_revision())


def _ms(start: float) -> float:
    return round((time.perf_counter() - start) * 1000, 2)
