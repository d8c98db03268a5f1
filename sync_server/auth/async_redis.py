"""An asyncio Redis client for the authentication hot path, one per app and event loop.

Every authenticated request looks its session up in Redis. Doing that with the app's (sync) Redis
client costs a thread-pool hop per request; an asyncio client on the server's event loop does
not. The client is opened by the accounts router's lifespan (so it exists under uvicorn and in
``with TestClient(app)``) and closed with it. Outside a lifespan (a ``TestClient`` used without
``with``) :func:`async_redis_for` answers None and the caller falls back to the sync client in the
thread pool.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, Final

import redis.asyncio
from fastapi import Request

_ATTR: Final = "auth_async_redis"

Clients = weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, redis.asyncio.Redis]


def make_async_redis(url: str, *, timeout_s: float) -> redis.asyncio.Redis:
    """Like the app's sync client, but without a per-read socket timeout.

    redis-py's asyncio read timeouts cost more CPU than the lookup itself; callers bound each
    operation with ``asyncio.timeout(timeout_s)`` instead (see ``get_principal``).
    """
    return redis.asyncio.Redis.from_url(
        url,
        socket_timeout=None,
        socket_connect_timeout=timeout_s,
        health_check_interval=30,
        decode_responses=False,
    )


def _clients(state: Any) -> Clients:
    clients = getattr(state, _ATTR, None)
    if clients is None:
        clients = weakref.WeakKeyDictionary()
        setattr(state, _ATTR, clients)
    return clients


@asynccontextmanager
async def lifespan(app: Any) -> AsyncIterator[None]:
    """Open the client for this event loop when the app starts; close it when it stops."""
    settings = app.state.services.settings
    client = make_async_redis(settings.redis_url, timeout_s=settings.redis_timeout_s)
    loop = asyncio.get_running_loop()
    _clients(app.state)[loop] = client
    try:
        yield
    finally:
        _clients(app.state).pop(loop, None)
        await client.aclose()


def async_redis_for(request: Request) -> redis.asyncio.Redis | None:
    """The asyncio client of the running loop, or None outside the app's lifespan."""
    clients: Clients | None = getattr(request.app.state, _ATTR, None)
    if not clients:
        return None
    return clients.get(asyncio.get_running_loop())
