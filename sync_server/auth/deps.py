"""Authentication dependencies: who is calling, with which profile, on which session/device.

Usage in a route::

    @router.get("/algo")
    def algo(principal: CurrentPrincipal) -> ...: ...

    @router.post("/admin/algo")
    def admin_algo(principal: Annotated[Principal, Depends(require_profiles(Perfil.ADMIN))]): ...

Authentication is ``Authorization: Bearer <token>`` checked against Redis only
(:func:`sync_server.auth.sessions.authenticate`). Missing, malformed, unknown, expired or revoked
tokens get 401 ``nao_autenticado``; a profile outside ``require_profiles`` gets 403
``acesso_negado``; Redis unreachable gets 503 ``servico_indisponivel``. Ownership rules (acting
for another user) live in :mod:`sync_server.auth.policy`.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any

import redis.exceptions
from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.openapi.models import HTTPBearer as HTTPBearerModel
from fastapi.security.base import SecurityBase

from shared_models.enums import Perfil
from sync_server.auth import sessions
from sync_server.auth.async_redis import async_redis_for
from sync_server.errors import ApiError, ServiceUnavailable
from sync_server.observability.logs import set_user_id
from sync_server.services import Services

__all__ = [
    "CurrentPrincipal",
    "Principal",
    "SessionBearer",
    "get_principal",
    "not_authenticated",
    "require_profiles",
]


@dataclass(frozen=True)
class Principal:
    """The authenticated caller. ``perfil`` is the profile recorded on the session at login."""

    user_id: uuid.UUID
    perfil: Perfil
    session_id: str
    device_id: uuid.UUID | None


SESSION_STORE_DOWN = (
    "Não foi possível verificar a sua sessão: o serviço de sessões está indisponível. "
    "Tente novamente em instantes."
)


def not_authenticated(message: str) -> ApiError:
    return ApiError(401, "nao_autenticado", message, headers={"WWW-Authenticate": "Bearer"})


class SessionBearer(SecurityBase):
    """``Authorization: Bearer <token>`` checked against the Redis sessions, as one dependency.

    A FastAPI security scheme (so the OpenAPI document declares the ``sessao`` bearer scheme on
    every route that depends on it, as ``fastapi.security.HTTPBearer`` did) whose call does the
    whole authentication. This is the hot path of every authenticated request: one dependency
    level (a sub-dependency costs FastAPI's resolver per request), async, one Redis round trip on
    the event loop (:mod:`sync_server.auth.async_redis`), no thread-pool hop. Without the
    asyncio client the sync one is used in the thread pool.
    """

    def __init__(self, *, scheme_name: str, description: str) -> None:
        self.model = HTTPBearerModel(description=description)
        self.scheme_name = scheme_name

    async def __call__(self, request: Request) -> Principal:
        """The caller of this request, from its bearer token; 401 / 503 otherwise."""
        # Parsed like fastapi.security.HTTPBearer: "<scheme> <credentials>", scheme any case.
        # Read from the ASGI scope (header names are lowercase there) without building Headers.
        authorization = b""
        for name, value in request.scope["headers"]:
            if name == b"authorization":
                authorization = value
                break
        scheme, _, credentials = authorization.decode("latin-1").partition(" ")
        credentials = credentials.strip()
        if not credentials or scheme.lower() != "bearer":
            raise not_authenticated(
                "Autenticação necessária: envie o token de sessão no cabeçalho "
                "Authorization: Bearer <token>."
            )
        policy = sessions.session_policy_of(request)
        client = async_redis_for(request)
        try:
            if client is not None:
                record = await sessions.authenticate_async(client, credentials, policy=policy)
            else:
                services: Services = request.app.state.services
                record = await run_in_threadpool(
                    sessions.authenticate, services.redis, credentials, policy=policy
                )
        except (redis.exceptions.RedisError, TimeoutError):
            raise ServiceUnavailable(SESSION_STORE_DOWN) from None
        if record is None:
            raise not_authenticated("Sessão inválida, expirada ou encerrada. Entre novamente.")
        set_user_id(sessions.uuid_text(record.user_id))
        return Principal(
            user_id=record.user_id,
            perfil=record.perfil,
            session_id=record.session_id,
            device_id=record.device_id,
        )


get_principal = SessionBearer(
    scheme_name="sessao",
    description="Token de sessão devolvido por POST /v1/auth/login.",
)

CurrentPrincipal = Annotated[Principal, Depends(get_principal)]


def require_profiles(*perfis: Perfil) -> Any:
    """A dependency returning the :class:`Principal` if its profile is one of ``perfis``, else 403.

    ``Depends(require_profiles(Perfil.ADMIN))``.
    """
    if not perfis:
        raise ValueError("require_profiles needs at least one profile")
    allowed = frozenset(perfis)
    names = ", ".join(sorted(p.value for p in allowed))

    async def dependency(principal: CurrentPrincipal) -> Principal:
        if principal.perfil not in allowed:
            raise ApiError(
                403,
                "acesso_negado",
                f"Operação permitida apenas para o(s) perfil(is): {names}.",
            )
        return principal

    dependency.__name__ = "require_" + "_".join(sorted(p.value.lower() for p in allowed))
    call: Callable[..., Awaitable[Principal]] = dependency
    return call
