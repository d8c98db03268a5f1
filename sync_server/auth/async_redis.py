"""The asyncio Redis client of the authentication hot path, one per app and event loop.

Every authenticated request looks its session up in Redis. Doing that with the app's (sync) Redis
client costs a thread-pool hop per request; :class:`~sync_server.auth.resp.RespClient` on the
server's event loop does not, and costs a fraction of ``redis.asyncio``'s CPU per command. The
client is opened by the accounts router's lifespan (so it exists under uvicorn and in
``with TestClient(app)``) and closed with it. Outside a lifespan (a ``TestClient`` used without
``with``), or for a Redis URL the small client does not handle (see
:func:`~sync_server.auth.resp.parse_redis_url`), :func:`async_redis_for` answers None and the
caller falls back to the sync client in the thread pool.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, Final

from fastapi import Request

from sync_server.auth.resp import RespClient, UnsupportedRedisUrl
from sync_server.auth.sessions import DEFAULT_SESSION_POLICY

_ATTR: Final = "auth_async_redis"

log = logging.getLogger(__name__)

Clients = weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, RespClient]


def make_async_redis(url: str, *, timeout_s: float) -> RespClient:
    """The session-lookup client; every command is bounded by ``timeout_s``."""
    return RespClient.from_url(url, timeout_s=timeout_s)


def _clients(state: Any) -> Clients:
    clients = getattr(state, _ATTR, None)
    if clients is None:
        clients = weakref.WeakKeyDictionary()
        setattr(state, _ATTR, clients)
    return clients


@asynccontextmanager
async def lifespan(app: Any) -> AsyncIterator[None]:
    """Open the client for this event loop when the app starts; close it when it stops.

    Also gives the app its default session policy unless one was set (tests set their own): a
    missing attribute of ``app.state`` costs an exception on every request that looks it up.
    """
    if getattr(app.state, "session_policy", None) is None:
        app.state.session_policy = DEFAULT_SESSION_POLICY
    settings = app.state.services.settings
    try:
        client = make_async_redis(settings.redis_url, timeout_s=settings.redis_timeout_s)
    except UnsupportedRedisUrl as exc:
        # The URL itself is never logged: it may carry a password.
        log.warning(
            "sessões verificadas pelo cliente Redis síncrono",
            extra={"payload": {"motivo": str(exc)}},
        )
        yield
        return
    loop = asyncio.get_running_loop()
    _clients(app.state)[loop] = client
    try:
        yield
    finally:
        _clients(app.state).pop(loop, None)
        await client.aclose()


def async_redis_for(request: Request) -> RespClient | None:
    """The asyncio client of the running loop, or None outside the app's lifespan."""
    clients: Clients | None = getattr(request.app.state, _ATTR, None)
    if not clients:
        return None
    return clients.get(asyncio.get_running_loop())
