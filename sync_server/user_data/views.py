"""Routes of user data (RF-USR-002): ``/v1/me`` and its bank accounts; ``/v1/bancos``.

Thin routes: authorization comes from the auth layer's dependencies (the caller acts on their own
data: ``CurrentPrincipal``), the rest from :mod:`sync_server.user_data.service`.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Response, status

from shared_models import bank
from shared_models.enums import Perfil
from sync_server.auth.deps import CurrentPrincipal, Principal, require_profiles
from sync_server.auth.otp import OtpPurpose, verify_otp
from sync_server.auth.ratelimit import RateLimitsDep
from sync_server.deps import DbDep, RedisDep
from sync_server.kyc import service as kyc
from sync_server.user_data import service
from sync_server.user_data.schemas import (
    BancoOut,
    CodigoOtpIn,
    ContaBancariaDetalheOut,
    ContaBancariaIn,
    ContaBancariaOut,
    ContaBancariaPatch,
    PerfilOut,
    PerfilPatch,
    VerificacaoContaIn,
)

router = APIRouter(tags=["dados do usuário"])
admin_router = APIRouter(prefix="/admin", tags=["administração"])

AdminDep = Annotated[Principal, Depends(require_profiles(Perfil.ADMIN))]
NO_STORE = {"Cache-Control": "no-store"}


def _otp(
    redis: RedisDep, principal: Principal, limits: RateLimitsDep, code: str
) -> service.Confirm:
    return lambda: verify_otp(
        redis,
        user_id=principal.user_id,
        purpose=OtpPurpose.CONTA_BANCARIA,
        code=code,
        limits=limits,
    )


@router.get("/bancos", response_model=list[BancoOut], summary="Bancos aceitos (código COMPE)")
def list_banks() -> list[BancoOut]:
    return [BancoOut(codigo=code, nome=name) for code, name in bank.BANKS.items()]


@router.get("/me", response_model=PerfilOut, summary="Meu perfil")
def get_me(principal: CurrentPrincipal, db: DbDep) -> PerfilOut:
    user = service.get_profile(db, user_id=principal.user_id)
    return PerfilOut.build(user, kyc.latest_decision(db, usuario_id=user.id))


@router.patch("/me", response_model=PerfilOut, summary="Alterar nome e/ou celular")
def patch_me(
    body: PerfilPatch,
    principal: CurrentPrincipal,
    db: DbDep,
    redis: RedisDep,
    limits: RateLimitsDep,
) -> PerfilOut:
    user = service.update_profile(
        db,
        redis_client=redis,
        user_id=principal.user_id,
        password_rule=limits.password_change_user,
        nome_completo=body.nome_completo,
        celular=body.celular,
        senha_atual=body.senha_atual,
    )
    return PerfilOut.build(user, kyc.latest_decision(db, usuario_id=user.id))


@router.get(
    "/me/contas-bancarias",
    response_model=list[ContaBancariaOut],
    summary="Minhas contas bancárias (mascaradas)",
)
def list_my_accounts(principal: CurrentPrincipal, db: DbDep) -> list[ContaBancariaOut]:
    return [
        ContaBancariaOut.build(a) for a in service.list_bank_accounts(db, user_id=principal.user_id)
    ]


@router.post(
    "/me/contas-bancarias",
    response_model=ContaBancariaOut,
    status_code=status.HTTP_201_CREATED,
    summary="Cadastrar conta bancária (exige código OTP)",
)
def add_my_account(
    *,
    body: ContaBancariaIn,
    principal: CurrentPrincipal,
    db: DbDep,
    redis: RedisDep,
    limits: RateLimitsDep,
) -> ContaBancariaOut:
    account = service.add_bank_account(
        db,
        redis_client=redis,
        user_id=principal.user_id,
        actor_id=principal.user_id,
        actor_perfil=principal.perfil,
        banco=body.banco,
        agencia=body.agencia,
        conta=body.conta,
        tipo_conta=body.tipo_conta,
        principal=body.principal,
        confirm=_otp(redis, principal, limits, body.codigo_otp),
    )
    return ContaBancariaOut.build(account)


@router.get(
    "/me/contas-bancarias/{conta_id}",
    response_model=ContaBancariaDetalheOut,
    summary="Detalhe de uma conta bancária minha, com agência e número completos",
)
def get_my_account(
    *, conta_id: uuid.UUID, principal: CurrentPrincipal, db: DbDep, response: Response
) -> ContaBancariaDetalheOut:
    account = service.get_bank_account(db, user_id=principal.user_id, account_id=conta_id)
    response.headers.update(NO_STORE)
    return ContaBancariaDetalheOut.build_full(account)


@router.patch(
    "/me/contas-bancarias/{conta_id}",
    response_model=ContaBancariaOut,
    summary="Alterar conta bancária (exige código OTP; volta a PENDENTE)",
)
def patch_my_account(
    *,
    conta_id: uuid.UUID,
    body: ContaBancariaPatch,
    principal: CurrentPrincipal,
    db: DbDep,
    redis: RedisDep,
    limits: RateLimitsDep,
) -> ContaBancariaOut:
    account = service.update_bank_account(
        db,
        redis_client=redis,
        user_id=principal.user_id,
        account_id=conta_id,
        actor_perfil=principal.perfil,
        banco=body.banco,
        agencia=body.agencia,
        conta=body.conta,
        tipo_conta=body.tipo_conta,
        confirm=_otp(redis, principal, limits, body.codigo_otp),
    )
    return ContaBancariaOut.build(account)


@router.post(
    "/me/contas-bancarias/{conta_id}/principal",
    response_model=ContaBancariaOut,
    summary="Tornar a conta bancária principal (exige código OTP)",
)
def make_my_account_principal(
    *,
    conta_id: uuid.UUID,
    body: CodigoOtpIn,
    principal: CurrentPrincipal,
    db: DbDep,
    redis: RedisDep,
    limits: RateLimitsDep,
) -> ContaBancariaOut:
    account = service.set_principal(
        db,
        redis_client=redis,
        user_id=principal.user_id,
        account_id=conta_id,
        actor_perfil=principal.perfil,
        confirm=_otp(redis, principal, limits, body.codigo_otp),
    )
    return ContaBancariaOut.build(account)


@router.delete(
    "/me/contas-bancarias/{conta_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Remover conta bancária (exige código OTP no corpo)",
)
def delete_my_account(
    *,
    conta_id: uuid.UUID,
    body: CodigoOtpIn,
    principal: CurrentPrincipal,
    db: DbDep,
    redis: RedisDep,
    limits: RateLimitsDep,
) -> Response:
    service.delete_bank_account(
        db,
        redis_client=redis,
        user_id=principal.user_id,
        account_id=conta_id,
        actor_perfil=principal.perfil,
        confirm=_otp(redis, principal, limits, body.codigo_otp),
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@admin_router.patch(
    "/contas-bancarias/{conta_id}/verificacao",
    response_model=ContaBancariaOut,
    summary="Registrar a verificação de uma conta bancária (VERIFICADA / INVALIDA)",
)
def verify_account(
    *, conta_id: uuid.UUID, body: VerificacaoContaIn, admin: AdminDep, db: DbDep
) -> ContaBancariaOut:
    account = service.set_verification(
        db, admin_id=admin.user_id, account_id=conta_id, status=body.status
    )
    return ContaBancariaOut.build(account)
