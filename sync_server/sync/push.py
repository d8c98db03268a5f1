"""Push: apply a device's queued intents exactly once, each in its own transaction.

For each intent, in seq order, one PostgreSQL transaction locks the device row
(``sync_devices``, which also says whose device it is and which seq comes next) and:

- ``seq < next_seq``: the intent was already handled; its stored result is returned (if the same
  seq now arrives with different content: 409 ``intencao_conflitante``);
- ``seq > next_seq``: a gap; 409 ``sequencia_com_lacuna`` with the ``next_seq`` expected;
- ``seq == next_seq``: the intent is validated against the catalogue and applied by its handler;
  its effects, its result row (``sync_intent_results``) and ``next_seq + 1`` commit together.

A business refusal (an :class:`~sync_server.errors.ApiError` 4xx from the service, unknown
intent, invalid arguments, a profile not allowed to send it) rolls the effects back and is stored
as *rejected* with a code and a Portuguese message; it never blocks later intents. A transient
failure (PostgreSQL or Redis unreachable, serialization failure, deadlock) rolls back, stores
nothing for that intent and answers 503: the client retries later with the same seq.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import redis
import sqlalchemy as sa
from pydantic import ValidationError
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Session

from shared_models.db import SyncDevice, SyncIntentResult
from shared_models.sync.mutations import Mutation
from shared_models.sync.protocol import Intent, IntentResult, IntentState, PushRequest, PushResponse
from sync_server.auth.deps import Principal
from sync_server.errors import ApiError, ServiceUnavailable, validation_details
from sync_server.observability.logs import (
    is_valid_correlation_id,
    reset_correlation_id,
    set_correlation_id,
)
from sync_server.services import Services
from sync_server.sync.intents import Handlers, IntentContext

log = logging.getLogger(__name__)

TRANSIENT_DB_ERRORS = (sa.exc.OperationalError, sa.exc.InterfaceError)
UNAVAILABLE_MESSAGE = (
    "Não foi possível aplicar a intenção agora (serviço temporariamente indisponível). "
    "Nada foi gravado: tente novamente em instantes."
)


class SeqGap(ApiError):
    """409: the device skipped seqs; ``next_seq`` is the one the server expects."""

    def __init__(self, next_seq: int) -> None:
        super().__init__(
            409,
            "sequencia_com_lacuna",
            f"Sequência de intenções com lacuna: o servidor espera a intenção {next_seq}.",
            details={"next_seq": next_seq},
        )
        self.next_seq = next_seq


@dataclass(frozen=True)
class _Rejection:
    code: str
    message: str
    result: dict[str, Any] | None = None


class _RolledBack(Exception):
    """Leaves the intent's transaction (rolling its effects back) to store a rejection."""

    def __init__(self, rejection: _Rejection) -> None:
        super().__init__(rejection.code)
        self.rejection = rejection


