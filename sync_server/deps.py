"""FastAPI dependencies that hand routes the app's resources."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

import redis
from fastapi import Depends, Request
from sqlalchemy.orm import Session

from sync_server.services import Services


def get_services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(get_services)]


def get_db(services: ServicesDep) -> Iterator[Session]:
    """One transaction per request: committed when the route returns, rolled back on error."""
    with services.sessions() as session, session.begin():
        yield session


def get_redis(services: ServicesDep) -> redis.Redis:
    return services.redis


# scope="function": the transaction commits before the response is sent, so a 2xx never goes
# out for a transaction that then failed to commit.
DbDep = Annotated[Session, Depends(get_db, scope="function")]
RedisDep = Annotated[redis.Redis, Depends(get_redis)]
