"""Accounts routes under ``/v1/auth``: thin wrappers over :mod:`sync_server.auth.service`."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime
from typing import Any

import redis.exceptions
from fastapi import APIRouter, Request, Response, status
from pydantic import BaseModel

from sync_server.auth import async_redis, ratelimit, service, sessions
from sync_server.auth.deps import CurrentPrincipal, get_principal
from sync_server.auth.schemas import (
    DispositivoOut,
    LoginIn,
    LoginOut,
    MeOut,
    OtpIn,
    OtpOut,
    SessaoOut,
    SignupIn,
    SignupOut,
    TrocaSenhaIn,
    me_json,
)
from sync_server.deps import DbDep, RedisDep

router = APIRouter(prefix="/auth", tags=["contas"], lifespan=async_redis.lifespan)


class ErroOut(BaseModel):
    code: str
    message: str
    details: Any | None = None


def _errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    descriptions = {
        400: "Requisição recusada",
        401: "Não autenticado",
        403: "Acesso negado",
        404: "Não encontrado",
        409: "Conflito",
        422: "Dados inválidos",
        429: "Limite de tentativas atingido (ver Retry-After)",
        503: "Serviço indisponível (ver Retry-After)",
    }
    return {c: {"model": ErroOut, "description": descriptions[c]} for c in codes}


def _ts(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, tz=UTC)


# First: the most requested route of the router (routes are matched in order).
@router.get(
    "/me",
    response_model=MeOut,
    responses=_errors(401, 503),
    summary="Quem sou eu (sessão atual; consulta apenas o Redis)",
    openapi_extra={"security": [{get_principal.scheme_name: []}]},
)
async def me(request: Request) -> Response:
    # Checking the session is this route's whole work, so it calls the CurrentPrincipal
    # authenticator itself (same checks, 401/503 and OpenAPI security requirement) rather than
    # through FastAPI's resolution of a dependency (~10 µs a request). MeOut documents the body,
    # which is serialised directly (a Response bypasses the model).
    principal = await get_principal(request)
    return Response(
        me_json(
            usuario_id=principal.user_id,
            perfil=principal.perfil,
            sessao_id=principal.session_id,
            dispositivo_id=principal.device_id,
        ),
        media_type="application/json",
    )


@router.post(
    "/signup",
    status_code=status.HTTP_201_CREATED,
    response_model=SignupOut,
    responses=_errors(409, 422, 429, 503),
    summary="Cadastro de agricultor ou investidor",
)
def signup(
    *,
    body: SignupIn,
    request: Request,
    db: DbDep,
    redis_client: RedisDep,
    limits: ratelimit.RateLimitsDep,
) -> SignupOut:
    ratelimit.take(
        redis_client, scope="cadastro_ip", ident=ratelimit.client_ip(request), rule=limits.signup_ip
    )
    result = service.signup(
        db,
        nome_completo=body.nome_completo,
        email=body.email,
        cpf=body.cpf,
        celular=body.celular,
        senha=body.senha,
        perfil=body.perfil,
    )
    db.commit()
    service.queue_welcome(
        redis_client, user_id=result.user_id, nome=body.nome_completo, email=body.email
    )
    return SignupOut(
        id=result.user_id,
        nome_completo=body.nome_completo,
        email=body.email,
        perfil=body.perfil,
        status_kyc=result.status_kyc,
        carteira_id=result.carteira_id,
    )


@router.post(
    "/login",
    response_model=LoginOut,
    responses=_errors(401, 422, 429, 503),
    summary="Login por e-mail ou CPF; devolve um token de sessão ligado ao dispositivo",
)
def login(
    *,
    body: LoginIn,
    request: Request,
    db: DbDep,
    redis_client: RedisDep,
    limits: ratelimit.RateLimitsDep,
    policy: sessions.SessionPolicyDep,
) -> LoginOut:
    result = service.login(
        db,
        redis_client,
        identifier=body.identificador,
        senha=body.senha,
        device_id=body.dispositivo.id,
        device_name=body.dispositivo.nome,
        ip=ratelimit.client_ip(request),
        user_agent=request.headers.get("user-agent"),
        limits=limits,
        policy=policy,
    )
    record = result.session
    try:
        db.commit()
    except Exception:
        # No session may outlive a login that did not commit.
        with contextlib.suppress(redis.exceptions.RedisError):
            sessions.revoke_session(
                redis_client, user_id=record.user_id, session_id=record.session_id
            )
        raise
    return LoginOut(
        token=result.token,
        sessao_id=record.session_id,
        usuario_id=record.user_id,
        perfil=record.perfil,
        expira_apos_inatividade_s=policy.idle_ttl_s,
    )


@router.post(
    "/logout",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=_errors(401, 503),
    summary="Encerra a sessão atual",
)
def logout(principal: CurrentPrincipal, redis_client: RedisDep) -> Response:
    sessions.revoke_session(
        redis_client, user_id=principal.user_id, session_id=principal.session_id
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/logout-all",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=_errors(401, 503),
    summary="Encerra todas as sessões do usuário (sair de todos os dispositivos)",
)
def logout_all(principal: CurrentPrincipal, redis_client: RedisDep) -> Response:
    sessions.revoke_all_sessions(redis_client, user_id=principal.user_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/sessions",
    response_model=list[SessaoOut],
    responses=_errors(401, 503),
    summary="Sessões ativas do usuário, com o dispositivo de cada uma",
)
def list_sessions(
    principal: CurrentPrincipal, redis_client: RedisDep, policy: sessions.SessionPolicyDep
) -> list[SessaoOut]:
    return [
        SessaoOut(
            id=s.session_id,
            dispositivo_id=s.device_id,
            dispositivo_nome=s.device_name,
            criada_em=_ts(s.created),
            ultimo_acesso=_ts(s.last_seen),
            ip=s.ip,
            user_agent=s.user_agent,
            atual=s.session_id == principal.session_id,
        )
        for s in sessions.list_sessions(redis_client, user_id=principal.user_id, policy=policy)
    ]


@router.delete(
    "/sessions/{sessao_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=_errors(401, 404, 503),
    summary="Encerra uma das próprias sessões",
)
def revoke_session(sessao_id: str, principal: CurrentPrincipal, redis_client: RedisDep) -> Response:
    service.revoke_session(redis_client, user_id=principal.user_id, session_id=sessao_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/devices",
    response_model=list[DispositivoOut],
    responses=_errors(401, 503),
    summary="Dispositivos registrados pelo usuário",
)
def list_devices(principal: CurrentPrincipal, db: DbDep) -> list[DispositivoOut]:
    return [
        DispositivoOut(
            dispositivo_id=d.dispositivo_id,
            nome=d.nome,
            data_registro=d.data_registro,
            ultimo_login=d.ultimo_login,
        )
        for d in service.list_devices(db, user_id=principal.user_id)
    ]


@router.post(
    "/password",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=_errors(400, 401, 422, 429, 503),
    summary="Troca a senha (exige a senha atual) e encerra todas as sessões",
)
def change_password(
    *,
    body: TrocaSenhaIn,
    principal: CurrentPrincipal,
    db: DbDep,
    redis_client: RedisDep,
    limits: ratelimit.RateLimitsDep,
) -> Response:
    user = service.change_password(
        db,
        redis_client,
        user_id=principal.user_id,
        senha_atual=body.senha_atual,
        nova_senha=body.nova_senha,
        limits=limits,
    )
    db.commit()
    service.queue_password_changed(redis_client, user_id=user.id, email=user.email)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/otp",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=OtpOut,
    responses=_errors(401, 422, 429, 503),
    summary="Envia por SMS um código de verificação para uma operação sensível",
)
def request_otp(
    *,
    body: OtpIn,
    request: Request,
    principal: CurrentPrincipal,
    db: DbDep,
    redis_client: RedisDep,
    limits: ratelimit.RateLimitsDep,
) -> OtpOut:
    issued, destination = service.request_otp(
        db,
        redis_client,
        user_id=principal.user_id,
        purpose=body.finalidade,
        ip=ratelimit.client_ip(request),
        limits=limits,
    )
    return OtpOut(
        finalidade=issued.purpose, enviado_para=destination, expira_em_s=issued.expires_in_s
    )
