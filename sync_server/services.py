"""The process-wide resources one app instance owns, built by the app factory and closed with it."""

from __future__ import annotations

from dataclasses import dataclass

import redis
import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from sync_server.db import make_engine
from sync_server.ledger.sessions import durable_sessionmaker
from sync_server.redis_client import make_redis
from sync_server.settings import Settings


@dataclass(frozen=True)
class Services:
    settings: Settings
    engine: sa.Engine
    sessions: sessionmaker[Session]
    redis: redis.Redis

    @classmethod
    def from_settings(cls, settings: Settings) -> Services:
        if not settings.database_url or not settings.redis_url:
            raise ValueError("database_url and redis_url must be resolved before building services")
        engine = make_engine(
            settings.database_url,
            pool_size=settings.db_pool_size,
            max_overflow=settings.db_max_overflow,
            connect_timeout_s=settings.db_connect_timeout_s,
            application_name=settings.service_name,
        )
        return cls(
            settings=settings,
            engine=engine,
            sessions=durable_sessionmaker(engine),
            redis=make_redis(settings.redis_url, timeout_s=settings.redis_timeout_s),
        )

    def close(self) -> None:
        self.engine.dispose()
        self.redis.close()
