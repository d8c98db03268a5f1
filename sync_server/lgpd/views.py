"""Routes of LGPD rights: ``GET /v1/me/dados-pessoais`` and ``POST /v1/me/exclusao``."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from sync_server.auth.deps import CurrentPrincipal
from sync_server.auth.ratelimit import RateLimitsDep
from sync_server.deps import DbDep, RedisDep
from sync_server.lgpd import service

router = APIRouter(prefix="/me", tags=["LGPD"])


class ExclusaoIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    senha: str = Field(max_length=256, description="A sua senha atual, para confirmar.")
    confirmacao: Literal["EXCLUIR"] = Field(description='Escreva "EXCLUIR" para confirmar.')


class ExclusaoOut(BaseModel):
    mensagem: str


@router.get(
    "/dados-pessoais",
    summary="Exportar todos os meus dados pessoais (JSON)",
    responses={200: {"content": {"application/json": {}}, "description": "Exportação LGPD."}},
)
def export_my_data(principal: CurrentPrincipal, db: DbDep) -> JSONResponse:
    data: dict[str, Any] = service.export_personal_data(db, user_id=principal.user_id)
    return JSONResponse(
        data,
        headers={
            "Content-Disposition": (
                f'attachment; filename="peerseed-dados-{principal.user_id}.json"'
            ),
            "Cache-Control": "no-store",
        },
    )


@router.post(
    "/exclusao",
    response_model=ExclusaoOut,
    summary="Excluir minha conta (anonimização; registros financeiros são mantidos)",
)
def delete_me(
    *,
    body: ExclusaoIn,
    principal: CurrentPrincipal,
    db: DbDep,
    redis: RedisDep,
    limits: RateLimitsDep,
) -> ExclusaoOut:
    service.anonymise_user(
        db,
        redis_client=redis,
        user_id=principal.user_id,
        senha=body.senha,
        password_rule=limits.password_change_user,
    )
    return ExclusaoOut(
        mensagem=(
            "Seus dados pessoais foram anonimizados e todas as sessões foram encerradas. "
            "Registros financeiros e o ledger são mantidos sem dados pessoais."
        )
    )
