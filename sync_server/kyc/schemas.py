"""API schemas of KYC: documents' metadata, the admins' queue and decisions."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from shared_models.cpf import mask_cpf
from shared_models.db import DocumentoKyc, KycDecisao
from shared_models.enums import Perfil, StatusKyc
from shared_models.kyc_documents import MotivoKyc, TipoDocumento
from sync_server.kyc.service import QueueEntry, QueuePage


class DocumentoOut(BaseModel):
    id: uuid.UUID
    usuario_id: uuid.UUID
    tipo: TipoDocumento
    mime: str
    tamanho_bytes: int
    sha256: str
    enviado_por: uuid.UUID | None
    data_criacao: datetime
    excluido: bool

    @classmethod
    def build(cls, document: DocumentoKyc) -> DocumentoOut:
        return cls(
            id=document.id,
            usuario_id=document.usuario_id,
            tipo=document.tipo,
            mime=document.mime,
            tamanho_bytes=document.tamanho_bytes,
            sha256=document.sha256,
            enviado_por=document.enviado_por,
            data_criacao=document.data_criacao,
            excluido=document.excluido_em is not None,
        )


class FilaItemOut(BaseModel):
    usuario_id: uuid.UUID
    nome_completo: str
    cpf_mascarado: str
    perfil: Perfil
    status_kyc: StatusKyc
    agente_id: uuid.UUID | None
    aguardando_desde: datetime
    documentos: list[DocumentoOut]

    @classmethod
    def build(cls, entry: QueueEntry) -> FilaItemOut:
        user = entry.user
        return cls(
            usuario_id=user.id,
            nome_completo=user.nome_completo,
            cpf_mascarado=mask_cpf(user.cpf),
            perfil=user.perfil,
            status_kyc=user.status_kyc,
            agente_id=user.agente_id,
            aguardando_desde=entry.waiting_since,
            documentos=[DocumentoOut.build(d) for d in entry.documents],
        )


class FilaOut(BaseModel):
    total: int
    itens: list[FilaItemOut]

    @classmethod
    def build(cls, page: QueuePage) -> FilaOut:
        return cls(total=page.total, itens=[FilaItemOut.build(e) for e in page.entries])


class DecisaoIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    decisao: StatusKyc = Field(description="VERIFICADO ou REPROVADO.")
    motivo_codigo: MotivoKyc
    motivo: str | None = Field(
        default=None,
        max_length=1000,
        description="Texto livre para o usuário (obrigatório ao reprovar). Não vai ao ledger.",
    )


class DecisaoOut(BaseModel):
    id: uuid.UUID
    usuario_id: uuid.UUID
    decisao: StatusKyc
    motivo_codigo: str
    motivo: str | None
    admin_id: uuid.UUID | None
    ledger_evento_id: int | None
    data_criacao: datetime

    @classmethod
    def build(cls, decision: KycDecisao) -> DecisaoOut:
        return cls(
            id=decision.id,
            usuario_id=decision.usuario_id,
            decisao=decision.decisao,
            motivo_codigo=decision.motivo_codigo,
            motivo=decision.motivo,
            admin_id=decision.admin_id,
            ledger_evento_id=decision.ledger_evento_id,
            data_criacao=decision.data_criacao,
        )
