"""KYC: identity documents (uploaded by the user or their field agent) and admins' decisions.

Documents are checked by content (:mod:`shared_models.kyc_documents`), size-limited and stored in
PostgreSQL (``documentos_kyc``, bytea) with their SHA-256. Uploading the same file again for the
same user returns the existing document (an offline client may retry). A user whose KYC was
REPROVADO goes back to PENDENTE when they send a new document.

The admins' queue lists users in PENDENTE or ANALISE_MANUAL with at least one document, oldest
first. A decision (VERIFICADO / REPROVADO) needs a reason code; its free-text reason may hold
personal data, so it stays in ``kyc_decisoes`` and only ids, the decision and the reason code go
to the ledger (``KYC_DECIDIDO``).
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Final

import redis
import sqlalchemy as sa
from sqlalchemy.orm import Session, defer

from shared_models.db import DocumentoKyc, KycDecisao, Usuario
from shared_models.enums import CanalNotificacao, Perfil, StatusKyc
from shared_models.kyc_documents import (
    MAX_DOCUMENT_BYTES,
    InvalidDocumentError,
    MotivoKyc,
    TipoDocumento,
    sniff_mime,
)
from sync_server.accounts.hooks import notify_after_commit
from sync_server.accounts.users import get_active_user, touch
from sync_server.errors import ApiError
from sync_server.ledger.service import append_event
from sync_server.notifications.service import Message

MAX_DOCUMENTS_PER_USER: Final = 20
QUEUE_STATUSES: Final = (StatusKyc.PENDENTE, StatusKyc.ANALISE_MANUAL)
DECISIONS: Final = (StatusKyc.VERIFICADO, StatusKyc.REPROVADO)


@dataclass(frozen=True)
class UploadResult:
    document: DocumentoKyc
    created: bool


def _document_error(exc: InvalidDocumentError) -> ApiError:
    status = 422 if exc.code == "documento_vazio" else 415
    return ApiError(status, exc.code, exc.message)


def too_large(max_bytes: int = MAX_DOCUMENT_BYTES) -> ApiError:
    mib = max_bytes / (1024 * 1024)
    return ApiError(
        413,
        "documento_muito_grande",
        f"Arquivo grande demais: o limite é de {mib:g} MiB por documento.",
    )


def upload_document(
    session: Session,
    *,
    owner_id: uuid.UUID,
    uploaded_by: uuid.UUID,
    tipo: TipoDocumento,
    content: bytes,
    max_bytes: int = MAX_DOCUMENT_BYTES,
) -> UploadResult:
    """Store one identity document of ``owner_id`` sent by ``uploaded_by`` (owner or agent)."""
    if len(content) > max_bytes:
        raise too_large(max_bytes)
    try:
        mime = sniff_mime(content)
    except InvalidDocumentError as exc:
        raise _document_error(exc) from None
    owner = get_active_user(session, owner_id, lock=True)
    digest = hashlib.sha256(content).hexdigest()
    existing = session.scalars(
        sa.select(DocumentoKyc)
        .options(defer(DocumentoKyc.conteudo))
        .where(
            DocumentoKyc.usuario_id == owner_id,
            DocumentoKyc.sha256 == digest,
            DocumentoKyc.excluido_em.is_(None),
        )
    ).one_or_none()
    if existing is not None:
        return UploadResult(existing, created=False)
    count = session.scalar(
        sa.select(sa.func.count())
        .select_from(DocumentoKyc)
        .where(DocumentoKyc.usuario_id == owner_id, DocumentoKyc.excluido_em.is_(None))
    )
    if (count or 0) >= MAX_DOCUMENTS_PER_USER:
        raise ApiError(
            409,
            "limite_documentos",
            f"Limite de {MAX_DOCUMENTS_PER_USER} documentos por usuário atingido.",
        )
    document = DocumentoKyc(
        usuario_id=owner_id,
        tipo=tipo,
        mime=mime,
        tamanho_bytes=len(content),
        sha256=digest,
        conteudo=content,
        enviado_por=uploaded_by,
    )
    session.add(document)
    if owner.status_kyc is StatusKyc.REPROVADO:
        owner.status_kyc = StatusKyc.PENDENTE
        touch(owner)
    session.flush()
    return UploadResult(document, created=True)


def list_documents(session: Session, *, owner_id: uuid.UUID) -> list[DocumentoKyc]:
    """Metadata of the user's documents (content not loaded), newest first."""
    return list(
        session.scalars(
            sa.select(DocumentoKyc)
            .options(defer(DocumentoKyc.conteudo))
            .where(DocumentoKyc.usuario_id == owner_id)
            .order_by(DocumentoKyc.data_criacao.desc(), DocumentoKyc.id)
        )
    )


