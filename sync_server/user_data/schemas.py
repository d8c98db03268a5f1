"""API schemas of user data: profile and bank accounts (masked unless the owner's detail view)."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from shared_models import bank
from shared_models.cpf import mask_cpf
from shared_models.db import ContaBancaria, KycDecisao, Usuario
from shared_models.enums import Perfil, StatusKyc, StatusVerificacao, TipoConta
from shared_models.fields import (
    Agencia,
    Celular,
    CodigoBanco,
    NomeCompleto,
    NumeroConta,
)
from sync_server.accounts.users import has_usable_password, is_placeholder_email


class StrictIn(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PerfilOut(BaseModel):
    id: uuid.UUID
    nome_completo: str
    email: str | None = Field(description="Nulo para produtores cadastrados sem e-mail.")
    cpf_mascarado: str
    celular: str
    perfil: Perfil
    status_kyc: StatusKyc
    kyc_motivo_codigo: str | None = Field(description="Motivo da última decisão de KYC.")
    kyc_motivo: str | None
    agente_id: uuid.UUID | None
    ativado: bool
    data_criacao: datetime
    data_atualizacao: datetime

    @classmethod
    def build(cls, user: Usuario, decision: KycDecisao | None) -> PerfilOut:
        return cls(
            id=user.id,
            nome_completo=user.nome_completo,
            email=None if is_placeholder_email(user.email) else user.email,
            cpf_mascarado=mask_cpf(user.cpf),
            celular=user.celular,
            perfil=user.perfil,
            status_kyc=user.status_kyc,
            kyc_motivo_codigo=decision.motivo_codigo if decision else None,
            kyc_motivo=decision.motivo if decision else None,
            agente_id=user.agente_id,
            ativado=has_usable_password(user),
            data_criacao=user.data_criacao,
            data_atualizacao=user.data_atualizacao,
        )


class PerfilPatch(StrictIn):
    nome_completo: NomeCompleto | None = None
    celular: Celular | None = None
    senha_atual: str | None = Field(
        default=None, max_length=256, description="Obrigatória para trocar o celular."
    )


class BancoOut(BaseModel):
    codigo: str
    nome: str


class ContaBancariaOut(BaseModel):
    """A bank account with agency and number masked."""

    id: uuid.UUID
    banco: str
    banco_nome: str
    agencia_mascarada: str
    conta_mascarada: str
    tipo_conta: TipoConta
    status: StatusVerificacao
    is_principal: bool
    data_criacao: datetime

    @classmethod
    def build(cls, account: ContaBancaria) -> ContaBancariaOut:
        return cls(
            id=account.id,
            banco=account.banco,
            banco_nome=bank.bank_name(account.banco),
            agencia_mascarada=bank.mask_agency(account.agencia),
            conta_mascarada=bank.mask_account(account.conta),
            tipo_conta=account.tipo_conta,
            status=account.status,
            is_principal=account.is_principal,
            data_criacao=account.data_criacao,
        )


class ContaBancariaDetalheOut(ContaBancariaOut):
    """The owner's explicit detail view: agency and number in full."""

    agencia: str
    conta: str

    @classmethod
    def build_full(cls, account: ContaBancaria) -> ContaBancariaDetalheOut:
        masked = ContaBancariaOut.build(account).model_dump()
        return cls(**masked, agencia=account.agencia, conta=account.conta)


class ContaBancariaDados(StrictIn):
    banco: CodigoBanco = Field(description="Código COMPE de 3 dígitos (GET /v1/bancos).")
    agencia: Agencia = Field(description="4 dígitos e, se houver, o dígito: 0000 ou 0000-0.")
    conta: NumeroConta = Field(description="Número da conta com o dígito: 00000-0.")
    tipo_conta: TipoConta


class CodigoOtpIn(StrictIn):
    codigo_otp: str = Field(
        max_length=16, description="Código recebido por SMS (POST /v1/auth/otp, conta_bancaria)."
    )


class ContaBancariaIn(ContaBancariaDados):
    principal: bool = False
    codigo_otp: str = Field(max_length=16)


class ContaBancariaPatch(StrictIn):
    banco: CodigoBanco | None = None
    agencia: Agencia | None = None
    conta: NumeroConta | None = None
    tipo_conta: TipoConta | None = None
    codigo_otp: str = Field(max_length=16)


class VerificacaoContaIn(StrictIn):
    status: StatusVerificacao
