"""API schemas of field agents, producers' onboarding and account activation."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from shared_models.cpf import mask_cpf
from shared_models.db import ContaBancaria, DocumentoKyc, Usuario
from shared_models.enums import StatusKyc
from shared_models.fields import Celular, Cpf, Email, NomeCompleto
from sync_server.accounts.users import has_usable_password, is_placeholder_email
from sync_server.field_agents.service import BankAccountData, OnboardResult, ProducerData
from sync_server.kyc.schemas import DocumentoOut
from sync_server.user_data.schemas import ContaBancariaDados, ContaBancariaOut


class StrictIn(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ProdutorIn(StrictIn):
    nome_completo: NomeCompleto
    cpf: Cpf
    celular: Celular = Field(description="Celular do produtor: recebe o código de ativação.")
    email: Email | None = Field(default=None, description="Opcional: muitos produtores não têm.")
    conta_bancaria: ContaBancariaDados | None = None

    def to_data(self) -> ProducerData:
        bank = self.conta_bancaria
        return ProducerData(
            nome_completo=self.nome_completo,
            cpf=self.cpf,
            celular=self.celular,
            email=self.email,
            conta_bancaria=BankAccountData(
                banco=bank.banco,
                agencia=bank.agencia,
                conta=bank.conta,
                tipo_conta=bank.tipo_conta,
            )
            if bank
            else None,
        )


def bank_data(body: ContaBancariaDados) -> BankAccountData:
    return BankAccountData(
        banco=body.banco, agencia=body.agencia, conta=body.conta, tipo_conta=body.tipo_conta
    )


class ProdutorCadastradoOut(BaseModel):
    produtor_id: uuid.UUID
    status_kyc: StatusKyc
    conta_bancaria_id: uuid.UUID | None
    ativacao_expira_em: datetime

    @classmethod
    def build(cls, result: OnboardResult) -> ProdutorCadastradoOut:
        return cls(
            produtor_id=result.produtor_id,
            status_kyc=result.status_kyc,
            conta_bancaria_id=result.conta_bancaria_id,
            ativacao_expira_em=result.ativacao_expira_em,
        )


class ProdutorResumoOut(BaseModel):
    id: uuid.UUID
    nome_completo: str
    cpf_mascarado: str
    celular: str
    status_kyc: StatusKyc
    ativado: bool
    anonimizado: bool
    data_criacao: datetime

    @classmethod
    def build(cls, user: Usuario) -> ProdutorResumoOut:
        return cls(
            id=user.id,
            nome_completo=user.nome_completo,
            cpf_mascarado=mask_cpf(user.cpf),
            celular=user.celular,
            status_kyc=user.status_kyc,
            ativado=has_usable_password(user),
            anonimizado=user.anonimizado_em is not None,
            data_criacao=user.data_criacao,
        )


class ProdutoresOut(BaseModel):
    total: int
    itens: list[ProdutorResumoOut]


class ProdutorOut(ProdutorResumoOut):
    email: str | None
    contas_bancarias: list[ContaBancariaOut]
    documentos: list[DocumentoOut]

    @classmethod
    def build_full(
        cls, user: Usuario, accounts: list[ContaBancaria], documents: list[DocumentoKyc]
    ) -> ProdutorOut:
        return cls(
            **ProdutorResumoOut.build(user).model_dump(),
            email=None if is_placeholder_email(user.email) else user.email,
            contas_bancarias=[ContaBancariaOut.build(a) for a in accounts],
            documentos=[DocumentoOut.build(d) for d in documents],
        )


class AgenteIn(StrictIn):
    nome_completo: NomeCompleto
    email: Email
    cpf: Cpf
    celular: Celular


class AgenteCriadoOut(BaseModel):
    agente_id: uuid.UUID
    ativacao_expira_em: datetime


class AtivacaoReenviadaOut(BaseModel):
    ativacao_expira_em: datetime


class AtivacaoIn(StrictIn):
    cpf: Cpf
    codigo: str = Field(max_length=16, description="Código de 6 dígitos recebido por SMS.")
    senha: str = Field(max_length=256, description="A nova senha (mesma política do cadastro).")


class AtivacaoOut(BaseModel):
    usuario_id: uuid.UUID
    mensagem: str