def get_document(
    session: Session, *, document_id: uuid.UUID, owner_id: uuid.UUID | None = None
) -> DocumentoKyc:
    """A document with its content; ``owner_id`` restricts it to one user's documents."""
    stmt = sa.select(DocumentoKyc).where(DocumentoKyc.id == document_id)
    if owner_id is not None:
        stmt = stmt.where(DocumentoKyc.usuario_id == owner_id)
    document = session.scalars(stmt).one_or_none()
    if document is None:
        raise ApiError(404, "documento_nao_encontrado", "Documento não encontrado.")
    if document.conteudo is None:
        raise ApiError(410, "documento_excluido", "O conteúdo deste documento foi excluído (LGPD).")
    return document


@dataclass(frozen=True)
class QueueEntry:
    user: Usuario
    documents: list[DocumentoKyc]
    waiting_since: datetime


@dataclass(frozen=True)
class QueuePage:
    total: int
    entries: list[QueueEntry]


def kyc_queue(session: Session, *, limit: int = 50, offset: int = 0) -> QueuePage:
    """Users waiting for a decision (PENDENTE / ANALISE_MANUAL with documents), oldest first."""
    first_upload = (
        sa.select(
            DocumentoKyc.usuario_id.label("usuario_id"),
            sa.func.min(DocumentoKyc.data_criacao).label("desde"),
        )
        .where(DocumentoKyc.excluido_em.is_(None))
        .group_by(DocumentoKyc.usuario_id)
        .subquery()
    )
    base = (
        sa.select(Usuario, first_upload.c.desde)
        .join(first_upload, first_upload.c.usuario_id == Usuario.id)
        .where(Usuario.status_kyc.in_(QUEUE_STATUSES), Usuario.anonimizado_em.is_(None))
    )
    total = session.scalar(sa.select(sa.func.count()).select_from(base.subquery())) or 0
    rows = session.execute(
        base.order_by(first_upload.c.desde, Usuario.id).limit(limit).offset(offset)
    ).all()
    users = [(row[0], row[1]) for row in rows]
    documents: dict[uuid.UUID, list[DocumentoKyc]] = {user.id: [] for user, _ in users}
    if documents:
        for document in session.scalars(
            sa.select(DocumentoKyc)
            .options(defer(DocumentoKyc.conteudo))
            .where(
                DocumentoKyc.usuario_id.in_(list(documents)),
                DocumentoKyc.excluido_em.is_(None),
            )
            .order_by(DocumentoKyc.data_criacao, DocumentoKyc.id)
        ):
            documents[document.usuario_id].append(document)
    return QueuePage(
        total=total,
        entries=[QueueEntry(user, documents[user.id], since) for user, since in users],
    )


_REJECTION_ONLY: Final = frozenset(MotivoKyc) - {MotivoKyc.DOCUMENTOS_CONFERIDOS, MotivoKyc.OUTRO}


