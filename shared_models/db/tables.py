"""The specification's tables, column for column, plus the documented additions (docs/schema.md)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from shared_models import enums
from shared_models.db.base import Base, brl, pg_enum, usdc

PERFIL = pg_enum(enums.Perfil, "perfil_enum")
STATUS_KYC = pg_enum(enums.StatusKyc, "status_kyc_enum")
TIPO_TRANSACAO = pg_enum(enums.TipoTransacao, "tipo_transacao_enum")
STATUS_TRANSACAO = pg_enum(enums.StatusTransacao, "status_transacao_enum")
STATUS_CPR = pg_enum(enums.StatusCpr, "status_cpr_enum")
RISCO = pg_enum(enums.Risco, "risco_enum")
STATUS_PARCELA = pg_enum(enums.StatusParcela, "status_parcela_enum")
STATUS_INVESTIMENTO = pg_enum(enums.StatusInvestimento, "status_investimento_enum")
STATUS_OFERTA = pg_enum(enums.StatusOferta, "status_oferta_enum")
TIPO_CONTA = pg_enum(enums.TipoConta, "tipo_conta_enum")
STATUS_VERIFICACAO = pg_enum(enums.StatusVerificacao, "status_verificacao_enum")

NOW = sa.text("now()")
UUID_DEFAULT = sa.text("gen_random_uuid()")
ZERO = sa.text("0.0")
HEX64 = "'^[0-9a-f]{64}$'"


def _uuid_pk() -> Mapped[uuid.UUID]:
    return mapped_column(sa.Uuid(), primary_key=True, server_default=UUID_DEFAULT)


class Usuario(Base):
    __tablename__ = "usuarios"
    __table_args__ = (
        sa.CheckConstraint(r"cpf ~ '^[0-9]{11}$'", name="cpf_digits"),
        sa.CheckConstraint("length(btrim(nome_completo)) > 0", name="nome_not_blank"),
        sa.Index("ix_usuarios_perfil_status_kyc", "perfil", "status_kyc"),
    )

    id: Mapped[uuid.UUID] = _uuid_pk()
    nome_completo: Mapped[str] = mapped_column(sa.String(255))
    email: Mapped[str] = mapped_column(sa.String(255), unique=True)
    senha_hash: Mapped[str] = mapped_column(sa.String(255))
    cpf: Mapped[str] = mapped_column(sa.String(11), unique=True)
    celular: Mapped[str] = mapped_column(sa.String(15))
    perfil: Mapped[enums.Perfil] = mapped_column(PERFIL)
    status_kyc: Mapped[enums.StatusKyc] = mapped_column(
        STATUS_KYC, server_default=sa.text("'PENDENTE'")
    )
    data_criacao: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), server_default=NOW)
    data_atualizacao: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), server_default=NOW
    )
    # Revision 0003_accounts (docs/schema.md): the field agent who onboarded this producer,
    # and when the account was anonymised (LGPD deletion request).
    agente_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.ForeignKey("usuarios.id", ondelete="SET NULL"), index=True
    )
    anonimizado_em: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))


class Carteira(Base):
    __tablename__ = "carteiras"
    __table_args__ = (
        sa.CheckConstraint("saldo_usdc >= 0", name="saldo_nao_negativo"),
        sa.CheckConstraint("saldo_bloqueado_usdc >= 0", name="bloqueado_nao_negativo"),
        sa.CheckConstraint("saldo_bloqueado_usdc <= saldo_usdc", name="bloqueado_ate_saldo"),
    )

    id: Mapped[uuid.UUID] = _uuid_pk()
    usuario_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("usuarios.id", ondelete="CASCADE"), unique=True
    )
    saldo_usdc: Mapped[Decimal] = mapped_column(usdc(), server_default=ZERO)
    saldo_bloqueado_usdc: Mapped[Decimal] = mapped_column(usdc(), server_default=ZERO)
    data_atualizacao: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), server_default=NOW
    )


class Cpr(Base):
    __tablename__ = "cprs"
    __table_args__ = (
        sa.CheckConstraint("valor_solicitado > 0", name="valor_positivo"),
        sa.CheckConstraint("taxa_juros_anual >= 0", name="taxa_nao_negativa"),
        sa.CheckConstraint("prazo_meses >= 1", name="prazo_positivo"),
        sa.CheckConstraint("total_cotas >= 1", name="cotas_positivas"),
        sa.CheckConstraint("valor_por_cota_usdc > 0", name="valor_cota_positivo"),
        sa.CheckConstraint(
            "data_vencimento_final IS NULL OR data_emissao IS NULL"
            " OR data_vencimento_final >= data_emissao",
            name="vencimento_apos_emissao",
        ),
        sa.Index("ix_cprs_agricultor_id", "agricultor_id"),
        sa.Index("ix_cprs_status", "status"),
    )

    id: Mapped[uuid.UUID] = _uuid_pk()
    agricultor_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("usuarios.id"))
    valor_solicitado: Mapped[Decimal] = mapped_column(brl())
    taxa_juros_anual: Mapped[Decimal] = mapped_column(sa.Numeric(5, 2, asdecimal=True))
    prazo_meses: Mapped[int] = mapped_column(sa.Integer())
    status: Mapped[enums.StatusCpr] = mapped_column(STATUS_CPR, server_default=sa.text("'ANALISE'"))
    score_risco: Mapped[enums.Risco] = mapped_column(RISCO)
    total_cotas: Mapped[int] = mapped_column(sa.Integer())
    valor_por_cota_usdc: Mapped[Decimal] = mapped_column(usdc())
    data_emissao: Mapped[date | None] = mapped_column(sa.Date())
    data_vencimento_final: Mapped[date | None] = mapped_column(sa.Date())
    data_criacao: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), server_default=NOW)


class Parcela(Base):
    __tablename__ = "parcelas"
    __table_args__ = (
        sa.UniqueConstraint("cpr_id", "numero_parcela"),
        sa.CheckConstraint("numero_parcela >= 1", name="numero_positivo"),
        sa.CheckConstraint("valor_principal >= 0", name="principal_nao_negativo"),
        sa.CheckConstraint("valor_juros >= 0", name="juros_nao_negativos"),
        sa.CheckConstraint("valor_multa_paga >= 0", name="multa_nao_negativa"),
        sa.CheckConstraint("valor_juros_mora_pago >= 0", name="mora_nao_negativa"),
        sa.CheckConstraint(
            "(status = 'PAGA') = (data_pagamento IS NOT NULL)", name="pagamento_coerente"
        ),
        sa.Index(
            "ix_parcelas_vencimento_em_aberto",
            "data_vencimento",
            postgresql_where=sa.text("status <> 'PAGA'"),
        ),
    )

    id: Mapped[uuid.UUID] = _uuid_pk()
    cpr_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("cprs.id", ondelete="CASCADE"))
    numero_parcela: Mapped[int] = mapped_column(sa.Integer())
    valor_principal: Mapped[Decimal] = mapped_column(brl())
    valor_juros: Mapped[Decimal] = mapped_column(brl())
    data_vencimento: Mapped[date] = mapped_column(sa.Date())
    status: Mapped[enums.StatusParcela] = mapped_column(
        STATUS_PARCELA, server_default=sa.text("'PENDENTE'")
    )
    valor_multa_paga: Mapped[Decimal | None] = mapped_column(brl(), server_default=ZERO)
    valor_juros_mora_pago: Mapped[Decimal | None] = mapped_column(brl(), server_default=ZERO)
    data_pagamento: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))


class Investimento(Base):
    __tablename__ = "investimentos"
    __table_args__ = (
        sa.CheckConstraint("quantidade_cotas >= 1", name="cotas_positivas"),
        sa.CheckConstraint("valor_cota_compra > 0", name="valor_cota_positivo"),
        sa.Index("ix_investimentos_investidor_id", "investidor_id"),
        sa.Index("ix_investimentos_cpr_id_status", "cpr_id", "status"),
    )

    id: Mapped[uuid.UUID] = _uuid_pk()
    investidor_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("usuarios.id"))
    cpr_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("cprs.id"))
    quantidade_cotas: Mapped[int] = mapped_column(sa.Integer())
    valor_cota_compra: Mapped[Decimal] = mapped_column(usdc())
    status: Mapped[enums.StatusInvestimento] = mapped_column(
        STATUS_INVESTIMENTO, server_default=sa.text("'ATIVO'")
    )
    data_investimento: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), server_default=NOW
    )


class Transacao(Base):
    __tablename__ = "transacoes"
    __table_args__ = (
        sa.CheckConstraint("valor <> 0", name="valor_nao_nulo"),
        sa.CheckConstraint(
            "(referencia_id IS NULL) = (referencia_tipo IS NULL)", name="referencia_completa"
        ),
        sa.Index("ix_transacoes_carteira_id_data", "carteira_id", "data_transacao"),
        sa.Index("ix_transacoes_referencia", "referencia_tipo", "referencia_id"),
    )

    id: Mapped[uuid.UUID] = _uuid_pk()
    carteira_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("carteiras.id"))
    valor: Mapped[Decimal] = mapped_column(usdc())
    tipo: Mapped[enums.TipoTransacao] = mapped_column(TIPO_TRANSACAO)
    status: Mapped[enums.StatusTransacao] = mapped_column(
        STATUS_TRANSACAO, server_default=sa.text("'PENDENTE'")
    )
    referencia_externa_id: Mapped[str | None] = mapped_column(sa.String(255))
    descricao: Mapped[str | None] = mapped_column(sa.Text())
    data_transacao: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), server_default=NOW)
    referencia_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid())
    referencia_tipo: Mapped[str | None] = mapped_column(sa.String(50))


class OfertaSecundario(Base):
    __tablename__ = "ofertas_secundario"
    __table_args__ = (
        sa.CheckConstraint("quantidade_cotas_a_venda >= 1", name="cotas_positivas"),
        sa.CheckConstraint("preco_por_cota_usdc > 0", name="preco_positivo"),
        sa.Index("ix_ofertas_secundario_investimento_id", "investimento_id"),
        sa.Index(
            "ix_ofertas_secundario_abertas",
            "data_criacao",
            postgresql_where=sa.text("status = 'ABERTA'"),
        ),
    )

    id: Mapped[uuid.UUID] = _uuid_pk()
    investimento_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("investimentos.id"))
    quantidade_cotas_a_venda: Mapped[int] = mapped_column(sa.Integer())
    preco_por_cota_usdc: Mapped[Decimal] = mapped_column(usdc())
    status: Mapped[enums.StatusOferta] = mapped_column(
        STATUS_OFERTA, server_default=sa.text("'ABERTA'")
    )
    data_criacao: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), server_default=NOW)


class ContaBancaria(Base):
    __tablename__ = "contas_bancarias"
    __table_args__ = (
        sa.Index("ix_contas_bancarias_usuario_id", "usuario_id"),
        sa.Index(
            "uq_contas_bancarias_uma_principal",
            "usuario_id",
            unique=True,
            postgresql_where=sa.text("is_principal"),
        ),
        sa.CheckConstraint("banco ~ '^[0-9]{3}$'", name="banco_compe"),  # 0003_accounts
        sa.CheckConstraint("agencia ~ '^[0-9]{4}(-[0-9X])?$'", name="agencia_formato"),
        sa.CheckConstraint("conta ~ '^[0-9]{1,12}-[0-9X]$'", name="conta_formato"),
    )

    id: Mapped[uuid.UUID] = _uuid_pk()
    usuario_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("usuarios.id", ondelete="CASCADE"))
    banco: Mapped[str] = mapped_column(sa.String(100))
    agencia: Mapped[str] = mapped_column(sa.String(10))
    conta: Mapped[str] = mapped_column(sa.String(20))
    tipo_conta: Mapped[enums.TipoConta] = mapped_column(TIPO_CONTA)
    status: Mapped[enums.StatusVerificacao] = mapped_column(
        STATUS_VERIFICACAO, server_default=sa.text("'PENDENTE'")
    )
    is_principal: Mapped[bool] = mapped_column(sa.Boolean(), server_default=sa.false())
    # Revision 0003_accounts (docs/schema.md): creation time and who registered the account
    # (the owner, or the field agent during onboarding).
    data_criacao: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), server_default=NOW)
    criado_por: Mapped[uuid.UUID | None] = mapped_column(
        sa.ForeignKey("usuarios.id", ondelete="SET NULL")
    )


class LedgerEvento(Base):
    __tablename__ = "ledger_eventos"
    __table_args__ = (
        sa.CheckConstraint(f"hash_atual ~ {HEX64}", name="hash_atual_hex"),
        sa.CheckConstraint(
            f"hash_anterior IS NULL OR hash_anterior ~ {HEX64}", name="hash_anterior_hex"
        ),
        sa.CheckConstraint("jsonb_typeof(dados_evento) = 'object'", name="dados_objeto"),
        # A chain cannot fork: each hash is the predecessor of at most one event,
        # and only one event (the first) has no predecessor.
        sa.Index("uq_ledger_eventos_hash_anterior", "hash_anterior", unique=True),
        sa.Index(
            "uq_ledger_eventos_genesis",
            sa.text("(hash_anterior IS NULL)"),
            unique=True,
            postgresql_where=sa.text("hash_anterior IS NULL"),
        ),
        sa.Index("ix_ledger_eventos_tipo_evento", "tipo_evento"),
        sa.Index("ix_ledger_eventos_ator_id", "ator_id"),
    )

    id: Mapped[int] = mapped_column(sa.BigInteger(), primary_key=True, autoincrement=True)
    timestamp: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), server_default=NOW)
    tipo_evento: Mapped[str] = mapped_column(sa.String(100))
    ator_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("usuarios.id"))
    ator_tipo: Mapped[str | None] = mapped_column(sa.String(50))
    dados_evento: Mapped[dict[str, Any]] = mapped_column(JSONB())
    hash_anterior: Mapped[str | None] = mapped_column(sa.String(64))
    hash_atual: Mapped[str] = mapped_column(sa.String(64), unique=True)
