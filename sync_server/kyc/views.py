"""Routes of KYC: one's own documents (``/v1/me/documentos``) and the admins' queue and decisions.

Field agents upload on a producer's behalf through ``/v1/agente/produtores/{id}/documentos``
(:mod:`sync_server.field_agents.views`), which reuses :func:`store_upload`.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Query, Response, UploadFile, status
from sqlalchemy.orm import Session

from shared_models.db import DocumentoKyc
from shared_models.enums import Perfil
from shared_models.kyc_documents import MAX_DOCUMENT_BYTES, TipoDocumento
from sync_server.auth.deps import CurrentPrincipal, Principal, require_profiles
from sync_server.deps import DbDep, RedisDep
from sync_server.kyc import service
from sync_server.kyc.schemas import DecisaoIn, DecisaoOut, DocumentoOut, FilaOut

router = APIRouter(tags=["KYC"])
admin_router = APIRouter(prefix="/admin/kyc", tags=["administração", "KYC"])

AdminDep = Annotated[Principal, Depends(require_profiles(Perfil.ADMIN))]
TipoForm = Annotated[
    TipoDocumento, Form(description="RG, CNH, CPF, COMPROVANTE_RESIDENCIA, SELFIE ou OUTRO.")
]
ArquivoForm = Annotated[
    UploadFile,
    File(description="JPEG, PNG ou PDF (verificado pelo conteúdo), até 5 MiB."),
]
_EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "application/pdf": "pdf"}


def store_upload(
    db: Session,
    *,
    response: Response,
    owner_id: uuid.UUID,
    uploaded_by: uuid.UUID,
    tipo: TipoDocumento,
    arquivo: UploadFile,
) -> DocumentoOut:
    """Read at most the limit + 1 byte (never the whole of an oversized file) and store it."""
    content = arquivo.file.read(MAX_DOCUMENT_BYTES + 1)
    result = service.upload_document(
        db, owner_id=owner_id, uploaded_by=uploaded_by, tipo=tipo, content=content
    )
    if not result.created:
        response.status_code = status.HTTP_200_OK
    return DocumentoOut.build(result.document)


def document_response(document: DocumentoKyc) -> Response:
    assert document.conteudo is not None
    name = f"documento-{document.id}.{_EXTENSIONS.get(document.mime, 'bin')}"
    return Response(
        content=document.conteudo,
        media_type=document.mime,
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "no-store",
        },
    )


_UPLOAD_RESPONSES: dict[int | str, dict[str, str]] = {
    200: {"description": "O mesmo arquivo já tinha sido enviado: o documento existente."},
    413: {"description": "Arquivo grande demais."},
    415: {"description": "Tipo de arquivo não aceito (verificado pelo conteúdo)."},
}
_CONTENT_RESPONSES: dict[int | str, dict[str, object]] = {
    200: {
        "content": {"image/jpeg": {}, "image/png": {}, "application/pdf": {}},
        "description": "O arquivo do documento.",
    }
}


@router.post(
    "/me/documentos",
    response_model=DocumentoOut,
    status_code=status.HTTP_201_CREATED,
    responses=_UPLOAD_RESPONSES,
    summary="Enviar um documento de identidade (multipart)",
)
def upload_my_document(
    *,
    tipo: TipoForm,
    arquivo: ArquivoForm,
    principal: CurrentPrincipal,
    db: DbDep,
    response: Response,
) -> DocumentoOut:
    return store_upload(
        db,
        response=response,
        owner_id=principal.user_id,
        uploaded_by=principal.user_id,
        tipo=tipo,
        arquivo=arquivo,
    )


@router.get(
    "/me/documentos", response_model=list[DocumentoOut], summary="Meus documentos (metadados)"
)
def list_my_documents(principal: CurrentPrincipal, db: DbDep) -> list[DocumentoOut]:
    return [DocumentoOut.build(d) for d in service.list_documents(db, owner_id=principal.user_id)]


@router.get(
    "/me/documentos/{documento_id}/conteudo",
    response_class=Response,
    responses=_CONTENT_RESPONSES,
    summary="Baixar um documento meu",
)
def get_my_document(documento_id: uuid.UUID, principal: CurrentPrincipal, db: DbDep) -> Response:
    return document_response(
        service.get_document(db, document_id=documento_id, owner_id=principal.user_id)
    )


@admin_router.get("/fila", response_model=FilaOut, summary="Fila de KYC a decidir")
def kyc_queue(
    admin: AdminDep,
    db: DbDep,
    limite: Annotated[int, Query(ge=1, le=200)] = 50,
    deslocamento: Annotated[int, Query(ge=0)] = 0,
) -> FilaOut:
    return FilaOut.build(service.kyc_queue(db, limit=limite, offset=deslocamento))


@admin_router.get(
    "/documentos/{documento_id}/conteudo",
    response_class=Response,
    responses=_CONTENT_RESPONSES,
    summary="Baixar um documento para análise",
)
def get_document(documento_id: uuid.UUID, admin: AdminDep, db: DbDep) -> Response:
    return document_response(service.get_document(db, document_id=documento_id))


@admin_router.post(
    "/usuarios/{usuario_id}/decisao",
    response_model=DecisaoOut,
    status_code=status.HTTP_201_CREATED,
    summary="Decidir o KYC de um usuário (VERIFICADO / REPROVADO)",
)
def decide(
    *, usuario_id: uuid.UUID, body: DecisaoIn, admin: AdminDep, db: DbDep, redis: RedisDep
) -> DecisaoOut:
    decision = service.decide(
        db,
        redis_client=redis,
        admin_id=admin.user_id,
        usuario_id=usuario_id,
        decisao=body.decisao,
        motivo_codigo=body.motivo_codigo,
        motivo=body.motivo,
    )
    return DecisaoOut.build(decision)
