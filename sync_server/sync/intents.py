"""Server handlers of the mutation catalogue (:mod:`shared_models.sync.mutations`).

A handler applies one validated intent inside the transaction the push opened for it and returns
the JSON result stored with ``(device_id, seq)``. A business refusal is an
:class:`~sync_server.errors.ApiError` with a 4xx status: the push rolls the intent's effects back
and stores it as *rejected* with the error's code and Portuguese message. Handlers never commit.

The mapping from intent to handler is built by :func:`build_handlers` and handed to the app
explicitly (``app.state.sync_intent_handlers``); there is no mutable global registry.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import redis
from pydantic import BaseModel
from sqlalchemy.orm import Session

from shared_models.sync import mutations
from sync_server.auth.deps import Principal
from sync_server.errors import ApiError
from sync_server.field_agents import service as field_agents
from sync_server.kyc import service as kyc


@dataclass(frozen=True)
class IntentContext:
    """What a handler may use: the intent's transaction, Redis and who sent it."""

    session: Session
    redis: redis.Redis
    principal: Principal
    device_id: uuid.UUID
    seq: int
    intent_id: uuid.UUID
    correlation_id: str | None


Handler = Callable[[IntentContext, BaseModel], dict[str, Any]]
HandlerKey = tuple[str, int]
Handlers = Mapping[HandlerKey, Handler]


def registrar_produtor(ctx: IntentContext, args: BaseModel) -> dict[str, Any]:
    """``produtor.registrar`` v1: onboard a producer with bank account and documents."""
    assert isinstance(args, mutations.ProdutorRegistrarV1)
    bank = args.conta_bancaria
    data = field_agents.ProducerData(
        nome_completo=args.nome_completo,
        cpf=args.cpf,
        celular=args.celular,
        email=args.email,
        conta_bancaria=field_agents.BankAccountData(
            banco=bank.banco, agencia=bank.agencia, conta=bank.conta, tipo_conta=bank.tipo_conta
        )
        if bank
        else None,
    )
    try:
        result = field_agents.onboard_producer(
            ctx.session,
            redis_client=ctx.redis,
            agent=field_agents.AgentRef(user_id=ctx.principal.user_id),
            data=data,
        )
    except ApiError as exc:
        if exc.code == "cadastro_duplicado":
            raise ApiError(
                409,
                "cadastro_duplicado",
                (
                    "Já existe uma conta com este CPF ou e-mail. Confira os dados do produtor"
                    if args.email
                    else "Já existe uma conta com este CPF. Confira o CPF do produtor"
                )
                + " e envie um novo cadastro.",
            ) from None
        raise
    documents = []
    for document in args.documentos:
        upload = kyc.upload_document(
            ctx.session,
            owner_id=result.produtor_id,
            uploaded_by=ctx.principal.user_id,
            tipo=document.tipo,
            content=document.content(),
        )
        documents.append({"id": str(upload.document.id), "tipo": upload.document.tipo.value})
    return {
        "produtor_id": str(result.produtor_id),
        "status_kyc": result.status_kyc.value,
        "conta_bancaria_id": str(result.conta_bancaria_id) if result.conta_bancaria_id else None,
        "documentos": documents,
        "ativacao_expira_em": result.ativacao_expira_em.isoformat(),
    }


def build_handlers(overrides: Mapping[HandlerKey, Handler] | None = None) -> Handlers:
    """The handler of every catalogue entry (``overrides`` replace or add some, e.g. in tests).

    Every catalogue entry must have a handler: a missing one is a programming error.
    """
    handlers: dict[HandlerKey, Handler] = {
        (mutations.PRODUTOR_REGISTRAR.name, mutations.PRODUTOR_REGISTRAR.version): (
            registrar_produtor
        ),
    }
    handlers.update(overrides or {})
    missing = set(mutations.CATALOGUE) - set(handlers)
    if missing:
        raise RuntimeError(f"intents without a server handler: {sorted(missing)}")
    return MappingProxyType(handlers)