def intent_digest(intent: Intent) -> str:
    """SHA-256 of what identifies an intent's content: id, name, version and arguments."""
    content = json.dumps(
        {
            "intent_id": str(intent.intent_id),
            "name": intent.name,
            "version": intent.version,
            "args": intent.args,
        },
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(content.encode()).hexdigest()


def _result_of(row: SyncIntentResult) -> IntentResult:
    return IntentResult(
        seq=row.seq,
        intent_id=row.intent_id,
        status=IntentState(row.status),
        code=row.code,
        message=row.message,
        result=row.result,
    )


def _lock_device(session: Session, device_id: uuid.UUID) -> SyncDevice:
    device = session.scalars(
        sa.select(SyncDevice).where(SyncDevice.device_id == device_id).with_for_update()
    ).one()
    return device


def _stored(session: Session, device_id: uuid.UUID, intent: Intent, digest: str) -> IntentResult:
    row = session.scalars(
        sa.select(SyncIntentResult).where(
            SyncIntentResult.device_id == device_id, SyncIntentResult.seq == intent.seq
        )
    ).one()
    if row.digest != digest:
        raise ApiError(
            409,
            "intencao_conflitante",
            f"A intenção {intent.seq} deste dispositivo já foi recebida com outro conteúdo.",
            details={"seq": intent.seq},
        )
    return _result_of(row)


def _record(
    session: Session,
    *,
    principal: Principal,
    device: SyncDevice,
    intent: Intent,
    digest: str,
    result: dict[str, Any] | None,
    rejection: _Rejection | None,
) -> IntentResult:
    row = SyncIntentResult(
        intent_id=intent.intent_id,
        usuario_id=principal.user_id,
        device_id=device.device_id,
        seq=intent.seq,
        name=intent.name,
        version=intent.version,
        digest=digest,
        status=(IntentState.REJECTED if rejection else IntentState.APPLIED).value,
        code=rejection.code if rejection else None,
        message=rejection.message if rejection else None,
        result=rejection.result if rejection else result,
        correlation_id=intent.correlation_id,
    )
    session.add(row)
    device.next_seq = intent.seq + 1
    session.flush()
    return _result_of(row)


def _check_turn(session: Session, device: SyncDevice, intent: Intent, digest: str) -> bool:
    """True if ``intent`` is the one to apply now; False if it was already handled."""
    if intent.seq > device.next_seq:
        raise SeqGap(device.next_seq)
    if intent.seq < device.next_seq:
        return False
    taken = session.scalar(
        sa.select(sa.func.count())
        .select_from(SyncIntentResult)
        .where(SyncIntentResult.intent_id == intent.intent_id)
    )
    if taken:
        raise ApiError(
            409,
            "intencao_duplicada",
            "Este identificador de intenção já foi usado por outra intenção.",
            details={"seq": intent.seq},
        )
    return True


def _invalid_args(exc: ValidationError) -> _Rejection:
    details = validation_details(list(exc.errors()))
    text = "; ".join(f"{d['campo']}: {d['erro']}" for d in details)
    return _Rejection(
        "dados_invalidos",
        f"Dados inválidos — {text}" if text else "Os dados da intenção são inválidos.",
        {"detalhes": details},
    )


def _prepare(
    intent: Intent, principal: Principal, catalogue: Mapping[tuple[str, int], Mutation]
) -> tuple[Mutation, Any] | _Rejection:
    mutation = catalogue.get((intent.name, intent.version))
    if mutation is None:
        return _Rejection(
            "intencao_desconhecida",
            f"Intenção desconhecida: {intent.name} (versão {intent.version}). "
            "Atualize o aplicativo.",
        )
    if principal.perfil not in mutation.profiles:
        return _Rejection("acesso_negado", "O seu perfil não pode realizar esta operação.")
    try:
        return mutation, mutation.args.model_validate(intent.args)
    except ValidationError as exc:
        return _invalid_args(exc)


@dataclass(frozen=True)
class PushContext:
    services: Services
    principal: Principal
    handlers: Handlers
    catalogue: Mapping[tuple[str, int], Mutation]


def _apply_one(ctx: PushContext, device_id: uuid.UUID, intent: Intent) -> IntentResult:
    digest = intent_digest(intent)
    try:
        with ctx.services.sessions() as session, session.begin():
            device = _lock_device(session, device_id)
            if not _check_turn(session, device, intent, digest):
                return _stored(session, device_id, intent, digest)
            prepared = _prepare(intent, ctx.principal, ctx.catalogue)
            if isinstance(prepared, _Rejection):
                return _record(
                    session,
                    principal=ctx.principal,
                    device=device,
                    intent=intent,
                    digest=digest,
                    result=None,
                    rejection=prepared,
                )
            mutation, args = prepared
            handler = ctx.handlers[(mutation.name, mutation.version)]
            handler_ctx = IntentContext(
                session=session,
                redis=ctx.services.redis,
                principal=ctx.principal,
                device_id=device_id,
                seq=intent.seq,
                intent_id=intent.intent_id,
                correlation_id=intent.correlation_id,
            )
            try:
                result = handler(handler_ctx, args)
            except ApiError as exc:
                if 400 <= exc.status_code < 500 and exc.status_code != 429:
                    raise _RolledBack(_Rejection(exc.code, exc.message)) from None
                raise
            return _record(
                session,
                principal=ctx.principal,
                device=device,
                intent=intent,
                digest=digest,
                result=result,
                rejection=None,
            )
    except _RolledBack as rolled_back:
        rejection = rolled_back.rejection
    # The refused intent's effects are rolled back; store the refusal in a new transaction.
    with ctx.services.sessions() as session, session.begin():
        device = _lock_device(session, device_id)
        if not _check_turn(session, device, intent, digest):  # a concurrent push handled it
            return _stored(session, device_id, intent, digest)
        return _record(
            session,
            principal=ctx.principal,
            device=device,
            intent=intent,
            digest=digest,
            result=None,
            rejection=rejection,
        )


def _claim_device(ctx: PushContext, device_id: uuid.UUID) -> int:
    """Register the device for the caller on first use; 403 if it is someone else's."""
    with ctx.services.sessions() as session, session.begin():
        session.execute(
            pg_insert(SyncDevice)
            .values(device_id=device_id, usuario_id=ctx.principal.user_id)
            .on_conflict_do_nothing(index_elements=[SyncDevice.device_id])
        )
        owner, next_seq = session.execute(
            sa.select(SyncDevice.usuario_id, SyncDevice.next_seq).where(
                SyncDevice.device_id == device_id
            )
        ).one()
    if owner != ctx.principal.user_id:
        raise ApiError(
            403,
            "dispositivo_de_outro_usuario",
            "Este dispositivo pertence a outra conta: entre com a conta dele ou reinstale o "
            "aplicativo.",
        )
    return int(next_seq)


def _check_sequence(request: PushRequest) -> None:
    first = request.intents[0].seq
    for offset, intent in enumerate(request.intents):
        if intent.seq != first + offset:
            raise ApiError(
                422,
                "sequencia_invalida",
                "As intenções devem ser enviadas em ordem, com números consecutivos.",
            )


def push(ctx: PushContext, request: PushRequest) -> PushResponse:
    """Apply ``request``'s intents in order; see the module docstring."""
    _check_sequence(request)
    try:
        next_seq = _claim_device(ctx, request.device_id)
        if request.intents[0].seq > next_seq:
            raise SeqGap(next_seq)
        results = []
        for intent in request.intents:
            # Log lines and jobs of this intent carry the id of the user action that queued it.
            cid = intent.correlation_id
            token = set_correlation_id(cid) if is_valid_correlation_id(cid) else None
            try:
                started = time.perf_counter()
                result = _apply_one(ctx, request.device_id, intent)
                results.append(result)
                log.info(
                    "intenção aplicada"
                    if result.status is IntentState.APPLIED
                    else "intenção recusada",
                    extra={
                        "payload": {
                            "intencao": intent.name,
                            "versao": intent.version,
                            "seq": intent.seq,
                            "intent_id": str(intent.intent_id),
                            "status": result.status.value,
                            "codigo": result.code,
                            "tempo_de_processamento_ms": round(
                                (time.perf_counter() - started) * 1000, 2
                            ),
                        }
                    },
                )
            finally:
                if token is not None:
                    reset_correlation_id(token)
    except (*TRANSIENT_DB_ERRORS, redis.RedisError) as exc:
        log.warning(
            "intenção não aplicada: dependência indisponível",
            extra={"payload": {"erro": type(exc).__name__}},
        )
        raise ServiceUnavailable(UNAVAILABLE_MESSAGE) from None
    return PushResponse(results=results, next_seq=max(next_seq, results[-1].seq + 1))