def decide(
    session: Session,
    *,
    redis_client: redis.Redis | None,
    admin_id: uuid.UUID,
    usuario_id: uuid.UUID,
    decisao: StatusKyc,
    motivo_codigo: MotivoKyc,
    motivo: str | None,
) -> KycDecisao:
    """Record an admin's KYC decision, update ``status_kyc`` and append ``KYC_DECIDIDO``."""
    if decisao not in DECISIONS:
        raise ApiError(422, "kyc_decisao_invalida", "A decisão deve ser VERIFICADO ou REPROVADO.")
    if decisao is StatusKyc.VERIFICADO and motivo_codigo in _REJECTION_ONLY:
        raise ApiError(
            422,
            "kyc_motivo_incoerente",
            "O motivo informado é de reprovação; para aprovar use DOCUMENTOS_CONFERIDOS ou OUTRO.",
        )
    if decisao is StatusKyc.REPROVADO and motivo_codigo is MotivoKyc.DOCUMENTOS_CONFERIDOS:
        raise ApiError(
            422,
            "kyc_motivo_incoerente",
            "DOCUMENTOS_CONFERIDOS não pode justificar uma reprovação.",
        )
    if decisao is StatusKyc.REPROVADO and not (motivo and motivo.strip()):
        raise ApiError(
            422,
            "kyc_motivo_obrigatorio",
            "Informe o motivo da reprovação: o usuário precisa saber o que corrigir.",
        )
    if admin_id == usuario_id:
        raise ApiError(
            403,
            "kyc_autodecisao",
            "Um administrador não pode decidir a verificação da própria conta.",
        )
    user = get_active_user(session, usuario_id, lock=True)
    if user.status_kyc is decisao:
        raise ApiError(
            409,
            "kyc_ja_decidido",
            f"A verificação deste usuário já está como {decisao.value}.",
        )
    if decisao is StatusKyc.VERIFICADO:
        documents = session.scalar(
            sa.select(sa.func.count())
            .select_from(DocumentoKyc)
            .where(DocumentoKyc.usuario_id == usuario_id, DocumentoKyc.excluido_em.is_(None))
        )
        if not documents:
            raise ApiError(
                409,
                "kyc_sem_documentos",
                "Não é possível aprovar: o usuário ainda não enviou documentos.",
            )
    previous = user.status_kyc
    user.status_kyc = decisao
    touch(user)
    session.flush()
    entry = append_event(
        session.connection(),
        tipo_evento="KYC_DECIDIDO",
        dados_evento={
            "usuario_id": str(usuario_id),
            "decisao": decisao.value,
            "status_anterior": previous.value,
            "motivo_codigo": motivo_codigo.value,
            "admin_id": str(admin_id),
        },
        ator_id=admin_id,
        ator_tipo=Perfil.ADMIN.value,
    )
    decision = KycDecisao(
        usuario_id=usuario_id,
        admin_id=admin_id,
        decisao=decisao,
        motivo_codigo=motivo_codigo.value,
        motivo=motivo.strip() if motivo and motivo.strip() else None,
        ledger_evento_id=entry.id,
    )
    session.add(decision)
    session.flush()
    if redis_client is not None:
        approved = decisao is StatusKyc.VERIFICADO
        notify_after_commit(
            session,
            redis_client,
            Message(
                canal=CanalNotificacao.SMS,
                destino=user.celular,
                tipo="kyc_decisao",
                assunto="Verificação de identidade Peerseed",
                corpo=(
                    "Peerseed: sua verificação de identidade foi aprovada."
                    if approved
                    else "Peerseed: sua verificação de identidade foi reprovada. "
                    "Veja o motivo no aplicativo e envie novos documentos."
                ),
                usuario_id=usuario_id,
            ),
        )
    return decision


def latest_decision(session: Session, *, usuario_id: uuid.UUID) -> KycDecisao | None:
    return session.scalars(
        sa.select(KycDecisao)
        .where(KycDecisao.usuario_id == usuario_id)
        .order_by(KycDecisao.data_criacao.desc(), KycDecisao.ledger_evento_id.desc().nulls_last())
        .limit(1)
    ).first()


def decisions(session: Session, *, usuario_id: uuid.UUID) -> list[KycDecisao]:
    return list(
        session.scalars(
            sa.select(KycDecisao)
            .where(KycDecisao.usuario_id == usuario_id)
            .order_by(KycDecisao.data_criacao, KycDecisao.ledger_evento_id.nulls_first())
        )
    )
