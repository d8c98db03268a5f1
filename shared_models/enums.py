"""The specification's enumerations, as Python enums whose values are the database labels."""

from __future__ import annotations

from enum import StrEnum


class Perfil(StrEnum):
    AGRICULTOR = "AGRICULTOR"
    INVESTIDOR = "INVESTIDOR"
    ADMIN = "ADMIN"
    AGENTE_CAMPO = "AGENTE_CAMPO"  # extension, docs/schema.md


class StatusKyc(StrEnum):
    PENDENTE = "PENDENTE"
    VERIFICADO = "VERIFICADO"
    REPROVADO = "REPROVADO"
    ANALISE_MANUAL = "ANALISE_MANUAL"


class TipoTransacao(StrEnum):
    DEPOSITO_PIX = "DEPOSITO_PIX"
    DEPOSITO_CRYPTO = "DEPOSITO_CRYPTO"
    SAQUE_PIX = "SAQUE_PIX"
    SAQUE_CRYPTO = "SAQUE_CRYPTO"
    INVESTIMENTO_PRIMARIO = "INVESTIMENTO_PRIMARIO"
    INVESTIMENTO_SECUNDARIO = "INVESTIMENTO_SECUNDARIO"
    RECEBIMENTO_PARCELA = "RECEBIMENTO_PARCELA"
    VENDA_SECUNDARIO = "VENDA_SECUNDARIO"
    TAXA_PLATAFORMA = "TAXA_PLATAFORMA"


class StatusTransacao(StrEnum):
    PENDENTE = "PENDENTE"
    CONCLUIDA = "CONCLUIDA"
    FALHOU = "FALHOU"
    CANCELADA = "CANCELADA"


class StatusCpr(StrEnum):
    ANALISE = "ANALISE"
    CAPTACAO = "CAPTAÇÃO"
    FINANCIADO = "FINANCIADO"
    EM_PAGAMENTO = "EM_PAGAMENTO"
    QUITADO = "QUITADO"
    INADIMPLENTE = "INADIMPLENTE"


class Risco(StrEnum):
    A = "A"
    B = "B"
    C = "C"
    D = "D"
    E = "E"


class StatusParcela(StrEnum):
    PENDENTE = "PENDENTE"
    PAGA = "PAGA"
    ATRASADA = "ATRASADA"


class StatusInvestimento(StrEnum):
    ATIVO = "ATIVO"
    VENDIDO = "VENDIDO"
    FINALIZADO = "FINALIZADO"


class StatusOferta(StrEnum):
    ABERTA = "ABERTA"
    VENDIDA = "VENDIDA"
    CANCELADA = "CANCELADA"


class TipoConta(StrEnum):
    CORRENTE = "CORRENTE"
    POUPANCA = "POUPANCA"


class StatusVerificacao(StrEnum):
    PENDENTE = "PENDENTE"
    VERIFICADA = "VERIFICADA"
    INVALIDA = "INVALIDA"


class CanalNotificacao(StrEnum):
    EMAIL = "EMAIL"
    SMS = "SMS"


class StatusNotificacao(StrEnum):
    ENVIADA = "ENVIADA"
    FALHOU = "FALHOU"
