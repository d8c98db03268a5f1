"""API schemas of the observability routes (admin dashboard and alert rules)."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class LogLineOut(BaseModel):
    id: int
    timestamp: dt.datetime
    level: str
    service: str
    correlation_id: str | None
    user_id: str | None
    message: str
    payload: dict[str, Any]


class LogPageOut(BaseModel):
    itens: list[LogLineOut]
    proximo_cursor: str | None = Field(
        description="Passe em 'cursor' para a próxima página; null na última."
    )


class ErrorBucketOut(BaseModel):
    bucket: dt.datetime
    service: str
    quantidade: int


class TimingBucketOut(BaseModel):
    bucket: dt.datetime
    service: str
    quantidade: int
    media_ms: Decimal


class CorrelationOut(BaseModel):
    correlation_id: str
    servicos: list[str]
    linhas: list[LogLineOut]
    truncado: bool


class AlertEventOut(BaseModel):
    id: int
    regra_id: uuid.UUID
    regra: str
    chave: str
    estado: str
    valor: Decimal
    limiar: Decimal
    mensagem: str
    disparado_em: dt.datetime
    resolvido_em: dt.datetime | None


class AlertRuleIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    nome: str = Field(min_length=1, max_length=100)
    descricao: str = Field(default="", max_length=2000)
    consulta: str = Field(
        min_length=1,
        max_length=20_000,
        description=(
            "Um único SELECT que devolve 'valor' (e opcionalmente 'chave'); parâmetros"
            " :inicio, :fim, :servico, :limiar, :janela_minutos."
        ),
    )
    limiar: Decimal = Field(max_digits=18, decimal_places=4)
    janela_minutos: int = Field(ge=1, le=10_080)
    servico: str | None = Field(default=None, max_length=100)
    habilitada: bool = True


class AlertRulePatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    nome: str | None = Field(default=None, min_length=1, max_length=100)
    descricao: str | None = Field(default=None, max_length=2000)
    consulta: str | None = Field(default=None, min_length=1, max_length=20_000)
    limiar: Decimal | None = Field(default=None, max_digits=18, decimal_places=4)
    janela_minutos: int | None = Field(default=None, ge=1, le=10_080)
    servico: str | None = Field(default=None, max_length=100)
    habilitada: bool | None = None


class AlertRuleOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    nome: str
    descricao: str
    consulta: str
    limiar: Decimal
    janela_minutos: int
    servico: str | None
    habilitada: bool
    embutida: bool
    ultima_avaliacao_em: dt.datetime | None
    ultimo_erro: str | None
    data_criacao: dt.datetime
    data_atualizacao: dt.datetime
