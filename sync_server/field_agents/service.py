"""Field agents (perfil AGENTE_CAMPO) and the producers they onboard.

Admins create agents; agents register producers (perfil AGRICULTOR) on their behalf, with
``usuarios.agente_id`` = the agent, optionally a bank account and then KYC documents. Both kinds
of account start without a usable password and are activated by their owner with a code sent by
SMS (:mod:`sync_server.field_agents.activation`). An agent sees only the producers they onboarded
(the ownership rule itself is :mod:`sync_server.auth.policy`).

:func:`onboard_producer` is a plain service function over a session so that the sync layer can
run it from an offline intent ("register producer") inside its own transaction; its result holds
no secret (the activation code only travels by SMS).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Final

import redis
import sqlalchemy as sa
from sqlalchemy.orm import Session

from shared_models.db import ContaBancaria, Usuario
from shared_models.enums import Perfil, StatusKyc, TipoConta
from sync_server.accounts.users import get_active_user, has_usable_password, insert_user
from sync_server.auth.kyc_precheck import precheck
from sync_server.errors import ApiError
from sync_server.field_agents import activation
from sync_server.ledger.service import append_event
from sync_server.user_data import service as user_data

MAX_PAGE: Final = 200


@dataclass(frozen=True)
class BankAccountData:
    """Normalised bank data (see :mod:`shared_models.bank`)."""

    banco: str
    agencia: str
    conta: str
    tipo_conta: TipoConta


@dataclass(frozen=True)
class ProducerData:
    """Normalised producer data (CPF 11 digits, mobile E.164, e-mail lowercased or None)."""

    nome_completo: str
    cpf: str
    celular: str
    email: str | None = None
    conta_bancaria: BankAccountData | None = None


@dataclass(frozen=True)
class OnboardResult:
    produtor_id: uuid.UUID
    status_kyc: StatusKyc
    conta_bancaria_id: uuid.UUID | None
    ativacao_expira_em: datetime


@dataclass(frozen=True)
class AgentRef:
    """The acting agent (from the authenticated principal)."""

    user_id: uuid.UUID


def create_agent(
    session: Session,
    *,
    redis_client: redis.Redis,
    admin_id: uuid.UUID,
    nome_completo: str,
    email: str,
    cpf: str,
    celular: str,
) -> tuple[Usuario, datetime]:
    """An admin creates a field agent; the agent activates the account by SMS code."""
    agent = insert_user(
        session,
        nome_completo=nome_completo,
        email=email,
        cpf=cpf,
        celular=celular,
        perfil=Perfil.AGENTE_CAMPO,
        status_kyc=precheck(nome_completo=nome_completo, cpf=cpf).status,
    )
    expires = activation.issue_activation(session, redis_client=redis_client, user=agent)
    append_event(
        session.connection(),
        tipo_evento="AGENTE_CRIADO",
        dados_evento={"usuario_id": str(agent.id), "admin_id": str(admin_id)},
        ator_id=admin_id,
        ator_tipo=Perfil.ADMIN.value,
    )
    return agent, expires


def _acting_agent(session: Session, agent_id: uuid.UUID) -> Usuario:
    agent = get_active_user(session, agent_id)
    if agent.perfil is not Perfil.AGENTE_CAMPO:
        raise ApiError(403, "acesso_negado", "Apenas agentes de campo cadastram produtores.")
    return agent


def onboard_producer(
    session: Session,
    *,
    redis_client: redis.Redis,
    agent: AgentRef,
    data: ProducerData,
) -> OnboardResult:
    """Register a producer on their behalf: user + wallet, optional bank account, activation SMS.

    Refusals (duplicate e-mail/CPF: 409 ``cadastro_duplicado``) change nothing. KYC starts as the
    signup pre-check says (PENDENTE or ANALISE_MANUAL); documents are uploaded afterwards.
    """
    _acting_agent(session, agent.user_id)
    producer = insert_user(
        session,
        nome_completo=data.nome_completo,
        email=data.email,
        cpf=data.cpf,
        celular=data.celular,
        perfil=Perfil.AGRICULTOR,
        status_kyc=precheck(nome_completo=data.nome_completo, cpf=data.cpf).status,
        agente_id=agent.user_id,
    )
    account_id: uuid.UUID | None = None
    if data.conta_bancaria is not None:
        bank = data.conta_bancaria
        account = user_data.add_bank_account(
            session,
            redis_client=None,  # the producer gets the activation SMS; no alert needed
            user_id=producer.id,
            actor_id=agent.user_id,
            actor_perfil=Perfil.AGENTE_CAMPO,
            banco=bank.banco,
            agencia=bank.agencia,
            conta=bank.conta,
            tipo_conta=bank.tipo_conta,
        )
        account_id = account.id
    expires = activation.issue_activation(session, redis_client=redis_client, user=producer)
    append_event(
        session.connection(),
        tipo_evento="PRODUTOR_CADASTRADO",
        dados_evento={"usuario_id": str(producer.id), "agente_id": str(agent.user_id)},
        ator_id=agent.user_id,
        ator_tipo=Perfil.AGENTE_CAMPO.value,
    )
    return OnboardResult(
        produtor_id=producer.id,
        status_kyc=producer.status_kyc,
        conta_bancaria_id=account_id,
        ativacao_expira_em=expires,
    )


def add_producer_bank_account(
    session: Session,
    *,
    agent_id: uuid.UUID,
    producer_id: uuid.UUID,
    data: BankAccountData,
) -> ContaBancaria:
    """The agent adds a bank account for a producer who has not activated the account yet.

    Once activated, the producer manages their accounts themself (with an OTP on their phone).
    """
    producer = get_active_user(session, producer_id, lock=True)
    if has_usable_password(producer):
        raise ApiError(
            409,
            "produtor_ja_ativado",
            "O produtor já ativou a conta: as contas bancárias agora são gerenciadas por ele, "
            "com confirmação por código no celular.",
        )
    return user_data.add_bank_account(
        session,
        redis_client=None,
        user_id=producer_id,
        actor_id=agent_id,
        actor_perfil=Perfil.AGENTE_CAMPO,
        banco=data.banco,
        agencia=data.agencia,
        conta=data.conta,
        tipo_conta=data.tipo_conta,
    )


def list_producers(
    session: Session, *, agent_id: uuid.UUID, limit: int = 50, offset: int = 0
) -> tuple[int, list[Usuario]]:
    """The producers this agent onboarded (and only those), newest first."""
    where = (Usuario.agente_id == agent_id, Usuario.perfil == Perfil.AGRICULTOR)
    total = session.scalar(sa.select(sa.func.count()).select_from(Usuario).where(*where)) or 0
    users = session.scalars(
        sa.select(Usuario)
        .where(*where)
        .order_by(Usuario.data_criacao.desc(), Usuario.id)
        .limit(min(limit, MAX_PAGE))
        .offset(offset)
    )
    return total, list(users)


def get_producer(session: Session, *, producer_id: uuid.UUID) -> Usuario:
    """A producer's row (the caller has already been authorised by the policy)."""
    user = session.get(Usuario, producer_id)
    if user is None or user.perfil is not Perfil.AGRICULTOR:
        raise ApiError(404, "produtor_nao_encontrado", "Produtor não encontrado.")
    return user


def resend_activation(
    session: Session, *, redis_client: redis.Redis, actor_id: uuid.UUID, user_id: uuid.UUID
) -> datetime:
    """A new activation code for a producer (the caller is authorised for them)."""
    user = get_active_user(session, user_id, lock=True)
    if user.perfil is not Perfil.AGRICULTOR:
        raise ApiError(404, "produtor_nao_encontrado", "Produtor não encontrado.")
    return activation.resend_activation(
        session, redis_client=redis_client, user=user, actor_id=actor_id
    )


def resend_agent_activation(
    session: Session, *, redis_client: redis.Redis, actor_id: uuid.UUID, agent_id: uuid.UUID
) -> datetime:
    """A new activation code for a field agent (admins)."""
    user = get_active_user(session, agent_id, lock=True)
    if user.perfil is not Perfil.AGENTE_CAMPO:
        raise ApiError(404, "agente_nao_encontrado", "Agente de campo não encontrado.")
    return activation.resend_activation(
        session, redis_client=redis_client, user=user, actor_id=actor_id
    )
