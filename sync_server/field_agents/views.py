"""Routes of field agents (``/v1/agente``), agents' creation by admins and account activation.

Authorization: the auth layer's ``require_profiles`` and, for one producer, the ownership policy
(:func:`sync_server.auth.policy.ensure_can_act_for`: only the agent who onboarded the producer).
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response, status

from shared_models.enums import Perfil
from sync_server.auth import policy
from sync_server.auth.deps import Principal, require_profiles
from sync_server.auth.ratelimit import client_ip
from sync_server.deps import DbDep, RedisDep
from sync_server.field_agents import activation, service
from sync_server.field_agents.schemas import (
    AgenteCriadoOut,
    AgenteIn,
    AtivacaoIn,
    AtivacaoOut,
    AtivacaoReenviadaOut,
    ProdutorCadastradoOut,
    ProdutoresOut,
    ProdutorIn,
    ProdutorOut,
    ProdutorResumoOut,
    bank_data,
)
from sync_server.kyc import service as kyc
from sync_server.kyc.schemas import DocumentoOut
from sync_server.kyc.views import ArquivoForm, TipoForm, store_upload
from sync_server.user_data import service as user_data
from sync_server.user_data.schemas import ContaBancariaDados, ContaBancariaOut

router = APIRouter(prefix="/agente", tags=["agentes de campo"])
admin_router = APIRouter(prefix="/admin", tags=["administração"])
public_router = APIRouter(tags=["ativação de conta"])

AgentDep = Annotated[Principal, Depends(require_profiles(Perfil.AGENTE_CAMPO))]
AdminDep = Annotated[Principal, Depends(require_profiles(Perfil.ADMIN))]


def _producer_in_charge(produtor_id: uuid.UUID, agent: AgentDep, db: DbDep) -> uuid.UUID:
    policy.ensure_can_act_for(db, agent, produtor_id)
    return produtor_id


ProducerId = Annotated[uuid.UUID, Depends(_producer_in_charge)]


@router.post(
    "/produtores",
    response_model=ProdutorCadastradoOut,
    status_code=status.HTTP_201_CREATED,
    summary="Cadastrar um produtor (o código de ativação vai por SMS ao produtor)",
)
def onboard(
    *, body: ProdutorIn, agent: AgentDep, db: DbDep, redis: RedisDep
) -> ProdutorCadastradoOut:
    result = service.onboard_producer(
        db,
        redis_client=redis,
        agent=service.AgentRef(user_id=agent.user_id),
        data=body.to_data(),
    )
    return ProdutorCadastradoOut.build(result)


@router.get("/produtores", response_model=ProdutoresOut, summary="Meus produtores")
def list_producers(
    agent: AgentDep,
    db: DbDep,
    limite: Annotated[int, Query(ge=1, le=200)] = 50,
    deslocamento: Annotated[int, Query(ge=0)] = 0,
) -> ProdutoresOut:
    total, users = service.list_producers(
        db, agent_id=agent.user_id, limit=limite, offset=deslocamento
    )
    return ProdutoresOut(total=total, itens=[ProdutorResumoOut.build(u) for u in users])


@router.get("/produtores/{produtor_id}", response_model=ProdutorOut, summary="Um produtor meu")
def get_producer(produtor_id: ProducerId, db: DbDep) -> ProdutorOut:
    user = service.get_producer(db, producer_id=produtor_id)
    return ProdutorOut.build_full(
        user,
        user_data.list_bank_accounts(db, user_id=user.id),
        kyc.list_documents(db, owner_id=user.id),
    )


@router.post(
    "/produtores/{produtor_id}/documentos",
    response_model=DocumentoOut,
    status_code=status.HTTP_201_CREATED,
    summary="Enviar um documento do produtor (multipart)",
)
def upload_producer_document(
    *,
    produtor_id: ProducerId,
    tipo: TipoForm,
    arquivo: ArquivoForm,
    agent: AgentDep,
    db: DbDep,
    response: Response,
) -> DocumentoOut:
    return store_upload(
        db,
        response=response,
        owner_id=produtor_id,
        uploaded_by=agent.user_id,
        tipo=tipo,
        arquivo=arquivo,
    )


@router.get(
    "/produtores/{produtor_id}/documentos",
    response_model=list[DocumentoOut],
    summary="Documentos do produtor (metadados)",
)
def list_producer_documents(produtor_id: ProducerId, db: DbDep) -> list[DocumentoOut]:
    return [DocumentoOut.build(d) for d in kyc.list_documents(db, owner_id=produtor_id)]


@router.post(
    "/produtores/{produtor_id}/contas-bancarias",
    response_model=ContaBancariaOut,
    status_code=status.HTTP_201_CREATED,
    summary="Cadastrar conta bancária do produtor (só antes da ativação)",
)
def add_producer_account(
    *, produtor_id: ProducerId, body: ContaBancariaDados, agent: AgentDep, db: DbDep
) -> ContaBancariaOut:
    account = service.add_producer_bank_account(
        db, agent_id=agent.user_id, producer_id=produtor_id, data=bank_data(body)
    )
    return ContaBancariaOut.build(account)


@router.post(
    "/produtores/{produtor_id}/reenviar-ativacao",
    response_model=AtivacaoReenviadaOut,
    summary="Enviar um novo código de ativação ao produtor",
)
def resend_producer_activation(
    *, produtor_id: ProducerId, agent: AgentDep, db: DbDep, redis: RedisDep
) -> AtivacaoReenviadaOut:
    expires = service.resend_activation(
        db, redis_client=redis, actor_id=agent.user_id, user_id=produtor_id
    )
    return AtivacaoReenviadaOut(ativacao_expira_em=expires)


@admin_router.post(
    "/agentes",
    response_model=AgenteCriadoOut,
    status_code=status.HTTP_201_CREATED,
    summary="Criar um agente de campo (o código de ativação vai por SMS)",
)
def create_agent(body: AgenteIn, admin: AdminDep, db: DbDep, redis: RedisDep) -> AgenteCriadoOut:
    agent, expires = service.create_agent(
        db,
        redis_client=redis,
        admin_id=admin.user_id,
        nome_completo=body.nome_completo,
        email=body.email,
        cpf=body.cpf,
        celular=body.celular,
    )
    return AgenteCriadoOut(agente_id=agent.id, ativacao_expira_em=expires)


@admin_router.post(
    "/agentes/{agente_id}/reenviar-ativacao",
    response_model=AtivacaoReenviadaOut,
    summary="Enviar um novo código de ativação a um agente",
)
def resend_agent_activation(
    *, agente_id: uuid.UUID, admin: AdminDep, db: DbDep, redis: RedisDep
) -> AtivacaoReenviadaOut:
    expires = service.resend_agent_activation(
        db, redis_client=redis, actor_id=admin.user_id, agent_id=agente_id
    )
    return AtivacaoReenviadaOut(ativacao_expira_em=expires)


@public_router.post(
    "/ativacao",
    response_model=AtivacaoOut,
    summary="Ativar a conta com o código recebido por SMS e definir a senha",
)
def activate(body: AtivacaoIn, request: Request, db: DbDep, redis: RedisDep) -> AtivacaoOut:
    user = activation.activate_account(
        db,
        redis_client=redis,
        client_ip=client_ip(request),
        cpf=body.cpf,
        codigo=body.codigo,
        senha=body.senha,
    )
    return AtivacaoOut(
        usuario_id=user.id,
        mensagem="Conta ativada. Entre com o seu CPF ou e-mail e a senha que você criou.",
    )
